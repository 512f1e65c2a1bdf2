package payments_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/functions/payments/internal/payment"
	"github.com/buytickets/buytickets/shared/auth/authtest"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
)

// adminPaymentBody is a payment as an admin reads it.
type adminPaymentBody struct {
	ID        string    `json:"id"`
	StripeID  string    `json:"stripeId"`
	Amount    int64     `json:"amount"`
	Currency  string    `json:"currency"`
	CreatedAt time.Time `json:"createdAt"`
	Refund    *struct {
		Reason string     `json:"reason"`
		At     *time.Time `json:"at"`
		DueAt  *time.Time `json:"dueAt"`
	} `json:"refund"`
}

// admin is someone signed in as an admin.
func (f *fn) admin() authtest.Admin {
	return authtest.Admin{TB: f.tb, Handler: f.h, Tokens: f.tokens, ID: "support"}
}

// paymentsOf lists the payments of orderID as an admin, failing unless
// they are answered.
func (f *fn) paymentsOf(orderID string) []adminPaymentBody {
	f.tb.Helper()
	res := f.admin().Get("/api/payments?orderId=" + orderID)
	if res.Code != http.StatusOK {
		f.tb.Fatalf("payments of %s: %d %s", orderID, res.Code, res.Body)
	}
	var list []adminPaymentBody
	if err := json.Unmarshal(res.Body, &list); err != nil {
		f.tb.Fatalf("payments body %s: %v", res.Body, err)
	}
	return list
}

func TestAnAdminReadsAnOrdersPaymentsAndRefunds(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	orderID, p := f.paidOrder(19.99)
	got := f.paymentsOf(orderID)
	if len(got) != 1 || got[0].ID != p.ID || got[0].StripeID != p.StripeID || got[0].Amount != 1999 ||
		got[0].Currency != "usd" || !got[0].CreatedAt.Equal(f.clock.Now()) || got[0].Refund != nil {
		t.Fatalf("payments %+v, want the one payment of 1999 cents, not refunded", got)
	}

	f.sink.wait(t, eventing.TypePaymentCreated, orderID)
	f.MustDeliver(orderCancelled(t, orderID, 1))
	f.sink.wait(t, eventing.TypePaymentRefunded, orderID)
	got = f.paymentsOf(orderID)
	if len(got) != 1 || got[0].Refund == nil || got[0].Refund.Reason != string(payment.ReasonCancelled) || got[0].Refund.At == nil {
		t.Fatalf("payments %+v, want the payment refunded as %s", got, payment.ReasonCancelled)
	}

	if got := f.paymentsOf(f.placeOrder("buyer", 10)); len(got) != 0 {
		t.Errorf("an unpaid order has payments %+v", got)
	}
	if got := f.paymentsOf(payment.NewID()); len(got) != 0 {
		t.Errorf("an unknown order has payments %+v", got)
	}
	if got := f.paymentsOf("not%2Fan%20id"); len(got) != 0 {
		t.Errorf("a malformed order id has payments %+v", got)
	}
}

func TestOnlyAnAdminReadsAnOrdersPayments(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	orderID, _ := f.paidOrder(19.99)
	path := "/api/payments?orderId=" + orderID
	tests := []struct {
		name    string
		res     func() response
		code    int
		message string
		field   string
	}{
		{"its buyer", func() response { return f.user("buyer").Get(path) }, http.StatusUnauthorized, "Not authorized", ""},
		{"another user", func() response { return f.user("other").Get(path) }, http.StatusUnauthorized, "Not authorized", ""},
		{"signed out", func() response { return f.user("").Get(path) }, http.StatusUnauthorized, "Not authorized", ""},
		{"an admin naming no order", func() response { return f.admin().Get("/api/payments") }, http.StatusBadRequest, "Order id is required", "orderId"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			httpxtest.WantError(t, tc.res(), tc.code, tc.message, tc.field)
		})
	}
}
