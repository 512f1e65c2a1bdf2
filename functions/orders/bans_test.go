package orders_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/banlist/banlisttest"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/functions/orders/internal/order"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/storetest"
)

func TestTheAPIRefusesABannedUser(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	banlisttest.Test(t, banlisttest.Function{Receiver: f.Receiver, Ask: func(tb testing.TB, userID string) httpxtest.Response {
		u := f.user(userID)
		u.TB = tb
		return u.Get("/api/orders")
	}})
}

// storedOrder returns order id as the store holds it.
func (f *fn) storedOrder(id string) *order.Order {
	f.tb.Helper()
	o, err := f.stored().Order(context.Background(), id)
	if err != nil {
		f.tb.Fatal(err)
	}
	return o
}

func TestABanCancelsTheBuyersUnpaidOrdersOnEveryDriver(t *testing.T) {
	t.Parallel()
	storetest.EachStore(t, "orders", func(t *testing.T, db store.Store) {
		f := newFn(t, withStore(db))
		openTicket, open := f.ordered("banned")
		_, late := f.ordered("banned")
		_, paid := f.ordered("banned")
		f.complete(paid.ID)
		otherTicket, other := f.ordered("other")
		f.clock.Advance(window) // late's window passes unnoticed: it is still created

		ban := banlisttest.Banned(t, "banned", banlisttest.T0)
		f.MustDeliver(ban)
		for _, o := range []orderBody{open, late} {
			got := f.storedOrder(o.ID)
			if got.Status() != order.Cancelled || got.CancelReason() != order.ReasonBanned || got.Version() != 1 {
				t.Errorf("order %s: %s (%s) at version %d, want cancelled as banned at version 1", o.ID, got.Status(), got.CancelReason(), got.Version())
			}
			ev := f.sink.WaitAbout(t, eventually, eventing.TypeOrderCancelled, o.ID)
			if data := eventingtest.Decode[eventing.OrderCancelled](t, ev); data.Reason != "banned" || data.Version != 1 {
				t.Errorf("order.cancelled %+v, want reason banned at version 1", data)
			}
			f.wantReservation(o.Ticket.ID, 1, "")
		}
		if got := f.storedOrder(paid.ID); got.Status() != order.Complete || got.Version() != 1 {
			t.Errorf("paid order %s at version %d, want complete as it was", got.Status(), got.Version())
		}
		if got := f.storedOrder(other.ID); got.Status() != order.Created {
			t.Errorf("another buyer's order is %s, want created", got.Status())
		}
		f.wantReservation(otherTicket, 1, other.ID)

		before := f.counts()
		f.MustDeliver(ban)
		storetest.WantSameCounts(t, "a duplicate ban", before, f.counts())

		next := f.user("next").mustOrder(openTicket)
		f.wantReservation(openTicket, 2, next.ID)
	})
}

func TestATicketTicketsWithdrewCannotBeOrdered(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	id := f.listTicket("seller", "Concert", 20)
	f.MustDeliver(updated(t, id, "seller", "Concert", 20, "withdrawn", 1))
	f.wantReplica(id, 1, "Concert", 2000, "withdrawn")
	before := f.counts()
	httpxtest.WantError(t, f.user("buyer").orderTicket(id), http.StatusBadRequest, "Ticket is no longer for sale", "")
	storetest.WantSameCounts(t, "an order for a withdrawn ticket", before, f.counts())
}
