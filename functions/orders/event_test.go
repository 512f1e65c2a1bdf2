package orders_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/storetest"
)

func TestATicketForAnEventThatHasStartedCannotBeOrdered(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	id := newTicketID()
	f.MustDeliver(eventingtest.Event(t, eventing.NewTicketCreated, eventing.TicketCreated{
		ID: id, Title: "Gala", Price: 80, UserID: "seller", CreatedAt: t0.Add(-time.Hour),
		Event: &eventing.TicketEvent{Name: "Spring Gala", StartsAt: t0.Add(time.Minute)},
	}))
	f.clock.Advance(time.Minute)
	before := f.counts()
	httpxtest.WantError(t, f.user("buyer").orderTicket(id), http.StatusBadRequest, "This event has already started", "")
	storetest.WantSameCounts(t, "an order for a started event", before, f.counts())
}

func TestAnOrderSaysTheEventAndSeatItsTicketAdmitsToOnEveryDriver(t *testing.T) {
	t.Parallel()
	storetest.EachStore(t, "orders", func(t *testing.T, db store.Store) {
		f := newFn(t, withStore(db))
		id := newTicketID()
		gala := eventing.TicketEvent{Name: "Spring Gala", Venue: "Salle Pleyel", City: "Paris", StartsAt: t0.Add(24 * time.Hour)}
		seat := eventing.TicketSeat{Section: "Balcony", Row: "C", Number: "12"}
		f.MustDeliver(eventingtest.Event(t, eventing.NewTicketCreated, eventing.TicketCreated{
			ID: id, Title: "Gala night", Price: 20, UserID: "seller", CreatedAt: t0.Add(-time.Hour), Event: &gala, Seat: &seat,
		}))
		o := f.user("buyer").mustOrder(id)
		if !o.Ticket.Event.StartsAt.Equal(gala.StartsAt) || o.Ticket.Event.Name != gala.Name || o.Ticket.Event.City != gala.City || o.Ticket.Seat != seat {
			t.Errorf("the order shows event %+v seat %+v", o.Ticket.Event, o.Ticket.Seat)
		}
		if shown := f.user("buyer").show(o.ID); shown.Ticket != o.Ticket {
			t.Errorf("the order reads back %+v, want %+v", shown.Ticket, o.Ticket)
		}
		f.MustDeliver(paid(t, o.ID))
		data := eventingtest.Decode[eventing.OrderCompleted](t, f.sink.WaitAbout(t, eventually, eventing.TypeOrderCompleted, o.ID))
		if e := data.Ticket.Event; e == nil || e.Name != gala.Name || !e.StartsAt.Equal(gala.StartsAt) || data.Ticket.Seat == nil || *data.Ticket.Seat != seat {
			t.Errorf("order.completed carries event %+v seat %+v", data.Ticket.Event, data.Ticket.Seat)
		}
	})
}
