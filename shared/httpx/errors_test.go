package httpx_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/buytickets/buytickets/shared/apperr"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/logging"
)

func TestErrorAnswersEachKindWithItsStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		err        error
		wantStatus int
		want       []httpx.ErrorItem
	}{
		{"invalid", apperr.New(apperr.Invalid, "Ticket is already reserved"), 400, []httpx.ErrorItem{{Message: "Ticket is already reserved"}}},
		{"field", apperr.Field("email", "Email must be valid"), 400, []httpx.ErrorItem{{Message: "Email must be valid", Field: "email"}}},
		{"fields", apperr.Fields{apperr.Field("email", "Email must be valid"), apperr.Field("password", "Password is required")}, 400,
			[]httpx.ErrorItem{{Message: "Email must be valid", Field: "email"}, {Message: "Password is required", Field: "password"}}},
		{"unauthorized", apperr.New(apperr.Unauthorized, "Not authorized"), 401, []httpx.ErrorItem{{Message: "Not authorized"}}},
		{"payment required", apperr.New(apperr.PaymentRequired, "Card declined"), 402, []httpx.ErrorItem{{Message: "Card declined"}}},
		{"forbidden", apperr.New(apperr.Forbidden, "Account suspended"), 403, []httpx.ErrorItem{{Message: "Account suspended"}}},
		{"not found", apperr.New(apperr.NotFound, "Not found"), 404, []httpx.ErrorItem{{Message: "Not found"}}},
		{"conflict", apperr.New(apperr.Conflict, "Payment in progress"), 409, []httpx.ErrorItem{{Message: "Payment in progress"}}},
		{"too large", apperr.New(apperr.TooLarge, "Request body is too large"), 413, []httpx.ErrorItem{{Message: "Request body is too large"}}},
		{"unsupported", apperr.New(apperr.Unsupported, "Content type must be application/json"), 415, []httpx.ErrorItem{{Message: "Content type must be application/json"}}},
		{"unavailable", apperr.New(apperr.Unavailable, "Try again shortly"), 503, []httpx.ErrorItem{{Message: "Try again shortly"}}},
		{"too many", apperr.New(apperr.TooMany, "Too many attempts"), 429, []httpx.ErrorItem{{Message: "Too many attempts"}}},
		{"wrapped kind", fmt.Errorf("store.UpdateOrder: %w", apperr.New(apperr.NotFound, "Order not found")), 404, []httpx.ErrorItem{{Message: "Order not found"}}},
		{"internal kind", apperr.New(apperr.Internal, "secret detail"), 500, []httpx.ErrorItem{{Message: "Something went wrong"}}},
		{"plain error", errors.New("dial tcp 10.0.0.7:5432: secret detail"), 500, []httpx.ErrorItem{{Message: "Something went wrong"}}},
		{"empty fields", apperr.Fields{}, 500, []httpx.ErrorItem{{Message: "Something went wrong"}}},
	}
	for _, tc := range tests {
		if tc.wantStatus == 429 || tc.wantStatus == 503 {
			// Told when to come back.
			rec := httptest.NewRecorder()
			httpx.Error(rec, httptest.NewRequest(http.MethodGet, "/", nil), tc.err)
			if rec.Header().Get("Retry-After") != httpx.RetryAfterSeconds {
				t.Errorf("%s: Retry-After %q, want %q", tc.name, rec.Header().Get("Retry-After"), httpx.RetryAfterSeconds)
			}
		}
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logs bytes.Buffer
			ctx := logging.WithLogger(t.Context(), logging.New(&logs, "debug"))
			req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/api/orders/1", nil)
			rec := httptest.NewRecorder()
			httpx.Error(rec, req, tc.err)

			if rec.Code != tc.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tc.wantStatus)
			}
			if got := httpx.Status(tc.err); got != tc.wantStatus {
				t.Errorf("Status = %d, want %d", got, tc.wantStatus)
			}
			if got := decodeErrors(t, rec).Errors; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("errors = %+v, want %+v", got, tc.want)
			}
			if strings.Contains(rec.Body.String(), "secret detail") {
				t.Errorf("body %s leaks the internal detail", rec.Body)
			}
			if tc.wantStatus == 500 && !strings.Contains(logs.String(), `"severity":"ERROR"`) {
				t.Errorf("internal error not logged at ERROR; logs: %s", logs.String())
			}
		})
	}
}

func TestErrorSetsRetryAfterOnlyOnUnavailable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want string
	}{
		{apperr.New(apperr.Unavailable, "Try again shortly"), httpx.RetryAfterSeconds},
		{fmt.Errorf("store.RunTransaction: %w", apperr.Wrap(apperr.Unavailable, "Try again shortly", errors.New("aborted"))), httpx.RetryAfterSeconds},
		{apperr.New(apperr.Conflict, "Payment in progress"), ""},
		{errors.New("boom"), ""},
	}
	for _, tc := range tests {
		t.Run(tc.err.Error(), func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(http.MethodPost, "/api/orders", nil)
			rec := httptest.NewRecorder()
			httpx.Error(rec, req, tc.err)
			if got := rec.Header().Get("Retry-After"); got != tc.want {
				t.Errorf("Retry-After = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestErrorNeverShowsTheCause(t *testing.T) {
	t.Parallel()
	err := apperr.Wrap(apperr.Invalid, "Invalid credentials", errors.New("scrypt: hash mismatch for user 42"))
	rec := httptest.NewRecorder()
	httpx.Error(rec, httptest.NewRequest(http.MethodPost, "/api/users/signin", nil), err)
	if strings.Contains(rec.Body.String(), "scrypt") {
		t.Errorf("body %s shows the cause", rec.Body)
	}
}

func TestJSONWritesStatusAndContentType(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	httpx.JSON(rec, http.StatusCreated, map[string]string{"id": "t1"})
	if rec.Code != http.StatusCreated {
		t.Errorf("status = %d, want 201", rec.Code)
	}
	if got := rec.Header().Get("Content-Type"); got != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", got)
	}
	if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("X-Content-Type-Options = %q, want nosniff", got)
	}
	if got := rec.Body.String(); got != `{"id":"t1"}`+"\n" {
		t.Errorf("body = %q", got)
	}
}

func TestAnErrorThatSaysWhenToComeBackSetsRetryAfterInWholeSeconds(t *testing.T) {
	t.Parallel()
	limited := apperr.New(apperr.TooMany, "Too many attempts")
	for _, tc := range []struct {
		after time.Duration
		want  string
	}{{0, "1"}, {time.Millisecond, "1"}, {time.Second, "1"}, {1500 * time.Millisecond, "2"}, {15 * time.Minute, "900"}} {
		rec := httptest.NewRecorder()
		err := fmt.Errorf("auth: %w", limited.After(tc.after))
		httpx.Error(rec, httptest.NewRequest(http.MethodPost, "/api/users/signin", nil), err)
		if rec.Code != 429 || rec.Header().Get("Retry-After") != tc.want || !errors.Is(err, limited) {
			t.Errorf("after %v: %d Retry-After %q, want 429 %q", tc.after, rec.Code, rec.Header().Get("Retry-After"), tc.want)
		}
	}
}
