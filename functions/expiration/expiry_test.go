package expiration_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/scheduler/embedded"
)

func TestDuplicateOrderCreatedDeliveriesScheduleOneTask(t *testing.T) {
	t.Parallel()
	f := newFn(t, withoutRun)
	id := newOrderID()
	ev := orderCreated(t, id, time.Now().Add(time.Hour))
	f.MustDeliver(ev)
	f.MustDeliver(ev) // redelivered by the broker: a duplicate receipt
	again := orderCreated(t, id, time.Now().Add(2*time.Hour))
	f.MustDeliver(again) // the same order in an event of another id
	if got, want := f.docs(embedded.Collection), []string{"expire-" + id + "-1"}; !slices.Equal(got, want) {
		t.Errorf("tasks %v, want %v", got, want)
	}
	if got := f.state(id); got != "scheduled" {
		t.Errorf("expiry %q, want scheduled", got)
	}
}

func TestAnOpenOrderExpiresWhenItsWindowPasses(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	id := newOrderID()
	f.MustDeliver(orderCreated(t, id, time.Now().Add(200*time.Millisecond)))
	f.sink.waitExpired(t, id)
	if got := f.state(id); got != "expired" {
		t.Errorf("expiry %q, want expired", got)
	}
	if n := f.outboxed(id); n != 1 {
		t.Errorf("%d expiration.completed recorded, want 1", n)
	}
}

func TestACancelledOrCompletedOrdersTaskNeverFires(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	at := time.Now().Add(3 * time.Second)
	cancelled, completed, open := newOrderID(), newOrderID(), newOrderID()
	f.MustDeliver(orderCreated(t, cancelled, at))
	f.MustDeliver(orderCreated(t, completed, at))
	f.MustDeliver(orderCreated(t, open, at.Add(500*time.Millisecond))) // the sentinel: due after the others
	f.MustDeliver(orderCancelled(t, cancelled))
	f.MustDeliver(orderCompleted(t, completed))
	if time.Now().After(at) {
		t.Fatal("the events took longer than the window; the test proves nothing")
	}
	if got, want := f.docs(embedded.Collection), []string{"expire-" + open + "-1"}; !slices.Equal(got, want) {
		t.Errorf("tasks %v after the cancel and the completion, want only the open order's %v", got, want)
	}
	f.sink.waitExpired(t, open)
	for _, id := range []string{cancelled, completed} {
		if n := len(f.sink.expired(id)) + f.outboxed(id); n != 0 {
			t.Errorf("closed order %s expired", id)
		}
		if got := f.state(id); got != "closed" {
			t.Errorf("expiry of %s %q, want closed", id, got)
		}
	}
}

func TestAnOrderClosedBeforeItsCreationArrivedIsNeverScheduled(t *testing.T) {
	t.Parallel()
	f := newFn(t, withoutRun)
	cancelled, completed := newOrderID(), newOrderID()
	f.MustDeliver(orderCancelled(t, cancelled))
	f.MustDeliver(orderCompleted(t, completed))
	f.MustDeliver(orderCreated(t, cancelled, time.Now()))
	f.MustDeliver(orderCreated(t, completed, time.Now()))
	if got := f.docs(embedded.Collection); len(got) != 0 {
		t.Errorf("tasks %v, want none", got)
	}
	for _, id := range []string{cancelled, completed} {
		if got := f.state(id); got != "closed" {
			t.Errorf("expiry of %s %q, want closed", id, got)
		}
	}
	// A close after expiry changes nothing: the task is gone already.
	expired := newOrderID()
	f.MustDeliver(orderCreated(t, expired, time.Now().Add(-time.Second)))
	if res := f.expire(expireBody(expired)); res.Code != http.StatusOK {
		t.Fatalf("expire: %d %s", res.Code, res.Body)
	}
	f.MustDeliver(orderCancelled(t, expired))
	if got := f.state(expired); got != "expired" {
		t.Errorf("expiry %q after a late cancel, want expired", got)
	}
}

func TestEventsNoRedeliveryFixesAreRefused(t *testing.T) {
	t.Parallel()
	f := newFn(t, withoutRun)
	withData := func(typ string, data string) event.Event {
		ev := orderCreated(t, newOrderID(), time.Now())
		ev.SetType(typ)
		return eventingtest.WithData(ev, data)
	}
	ticket := eventingtest.Event(t, eventing.NewTicketCreated, eventing.TicketCreated{ID: "t1", Title: "Concert", Price: 20, UserID: "u1", CreatedAt: time.Now()})
	tests := map[string]event.Event{
		"misrouted type":      ticket,
		"no expiresAt":        withData(eventing.TypeOrderCreated, `{"id":"o1","ticket":{"reservation":1}}`),
		"order id with slash": withData(eventing.TypeOrderCreated, `{"id":"a/b","expiresAt":"2030-01-01T00:00:00Z"}`),
		"cancel of a bad id":  withData(eventing.TypeOrderCancelled, `{"id":"a b"}`),
		"complete, not JSON":  withData(eventing.TypeOrderCompleted, `{`),
		"created, wrong type": withData(eventing.TypeOrderCreated, `{"id":5}`),
	}
	for name, ev := range tests {
		if code := f.Deliver(ev); code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", name, code)
		}
	}
	if got := f.docs(embedded.Collection); len(got) != 0 {
		t.Errorf("tasks %v after refused events, want none", got)
	}
}

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
	httpxtest.WantError(t, res, http.StatusConflict, "Order has not expired yet", "")
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
		httpxtest.WantError(t, f.expire(tc.body), http.StatusBadRequest, tc.message, tc.field)
	}
	res := f.expire(`{"orderId":"o1"}`, "Content-Type", "text/plain")
	httpxtest.WantError(t, res, http.StatusUnsupportedMediaType, "Content type must be application/json", "")
}
