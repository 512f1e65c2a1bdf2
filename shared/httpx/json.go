package httpx

import (
	"encoding/json"
	"net/http"
)

// JSON writes v as the JSON body with status.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	// An encoding failure here is a programming error in v's type; the status is already sent.
	_ = json.NewEncoder(w).Encode(v)
}
