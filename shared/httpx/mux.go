package httpx

import (
	"net/http"

	"github.com/buytickets/buytickets/shared/tracing"
)

// Mux is an http.ServeMux that answers in the error shape where ServeMux
// would answer in plain text: 404 "Not found" for a path no pattern
// matches, and 405 "Method not allowed", with the Allow header, for a
// pattern registered under other methods. Register routes with the
// embedded ServeMux's Handle and HandleFunc.
type Mux struct {
	*http.ServeMux
}

// NewMux returns an empty Mux.
func NewMux() *Mux {
	return &Mux{ServeMux: http.NewServeMux()}
}

// ServeHTTP dispatches r to the handler whose pattern matches it, naming
// the request's span for the pattern, or answers 404 or 405 in the error
// shape.
func (m *Mux) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := m.Handler(r); pattern != "" {
		tracing.Route(r.Context(), pattern)
		m.ServeMux.ServeHTTP(w, r)
		return
	}
	// No pattern: ServeMux's own handler decides between 404 and 405 and
	// sets Allow; run it against a scratch writer and keep only those.
	h, _ := m.Handler(r)
	scratch := &headerOnlyWriter{header: http.Header{}}
	h.ServeHTTP(scratch, r)
	if scratch.status == http.StatusMethodNotAllowed {
		w.Header()["Allow"] = scratch.header["Allow"]
		JSON(w, http.StatusMethodNotAllowed, ErrorBody{Errors: []ErrorItem{{Message: "Method not allowed"}}})
		return
	}
	NotFound(w, r)
}

// NotFound answers 404 {"errors":[{"message":"Not found"}]}; it is an
// http.HandlerFunc for routes that exist for no one.
func NotFound(w http.ResponseWriter, r *http.Request) {
	JSON(w, http.StatusNotFound, ErrorBody{Errors: []ErrorItem{{Message: "Not found"}}})
}

// headerOnlyWriter keeps the status and headers written to it and drops the body.
type headerOnlyWriter struct {
	header http.Header
	status int
}

func (w *headerOnlyWriter) Header() http.Header { return w.header }

func (w *headerOnlyWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return len(p), nil
}

func (w *headerOnlyWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}
