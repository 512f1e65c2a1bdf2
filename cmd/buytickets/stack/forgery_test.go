package stack_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/cmd/buytickets/stack"
	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/eventing/identity"
)

// TestForgedEventsOnEveryLoopbackPortChangeNothing plays an attacker on the
// same host: forged ticket.updated, payment.created and
// expiration.completed events, posted to every address the stack listens
// on (at /, /events, the sweeps and /tasks/expire, whose expiry the
// expiration function refuses before its time), with no token, a token of another key, and the real key's token of
// a publisher speaking for another's events. None is taken, the ticket
// keeps its price, the order stays unpaid and open, and the real next
// version of the ticket still applies.
func TestForgedEventsOnEveryLoopbackPortChangeNothing(t *testing.T) {
	t.Parallel()
	s := marketWith(t, stack.Options{Replicas: map[string]int{"orders": 2}})
	seller, buyer, tk, o := ordered(t, s, "Stadium", 300)
	eventually(t, "tickets locks the ticket to the order", func() bool { return seller.ticket(tk.ID).OrderID == o.ID })
	reserved := seller.ticket(tk.ID)

	cheap, err := eventing.NewTicketUpdated(eventing.TicketUpdated{
		ID: tk.ID, Version: reserved.Version + 1, Title: "Stadium", Price: 0.5, UserID: reserved.UserID, Status: "available",
	})
	if err != nil {
		t.Fatal(err)
	}
	fromAttacker := cheap.Clone()
	fromAttacker.SetSource("/attacker")
	paid, err := eventing.NewPaymentCreated(eventing.PaymentCreated{ID: "pay-forged", OrderID: o.ID, StripeID: "ch_forged", Amount: 30000, Currency: "usd"})
	if err != nil {
		t.Fatal(err)
	}
	expired, err := eventing.NewExpirationCompleted(eventing.ExpirationCompleted{OrderID: o.ID})
	if err != nil {
		t.Fatal(err)
	}
	forged := []event.Event{cheap, fromAttacker, paid, expired}

	plane := eventingtest.Plane(t)
	stranger := identity.GenerateKey()
	strangerToken := func(subject, audience string) string {
		token, err := stranger.Sign(subject, audience, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		return token
	}
	listeners := s.Listeners()
	if len(listeners) < 2+2*6 {
		t.Fatalf("the stack listens on %v: want the router, the broker, and each function's service and replicas", listeners)
	}
	for name, addr := range listeners {
		for _, path := range []string{"/", "/events", "/outbox/sweep", "/payments/sweep", "/tasks/expire"} {
			for _, ev := range forged {
				producer, _ := eventing.ProducerOf(ev.Type())
				tokens := map[string]string{
					"no token":                          "",
					"another key's":                     strangerToken(plane.Publisher(producer), plane.BrokerAudience()),
					"another key's delivery":            strangerToken(plane.Replayer(), plane.Audience("orders")),
					"tickets' own, for another's event": publisherToken(t, s, "tickets"),
				}
				for kind, token := range tokens {
					if ev.Type() == eventing.TypeTicketUpdated && kind == "tickets' own, for another's event" && ev.Source() == eventing.Source("tickets") {
						continue // that one is tickets' own event: tested below, through the real flow
					}
					answer := eventingtest.Deliver(t, "http://"+addr+path, token, ev)
					if answer.Outcome() == eventing.Done {
						t.Errorf("%s (%s) took a forged %s from %s at %s with %s: %s",
							name, addr, ev.Type(), ev.Source(), path, kind, answer)
					}
				}
			}
		}
	}

	// Anything the broker had taken would be delivered by now.
	time.Sleep(500 * time.Millisecond)
	noDeadLetters(t, s)
	if got := seller.ticket(tk.ID); got.Price != 300 || got.Version != reserved.Version || got.OrderID != o.ID {
		t.Errorf("after the forgeries tickets shows %+v, want it unchanged at $300, reserved by %s", got, o.ID)
	}
	if got := buyer.orderStatus(o.ID); got.Status != "created" || got.Ticket.Price != 300 {
		t.Errorf("after the forgeries the order is %+v, want still created (unpaid, unexpired) at $300", got)
	}

	// The real next version still applies: the buyer cancels, tickets
	// releases the ticket, and the next buyer pays the real price.
	buyer.must(http.StatusNoContent, "DELETE", "/api/orders/"+o.ID, nil, nil)
	eventually(t, "tickets releases the ticket", func() bool { return seller.ticket(tk.ID).OrderID == "" })
	next := signUp(t, s, "next").order(tk.ID)
	if next.Ticket.Price != 300 {
		t.Errorf("the next order's ticket costs %v, want the real $300", next.Ticket.Price)
	}
}
