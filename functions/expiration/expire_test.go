package expiration_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestExpireEmitsExpirationCompletedOnceForAnOpenOrder(t *testing.T) {
	t.Parallel()
	f := newFn(t, withoutRun)
	id := newOrderID()
	f.MustDeliver(orderCreated(t, id, time.Now().Add(-time.Second)))
	for i := range 2 {
		if res := f.expire(expireBody(id)); res.Code != http.StatusOK || strings.TrimSpace(string(res.Body)) != "{}" {
			t.Fatalf("call %d: %d %s, want 200 {}", i, res.Code, res.Body)
		}
	}
	if n := f.outboxed(id); n != 1 {
		t.Errorf("%d expiration.completed recorded after two calls, want 1", n)
	}
	if got := f.state(id); got != "expired" {
		t.Errorf("expiry %q, want expired", got)
	}
}

func TestExpireBeforeTheWindowPassesIsRetried(t *testing.T) {
	t.Parallel()
	f := newFn(t, withoutRun)
	id := newOrderID()
	f.MustDeliver(orderCreated(t, id, time.Now().Add(time.Hour)))
	res := f.expire(expireBody(id))
	wantError(t, res, http.StatusConflict, "Order has not expired yet", "")
	if n := f.outboxed(id); n != 0 || f.state(id) != "scheduled" {
		t.Errorf("early call recorded %d events, left %q", n, f.state(id))
	}
}

func TestExpireOfAClosedOrUnknownOrderChangesNothing(t *testing.T) {
	t.Parallel()
	f := newFn(t, withoutRun)
	closed, unknown := newOrderID(), newOrderID()
	f.MustDeliver(orderCreated(t, closed, time.Now().Add(-time.Second)))
	f.MustDeliver(orderCancelled(t, closed))
	for _, id := range []string{closed, unknown} {
		if res := f.expire(expireBody(id)); res.Code != http.StatusOK {
			t.Errorf("expire %s: %d %s, want 200", id, res.Code, res.Body)
		}
		if n := f.outboxed(id); n != 0 {
			t.Errorf("%d expiration.completed about %s, want none", n, id)
		}
	}
	if got := f.state(unknown); got != "" {
		t.Errorf("a call about an unknown order stored %q", got)
	}
}

func TestExpireRefusesBadBodies(t *testing.T) {
	t.Parallel()
	f := newFn(t, withoutRun)
	tests := []struct {
		body, message, field string
	}{
		{`{}`, "Order id is required", "orderId"},
		{`{"orderId":""}`, "Order id is required", "orderId"},
		{`{"orderId":"a/b"}`, "Order id is invalid", "orderId"},
		{`{"orderId":"` + strings.Repeat("a", 101) + `"}`, "Order id is invalid", "orderId"},
		{`{"orderId":5}`, "orderId must be a string", "orderId"},
		{`{"orderId":"o1","x":1}`, "Unknown field", "x"},
		{`{`, "Malformed JSON", ""},
	}
	for _, tc := range tests {
		wantError(t, f.expire(tc.body), http.StatusBadRequest, tc.message, tc.field)
	}
	res := f.expire(`{"orderId":"o1"}`, "Content-Type", "text/plain")
	wantError(t, res, http.StatusUnsupportedMediaType, "Content type must be application/json", "")
}
