package eventing_test

import (
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
)

func TestEachTypeComesFromItsOneProducer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		typ, source string
		want        bool
	}{
		{eventing.TypeTicketUpdated, "/functions/tickets", true},
		{eventing.TypeTicketUpdated, "/functions/orders", false},
		{eventing.TypeTicketUpdated, "/attacker", false},
		{eventing.TypePaymentCreated, "/functions/payments", true},
		{eventing.TypePaymentCreated, "/functions/tickets", false},
		{eventing.TypeExpirationCompleted, "/functions/expiration", true},
		{eventing.TypeExpirationCompleted, "/functions/expiration/", false},
		{"dev.buytickets.unknown.thing", "/functions/tickets", false},
	}
	for _, tc := range tests {
		ev := event.New()
		ev.SetType(tc.typ)
		ev.SetSource(tc.source)
		if got := eventing.FromProducer(ev); got != tc.want {
			t.Errorf("%s from %s: FromProducer = %v, want %v", tc.typ, tc.source, got, tc.want)
		}
	}
}

func TestTheConstructorsSetTheProducersSource(t *testing.T) {
	t.Parallel()
	events := []func() (event.Event, error){
		func() (event.Event, error) { return eventing.NewTicketCreated(eventing.TicketCreated{ID: "t1"}) },
		func() (event.Event, error) { return eventing.NewOrderCreated(eventing.OrderCreated{ID: "o1"}) },
		func() (event.Event, error) {
			return eventing.NewExpirationCompleted(eventing.ExpirationCompleted{OrderID: "o1"})
		},
		func() (event.Event, error) { return eventing.NewPaymentCreated(eventing.PaymentCreated{ID: "p1"}) },
		func() (event.Event, error) { return eventing.NewUserBanned(eventing.UserBanned{UserID: "u1"}) },
	}
	for _, newEvent := range events {
		ev, err := newEvent()
		if err != nil {
			t.Fatal(err)
		}
		if !eventing.FromProducer(ev) {
			t.Errorf("%s has source %s, not its producer's", ev.Type(), ev.Source())
		}
	}
}
