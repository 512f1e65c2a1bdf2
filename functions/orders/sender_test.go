package orders_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/eventing/identity"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
)

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
