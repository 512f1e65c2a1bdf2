package orders_test

import (
	"testing"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/storetest"
)

func TestAPaidResaleNamesTheETicketItSellsAgainOnEveryDriver(t *testing.T) {
	t.Parallel()
	storetest.EachStore(t, "orders", func(t *testing.T, db store.Store) {
		f := newFn(t, withStore(db))
		ticketID := newTicketID()
		f.MustDeliver(eventingtest.Event(t, eventing.NewTicketCreated, eventing.TicketCreated{
			ID: ticketID, Title: "Concert", Price: 25, UserID: "reseller", CreatedAt: t0, FaceValue: 25, ResaleOf: "CODE",
		}))
		// An edit of the price keeps what the listing resells.
		f.MustDeliver(eventingtest.Event(t, eventing.NewTicketUpdated, eventing.TicketUpdated{
			ID: ticketID, Version: 1, Title: "Concert", Price: 20, UserID: "reseller", Status: "available", FaceValue: 25, ResaleOf: "CODE",
		}))
		o := f.user("buyer").mustOrder(ticketID)
		f.MustDeliver(paid(t, o.ID))

		data := eventingtest.Decode[eventing.OrderCompleted](t, f.sink.WaitAbout(t, eventually, eventing.TypeOrderCompleted, o.ID))
		want := eventing.OrderCompleted{ID: o.ID, Version: 1, UserID: "buyer", BuyerEmail: "buyer@example.com", SellerID: "reseller",
			Ticket: eventing.OrderCompletedTicket{ID: ticketID, Title: "Concert", Price: 20, Reservation: 1, ResaleOf: "CODE"}}
		if data != want {
			t.Errorf("order.completed %+v, want %+v", data, want)
		}
	})
}
