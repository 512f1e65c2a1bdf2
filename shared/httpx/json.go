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

// Page answers 200 with a page of items as a JSON array (never null) of
// what respond makes of each and, when more follow, a rel="next" Link
// header that next makes from the page's last item (paging.NextLink).
func Page[T, R any](w http.ResponseWriter, items []T, respond func(T) R, more bool, next func(last T) string) {
	out := make([]R, 0, len(items))
	for _, it := range items {
		out = append(out, respond(it))
	}
	if more && len(items) > 0 {
		w.Header().Set("Link", next(items[len(items)-1]))
	}
	JSON(w, http.StatusOK, out)
}
