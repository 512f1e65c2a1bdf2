package orders_test

import (
	"net/http"
	"testing"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/storetest"
)

// TestOrderLifeOnEveryDriver runs an order's life over HTTP and events on
// the embedded default's store and on production's, through the Firestore
// emulator.
func TestOrderLifeOnEveryDriver(t *testing.T) {
	t.Parallel()
	storetest.EachStore(t, "orders", func(t *testing.T, db store.Store) {
		f := newFn(t, withStore(db))
		ticketID := newTicketID()
		if code := f.Deliver(updated(t, ticketID, "seller", "Concert", 20, "available", 1)); code != http.StatusConflict {
			t.Errorf("update before creation: %d, want 409", code)
		}
		f.MustDeliver(created(t, ticketID, "seller", "Concert", 20))
		f.MustDeliver(updated(t, ticketID, "seller", "Concert", 20, "available", 1))
		f.wantReplica(ticketID, 1, "Concert", 2000, "available")

		first := f.user("first")
		old := first.mustOrder(ticketID)
		httpxtest.WantError(t, f.user("second").orderTicket(ticketID), http.StatusBadRequest, "Ticket is already reserved", "")
		f.clock.Advance(window)
		next := f.user("second").mustOrder(ticketID)
		if got := first.show(old.ID); got.Status != "cancelled" || got.CancelReason != "expired" {
			t.Errorf("expired order %+v", got)
		}
		f.sink.WaitAbout(t, eventually, eventing.TypeOrderCancelled, old.ID)

		second := f.user("second")
		if res := second.Delete("/api/orders/" + next.ID); res.Code != http.StatusNoContent {
			t.Fatalf("cancel: %d %s", res.Code, res.Body)
		}
		ev := f.sink.WaitAbout(t, eventually, eventing.TypeOrderCancelled, next.ID)
		var data eventing.OrderCancelled
		if err := eventing.Decode(ev, &data); err != nil || data.Reason != "buyer" || data.Ticket.Reservation != 2 {
			t.Errorf("order.cancelled %+v, %v; want the buyer's, reservation 2", data, err)
		}
		if res := second.Get("/api/orders"); res.Code != http.StatusOK {
			t.Errorf("list: %d %s", res.Code, res.Body)
		}
	})
}
