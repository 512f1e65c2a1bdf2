package tickets_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/buytickets/buytickets/eventing/banlist/banlisttest"
	"github.com/buytickets/buytickets/shared/auth/authtest"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/storetest"
)

func TestTheAPIRefusesABannedUser(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	banlisttest.Test(t, banlisttest.Function{Receiver: f.Receiver, Ask: func(tb testing.TB, userID string) httpxtest.Response {
		return authtest.User{TB: tb, Handler: f.h, Tokens: f.tokens, ID: userID}.Get("/api/tickets?seller=me")
	}})
}

func TestABanWithdrawsTheSellersListingsOnSaleOnEveryDriver(t *testing.T) {
	t.Parallel()
	storetest.EachStore(t, "tickets", func(t *testing.T, db store.Store) {
		f := newFn(t, withStore(db))
		seller := f.as("banned")
		onSale := seller.create("On sale", 10)
		reserved := seller.create("Reserved", 10)
		sold := seller.create("Sold", 10)
		others := f.as("other").create("Someone else's", 10)
		f.mustDeliver(orderCreated(t, "order-1", reserved.ID, 1), orderCreated(t, "order-2", sold.ID, 1), orderCompleted(t, "order-2", sold.ID, 1))

		ban := banlisttest.Banned(t, "banned", banlisttest.T0)
		f.mustDeliver(ban)
		f.wantTicket(onSale.ID, "withdrawn", "", 1)
		if got := f.updated(onSale.ID, 1); got.Status != "withdrawn" {
			t.Errorf("ticket.updated %+v, want status withdrawn", got)
		}
		f.wantTicket(reserved.ID, "reserved", "order-1", 1)
		f.wantTicket(sold.ID, "sold", "order-2", 2)
		// The reserved listing's order ends: withdrawn, not back on sale.
		f.mustDeliver(orderCancelled(t, "order-1", reserved.ID, 1))
		f.wantTicket(reserved.ID, "withdrawn", "", 2)
		if got := f.updated(reserved.ID, 2); got.Status != "withdrawn" {
			t.Errorf("ticket.updated %+v, want status withdrawn", got)
		}
		if f.onSale(onSale.ID) || !f.onSale(others.ID) {
			t.Error("the public list shows the withdrawn listing, or not another seller's")
		}

		before := f.counts()
		f.mustDeliver(ban)
		storetest.WantSameCounts(t, "a duplicate ban", before, f.counts())

		// An order orders placed before it heard of the withdrawal neither
		// reserves the listing nor, ending, puts it back on sale.
		f.mustDeliver(orderCreated(t, "order-3", onSale.ID, 1), orderCancelled(t, "order-3", onSale.ID, 1))
		f.wantTicket(onSale.ID, "withdrawn", "", 1)

		f.mustDeliver(banlisttest.Unbanned(t, "banned", banlisttest.T0.Add(time.Minute)))
		f.clock.Advance(time.Second)
		seller = f.as("banned")
		mine := ticketsOf(t, seller.get("/api/tickets?seller=me"))
		if i := slices.IndexFunc(mine, func(tk ticketBody) bool { return tk.ID == onSale.ID }); i < 0 || mine[i].Status != "withdrawn" {
			t.Errorf("the seller's own list %+v, want the listing there, withdrawn", mine)
		}
		httpxtest.WantErrors(t, seller.put("/api/tickets/"+onSale.ID, details("Again", 10)), http.StatusBadRequest, item("Cannot edit a withdrawn ticket", ""))
		relisted := seller.create("On sale", 10)
		if !f.onSale(relisted.ID) || f.onSale(onSale.ID) {
			t.Error("an unbanned seller's new listing is not on sale, or the withdrawn one is back")
		}
	})
}
