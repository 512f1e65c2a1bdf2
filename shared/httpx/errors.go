// Package httpx is the HTTP side of every function: it maps error kinds to
// statuses in one table, writes JSON and the {"errors":[...]} shape, decodes
// request bodies within limits, collects input errors per field, and
// protects cookie-authenticated mutations.
//
// A function's routes usually stack up as
//
//	RequestLogger(Recover(mux))
//
// with mux a Mux, so that every answer, including a panic, an unknown route
// and a wrong method, is in the error shape and logged with its request.
package httpx

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/buytickets/buytickets/shared/apperr"
	"github.com/buytickets/buytickets/shared/logging"
)

// RetryAfterSeconds is the Retry-After sent with a 503 or 429 whose error
// says no other.
const RetryAfterSeconds = "1"

// retryAfter is d as a Retry-After header says it: whole seconds, rounded
// up, at least one; RetryAfterSeconds for zero.
func retryAfter(d time.Duration) string {
	if d <= 0 {
		return RetryAfterSeconds
	}
	return strconv.Itoa(int((d + time.Second - 1) / time.Second))
}

// statusOf is the one table from error kind to HTTP status (DESIGN §3).
// Not being the owner is Unauthorized, answered 401: there is no 403.
var statusOf = map[apperr.Kind]int{
	apperr.Internal:        http.StatusInternalServerError,
	apperr.Invalid:         http.StatusBadRequest,
	apperr.Unauthorized:    http.StatusUnauthorized,
	apperr.NotFound:        http.StatusNotFound,
	apperr.Conflict:        http.StatusConflict,
	apperr.Unavailable:     http.StatusServiceUnavailable,
	apperr.TooLarge:        http.StatusRequestEntityTooLarge,
	apperr.Unsupported:     http.StatusUnsupportedMediaType,
	apperr.PaymentRequired: http.StatusPaymentRequired,
	apperr.Forbidden:       http.StatusForbidden,
	apperr.TooMany:         http.StatusTooManyRequests,
}

// Status returns the HTTP status Error answers err with: the status of its
// kind, 400 for apperr.Fields, and 500 for an error of no known kind.
func Status(err error) int {
	var fields apperr.Fields
	if errors.As(err, &fields) && len(fields) > 0 {
		return http.StatusBadRequest
	}
	if status, ok := statusOf[apperr.KindOf(err)]; ok {
		return status
	}
	return http.StatusInternalServerError
}

// ErrorItem is one entry of the error body.
type ErrorItem struct {
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// ErrorBody is the shape of every error response.
type ErrorBody struct {
	Errors []ErrorItem `json:"errors"`
}

// Error writes err in the error shape with the status of its kind. Internal
// errors are logged with their details and answered "Something went wrong";
// every other kind shows only its message, never its cause.
func Error(w http.ResponseWriter, r *http.Request, err error) {
	status := Status(err)
	body := ErrorBody{}
	var fields apperr.Fields
	var e *apperr.Error
	switch {
	case errors.As(err, &fields) && len(fields) > 0:
		for _, f := range fields {
			body.Errors = append(body.Errors, ErrorItem{Message: f.Message, Field: f.Field})
		}
	case status == http.StatusInternalServerError || !errors.As(err, &e):
		logging.FromContext(r.Context()).ErrorContext(r.Context(), "request failed",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("error", err))
		status = http.StatusInternalServerError
		body.Errors = []ErrorItem{{Message: "Something went wrong"}}
	default:
		if status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", retryAfter(e.RetryAfter))
		}
		if status == http.StatusServiceUnavailable {
			logging.FromContext(r.Context()).WarnContext(r.Context(), "request unavailable",
				slog.String("path", r.URL.Path), slog.Any("error", err))
		}
		body.Errors = []ErrorItem{{Message: e.Message, Field: e.Field}}
	}
	JSON(w, status, body)
}
