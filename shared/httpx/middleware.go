package httpx

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/buytickets/buytickets/shared/logging"
	"github.com/buytickets/buytickets/shared/tracing"
)

// RequestIDHeader carries a request's id: taken from the request when a
// caller (the ingress, another function) set a well-formed one, and echoed
// on the response so a report can be matched with the logs.
const RequestIDHeader = "X-Request-Id"

// RequestLogger tags the logger in the request's context with the method,
// the path and a request id, puts it back into the context for the handlers
// below, and logs the status and duration when h returns. Put it outermost,
// above Recover, so a recovered panic is logged and counted with its request.
func RequestLogger(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(RequestIDHeader)
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set(RequestIDHeader, id)
		logger := logging.FromContext(r.Context()).With(
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("requestId", id),
		)
		rw := &responseRecorder{ResponseWriter: w}
		h.ServeHTTP(rw, r.WithContext(logging.WithLogger(r.Context(), logger)))
		tracing.Answered(r.Context(), rw.Status())
		logger.LogAttrs(r.Context(), slog.LevelInfo, "request served",
			slog.Int("status", rw.Status()),
			slog.Int64("bytes", rw.bytes),
			slog.Float64("durationMs", float64(time.Since(start).Microseconds())/1000),
		)
	})
}

// Recover answers a panic in h with 500 "Something went wrong" in the error
// shape and logs it with its stack; the panic value never reaches the
// caller. http.ErrAbortHandler is let through, since it is net/http's way to
// abort a response on purpose.
func Recover(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rw := &responseRecorder{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			logging.FromContext(r.Context()).ErrorContext(r.Context(), "handler panicked",
				slog.String("panic", fmt.Sprint(v)), slog.String("stack", string(debug.Stack())))
			if rw.wroteHeader {
				// Part of the response is out; cutting the connection tells
				// the client it is incomplete better than appending would.
				panic(http.ErrAbortHandler)
			}
			JSON(w, http.StatusInternalServerError, ErrorBody{Errors: []ErrorItem{{Message: "Something went wrong"}}})
		}()
		h.ServeHTTP(rw, r)
	})
}

// responseRecorder remembers the status and size of a response it passes on.
type responseRecorder struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func (rw *responseRecorder) WriteHeader(status int) {
	if !rw.wroteHeader && status >= 200 {
		rw.status = status
		rw.wroteHeader = true
	}
	rw.ResponseWriter.WriteHeader(status)
}

func (rw *responseRecorder) Write(p []byte) (int, error) {
	if !rw.wroteHeader {
		rw.WriteHeader(http.StatusOK)
	}
	n, err := rw.ResponseWriter.Write(p)
	rw.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the writer's Flush and deadlines.
func (rw *responseRecorder) Unwrap() http.ResponseWriter { return rw.ResponseWriter }

// Status returns the status sent, or 200 when the handler sent nothing,
// which net/http then answers with 200.
func (rw *responseRecorder) Status() int {
	if !rw.wroteHeader {
		return http.StatusOK
	}
	return rw.status
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range []byte(id) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
		if !ok {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [12]byte
	// crypto/rand.Read never returns an error since Go 1.24.
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Standard returns h inside the middleware every function's surface has,
// outermost first: the request's trace continued or started
// (tracing.Middleware), logger (when not nil) put into the request's
// context, RequestLogger, StrictTransport, Recover.
func Standard(logger *slog.Logger, h http.Handler) http.Handler {
	h = RequestLogger(StrictTransport(Recover(h)))
	return tracing.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(logging.WithLogger(r.Context(), logger)))
	}))
}

// HSTS is the Strict-Transport-Security every answer over HTTPS carries:
// browsers then reach the site over HTTPS only, for two years.
const HSTS = "max-age=63072000; includeSubDomains"

// StrictTransport adds HSTS to the answers to requests that came over
// HTTPS: to this server, or to the ingress in front of it, which says so
// in X-Forwarded-Proto (the embedded default, plain HTTP on loopback,
// sends none).
func StrictTransport(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
			w.Header().Set("Strict-Transport-Security", HSTS)
		}
		h.ServeHTTP(w, r)
	})
}
