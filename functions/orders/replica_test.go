package orders_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/eventing/identity"
	"github.com/buytickets/buytickets/functions/orders/internal/order"
	"github.com/buytickets/buytickets/functions/orders/internal/ticket"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/store/storetest"
)

// replica returns what the function holds of ticket id.
func (f *fn) replica(id string) (ticket.Ticket, bool) {
	f.tb.Helper()
	t, err := f.stored().Ticket(context.Background(), id)
	if errors.Is(err, order.ErrTicketNotFound) {
		return ticket.Ticket{}, false
	}
	if err != nil {
		f.tb.Fatal(err)
	}
	return t, true
}

// wantReplica fails unless the replica holds ticket id at version with title and price.
func (f *fn) wantReplica(id string, version int, title string, price ticket.Cents, status string) {
	f.tb.Helper()
	got, ok := f.replica(id)
	if !ok || got.Version != version || got.Title != title || got.Price != price || got.Status != status || got.SellerID != "seller" {
		f.tb.Errorf("replica holds %+v (%v), want seller's %q at %d cents, %s, version %d", got, ok, title, price, status, version)
	}
}

func TestReplicaAppliesVersionsInOrder(t *testing.T) {
	t.Parallel()
	f := newFn(t, withoutRelay)
	id := newTicketID()
	f.MustDeliver(created(t, id, "seller", "Concert", 20))
	f.wantReplica(id, 0, "Concert", 2000, "available")
	f.MustDeliver(updated(t, id, "seller", "Concert", 25, "available", 1))
	f.MustDeliver(updated(t, id, "seller", "Concert, row A", 25.5, "reserved", 2))
	f.wantReplica(id, 2, "Concert, row A", 2550, "reserved")
	if got, _ := f.replica(id); !got.CreatedAt.Equal(t0.Add(-time.Hour)) {
		t.Errorf("replica's createdAt %v, want ticket.created's", got.CreatedAt)
	}
}

func TestEarlyVersionWaitsForItsPredecessor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		before []int // versions delivered first, besides creation
		early  int
	}{
		{"update before creation", nil, 1},
		{"second update before the first", []int{0}, 2},
		{"a version far ahead", []int{0, 1}, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFn(t, withoutRelay)
			id := newTicketID()
			events := []event.Event{created(t, id, "seller", "v0", 10)}
			for v := 1; v <= tc.early; v++ {
				events = append(events, updated(t, id, "seller", "v"+string(rune('0'+v)), float64(10+v), "available", v))
			}
			held := -1
			for _, v := range tc.before {
				f.MustDeliver(events[v])
				held = v
			}
			if code := f.Deliver(events[tc.early]); code != http.StatusConflict {
				t.Fatalf("early v%d: %d, want 409", tc.early, code)
			}
			if got, ok := f.replica(id); held < 0 && ok || held >= 0 && got.Version != held {
				t.Fatalf("an early event changed the replica to %+v", got)
			}
			for v := held + 1; v < tc.early; v++ {
				f.MustDeliver(events[v])
			}
			f.MustDeliver(events[tc.early]) // the broker's redelivery
			f.wantReplica(id, tc.early, "v"+string(rune('0'+tc.early)), ticket.Cents(100*(10+tc.early)), "available")
		})
	}
}

func TestOldOrDuplicateVersionChangesNothing(t *testing.T) {
	t.Parallel()
	f := newFn(t, withoutRelay)
	id := newTicketID()
	first := created(t, id, "seller", "Concert", 20)
	second := updated(t, id, "seller", "Concert", 30, "available", 1)
	f.MustDeliver(first)
	f.MustDeliver(second)
	before := f.counts()
	f.TakeEach(map[string]event.Event{
		"the same delivery again":     second,
		"creation again":              first,
		"another event at version 1":  updated(t, id, "seller", "Stale", 99, "sold", 1),
		"another event at version 0":  updated(t, id, "seller", "Stale", 99, "sold", 0),
		"another creation, version 0": created(t, id, "seller", "Stale", 99),
	})
	f.wantReplica(id, 1, "Concert", 3000, "available")
	// Ignored events are taken, and their receipts kept.
	storetest.WantSameCounts(t, "old events", before, f.counts(), "receipts")
}

func TestTicketUpdateNeverTouchesTheReservation(t *testing.T) {
	t.Parallel()
	f := newFn(t, withoutRelay)
	id := f.listTicket("seller", "Concert", 20)
	o := f.user("buyer").mustOrder(id)
	f.wantReplica(id, 0, "Concert", 2000, "available") // reserving leaves the version
	f.MustDeliver(updated(t, id, "seller", "Concert", 20, "reserved", 1))
	f.MustDeliver(updated(t, id, "seller", "Concert", 20, "available", 2))
	f.wantReservation(id, 1, o.ID)
	httpxtest.WantError(t, f.user("other").orderTicket(id), http.StatusBadRequest, "Ticket is already reserved", "")
}

func TestUndecodableEventIsRefusedWith400(t *testing.T) {
	t.Parallel()
	id := newTicketID()
	orderEvent := eventingtest.Event(t, eventing.NewOrderCreated, eventing.OrderCreated{ID: order.NewID(), Status: "created"})
	tests := []struct {
		name string
		ev   event.Event
	}{
		{"data not JSON", eventingtest.WithData(created(t, id, "seller", "Concert", 20), `{"id":`)},
		{"price a string", eventingtest.WithData(created(t, id, "seller", "Concert", 20), `{"id":"`+id+`","price":"20"}`)},
		{"negative price", created(t, id, "seller", "Concert", -1)},
		{"no id", created(t, "", "seller", "Concert", 20)},
		{"id with a slash", created(t, "a/b", "seller", "Concert", 20)},
		{"no entityversion", eventingtest.WithVersion(created(t, id, "seller", "Concert", 20), nil)},
		{"negative entityversion", eventingtest.WithVersion(updated(t, id, "seller", "Concert", 20, "available", 1), -1)},
		{"entityversion not a number", eventingtest.WithVersion(created(t, id, "seller", "Concert", 20), "first")},
		{"a type orders does not take", orderEvent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFn(t, withoutRelay)
			if code := f.Deliver(tc.ev); code != http.StatusBadRequest {
				t.Errorf("deliver: %d, want 400", code)
			}
			if got := f.counts(); len(got) > 0 {
				t.Errorf("store holds %v after an undecodable event", got)
			}
		})
	}

	t.Run("not a CloudEvent", func(t *testing.T) {
		t.Parallel()
		f := newFn(t, withoutRelay)
		if res := f.PostNonEvent(`{"id":"x"}`); res.Code != http.StatusBadRequest {
			t.Errorf("deliver: %d %s, want 400", res.Code, res.Body)
		}
	})
}

func TestATicketEventFromAnyoneButTicketsIsRefusedAndChangesNothing(t *testing.T) {
	t.Parallel()
	f := newFn(t, withoutRelay)
	id := newTicketID()
	f.MustDeliver(created(t, id, "seller", "Concert", 300))
	for _, source := range []string{"/attacker", eventing.Source("payments"), eventing.Source("orders")} {
		forged := updated(t, id, "seller", "Concert", 0.5, "available", 1)
		forged.SetSource(source)
		if code := f.Deliver(forged); code != http.StatusUnauthorized {
			t.Errorf("ticket.updated from %s answered %d, want 401", source, code)
		}
	}
	f.wantReplica(id, 0, "Concert", 30000, "available")
	// Version 1 is still free for the real update.
	f.MustDeliver(updated(t, id, "seller", "Concert", 250, "available", 1))
	f.wantReplica(id, 1, "Concert", 25000, "available")
}

func TestForgedDeliveriesChangeNothingAndLeaveTheVersionToTheRealEvent(t *testing.T) {
	t.Parallel()
	f := newFn(t, withoutRelay)
	id := newTicketID()
	f.MustDeliver(created(t, id, "seller", "Concert", 300))

	plane := eventingtest.Plane(t)
	audience := plane.Audience("orders")
	trigger := ""
	for _, tr := range plane.Triggers {
		if tr.Name == "orders-ticket-updated" {
			trigger = tr.Identity()
		}
	}
	key := eventingtest.Key()
	forged := updated(t, id, "seller", "Concert", 0.5, "available", 1)
	foreign := updated(t, id, "seller", "Concert", 0.5, "available", 1)
	foreign.SetSource("/attacker")
	payments := updated(t, id, "seller", "Concert", 0.5, "available", 1)
	payments.SetSource(eventing.Source("payments"))
	for _, tc := range []struct {
		name, token string
	}{
		{name: "no token"},
		{name: "expired", token: eventingtest.SignWith(t, key, trigger, audience, -time.Minute)},
		{name: "wrong audience", token: eventingtest.SignWith(t, key, trigger, plane.Audience("payments"), time.Minute)},
		{name: "wrong key", token: eventingtest.SignWith(t, identity.GenerateKey(), trigger, audience, time.Minute)},
		{name: "wrong subject", token: eventingtest.SignWith(t, key, plane.Publisher("tickets"), audience, time.Minute)},
		{name: "a Trigger of another function", token: eventingtest.SignWith(t, key, plane.Triggers[0].Identity(), audience, time.Minute)},
	} {
		req := eventingtest.NewRequest(t, f.URL+"/events", forged)
		if tc.token != "" {
			eventingtest.Authorize(req, tc.token)
		}
		if res := httpxtest.Do(t, req); res.Code != http.StatusUnauthorized {
			t.Errorf("%s: %d %s, want 401", tc.name, res.Code, res.Body)
		}
	}
	for name, ev := range map[string]event.Event{"a made-up source": foreign, "another producer's source": payments} {
		req := eventingtest.Authorize(eventingtest.NewRequest(t, f.URL+"/events", ev), eventingtest.SignWith(t, key, trigger, audience, time.Minute))
		if res := httpxtest.Do(t, req); res.Code != http.StatusUnauthorized {
			t.Errorf("%s with the Trigger's token: %d %s, want 401", name, res.Code, res.Body)
		}
	}
	f.wantReplica(id, 0, "Concert", 30000, "available")
	if got := f.counts()["receipts"]; got != 1 {
		t.Errorf("%d receipts, want only ticket.created's", got)
	}

	// The real version 1 still applies: no forgery took its place.
	f.MustDeliver(updated(t, id, "seller", "Concert", 310, "available", 1))
	f.wantReplica(id, 1, "Concert", 31000, "available")
}
