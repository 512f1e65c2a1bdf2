package orders_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/banlist/banlisttest"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/functions/orders/internal/order"
	ordersstore "github.com/buytickets/buytickets/functions/orders/internal/store"
	"github.com/buytickets/buytickets/shared/auth/authtest"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/store"
)

// admin is someone signed in as an admin.
func (f *fn) admin() authtest.Admin {
	return authtest.Admin{TB: f.tb, Handler: f.h, Tokens: f.tokens, ID: "support"}
}

// stepBody is one step of an order's history as the API answers it.
type stepBody struct {
	At     *time.Time `json:"at"`
	What   string     `json:"what"`
	Detail string     `json:"detail"`
}

// history gets the history of order id as an admin, failing unless it is
// answered.
func (f *fn) history(id string) []stepBody {
	f.tb.Helper()
	res := f.admin().Get("/api/orders/" + id + "/history")
	if res.Code != http.StatusOK {
		f.tb.Fatalf("history of %s: %d %s", id, res.Code, res.Body)
	}
	var steps []stepBody
	if err := json.Unmarshal(res.Body, &steps); err != nil {
		f.tb.Fatalf("history body %s: %v", res.Body, err)
	}
	return steps
}

func TestAnAdminSeesAnyOrderAndItsBuyerStillDoes(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	_, o := f.ordered("buyer")
	res := f.admin().Get("/api/orders/" + o.ID)
	if res.Code != http.StatusOK || orderOf(t, res.Body).ID != o.ID {
		t.Fatalf("an admin's GET of another's order: %d %s, want 200 with it", res.Code, res.Body)
	}
	if got := f.user("buyer").show(o.ID); got.ID != o.ID || got.UserID != "buyer" {
		t.Errorf("the buyer sees %+v", got)
	}
	httpxtest.WantError(t, f.admin().Get("/api/orders/"+order.NewID()), http.StatusNotFound, "Order not found", "")
	httpxtest.WantError(t, f.admin().Get("/api/orders/not-an-order"), http.StatusNotFound, "Order not found", "")
}

func TestOnlyAnAdminSeesAnOrdersHistory(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	_, o := f.ordered("buyer")
	path := "/api/orders/" + o.ID + "/history"
	tests := []struct {
		name    string
		as      *user
		path    string
		code    int
		message string
	}{
		{"its buyer", f.user("buyer"), path, http.StatusUnauthorized, "Not authorized"},
		{"another user", f.user("other"), path, http.StatusUnauthorized, "Not authorized"},
		{"signed out", f.user(""), path, http.StatusUnauthorized, "Not authorized"},
		{"an unknown order, as an admin", nil, "/api/orders/" + order.NewID() + "/history", http.StatusNotFound, "Order not found"},
		{"a malformed id, as an admin", nil, "/api/orders/not-an-order/history", http.StatusNotFound, "Order not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var res response
			if tc.as == nil {
				res = f.admin().Get(tc.path)
			} else {
				res = tc.as.Get(tc.path)
			}
			httpxtest.WantError(t, res, tc.code, tc.message, "")
		})
	}
}

func TestAnOrdersHistoryTellsEachStepInTimeOrder(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	created := f.clock.Now()
	ticketID := f.listTicket("seller", "Jazz at the Lake", 40.5)
	paid1 := f.user("buyer").mustOrder(ticketID)
	f.clock.Advance(2 * time.Minute)
	f.MustDeliver(paidFor(t, paid1.ID, 4050))
	paidAt := f.clock.Now()

	_, cancelled := f.ordered("buyer")
	f.clock.Advance(time.Minute)
	if res := f.user("buyer").Delete("/api/orders/" + cancelled.ID); res.Code != http.StatusNoContent {
		t.Fatalf("cancel: %d %s", res.Code, res.Body)
	}
	cancelledAt := f.clock.Now()

	_, banned := f.ordered("banned")
	f.clock.Advance(time.Minute)
	f.MustDeliver(banlisttest.Banned(t, "banned", banlisttest.T0))
	bannedAt := f.clock.Now()

	until := created.Add(window).UTC().Format("2006-01-02T15:04:05.000Z")
	tests := []struct {
		name string
		id   string
		want []stepBody
	}{
		{"paid", paid1.ID, []stepBody{
			{At: &created, What: "placed", Detail: "Jazz at the Lake at $40.50"},
			{At: &created, What: "reserved", Detail: "until " + until},
			{At: &paidAt, What: "completed"},
		}},
		{"cancelled by the buyer", cancelled.ID, []stepBody{
			{What: "placed", Detail: "Concert at $20.00"},
			{What: "reserved"},
			{At: &cancelledAt, What: "cancelled", Detail: "buyer"},
		}},
		{"cancelled by a ban", banned.ID, []stepBody{
			{What: "placed"},
			{What: "reserved"},
			{At: &bannedAt, What: "cancelled", Detail: "banned"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := f.history(tc.id)
			if len(got) != len(tc.want) {
				t.Fatalf("history %+v, want %d steps", got, len(tc.want))
			}
			for i, want := range tc.want {
				g := got[i]
				if g.What != want.What || g.At == nil || (want.At != nil && !g.At.Equal(*want.At)) ||
					(want.Detail != "" || want.What == "completed") && g.Detail != want.Detail {
					t.Errorf("step %d: %+v at %v, want %+v at %v", i, g, g.At, want, want.At)
				}
				if i > 0 && g.At != nil && got[i-1].At != nil && g.At.Before(*got[i-1].At) {
					t.Errorf("step %d comes before step %d", i, i-1)
				}
			}
		})
	}
}

func TestAnOrderPaidBeforeCompletedAtWasKeptStillReads(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	_, o := f.ordered("buyer")
	f.complete(o.ID)
	// The order as it was stored before completedAt was kept.
	var old struct {
		UserID      string    `store:"userId"`
		Status      string    `store:"status"`
		CreatedAt   time.Time `store:"createdAt"`
		ExpiresAt   time.Time `store:"expiresAt"`
		Reservation int       `store:"reservation"`
		Version     int       `store:"version"`
		Ticket      struct {
			ID         string `store:"id"`
			Title      string `store:"title"`
			PriceCents int64  `store:"priceCents"`
		} `store:"ticket"`
	}
	if err := f.db.Get(t.Context(), ordersstore.Orders, o.ID, &old); err != nil {
		t.Fatal(err)
	}
	err := f.db.RunTransaction(t.Context(), func(_ context.Context, tx store.Tx) error {
		return tx.Set(ordersstore.Orders, o.ID, old)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.user("buyer").show(o.ID); got.Status != "complete" {
		t.Errorf("an old paid order reads as %s", got.Status)
	}
	steps := f.history(o.ID)
	if last := steps[len(steps)-1]; last.What != "completed" || last.At != nil {
		t.Errorf("an old paid order's last step is %+v, want completed with no time", last)
	}
}

// paidFor is a payment.created of amount cents for orderID.
func paidFor(tb testing.TB, orderID string, amount int64) event.Event {
	tb.Helper()
	return eventingtest.Event(tb, eventing.NewPaymentCreated, eventing.PaymentCreated{
		ID: "pay-" + orderID, OrderID: orderID, StripeID: "ch_1", Amount: amount, Currency: "usd",
	})
}
