package stack_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/buytickets/buytickets/cmd/buytickets/stack"
)

func TestDecliningTestCardIsRefusedAsStripesTestModeRefusesIt(t *testing.T) {
	t.Parallel()
	s := marketWith(t, stack.Options{})
	_, buyer, _, o := ordered(t, s, "Front row", 25)

	cases := []struct{ token, message string }{
		{"tok_chargeDeclined", "Your card was declined."},
		{"tok_chargeDeclinedInsufficientFunds", "Your card has insufficient funds."},
		{"tok_chargeDeclinedExpiredCard", "Your card has expired."},
	}
	for _, tc := range cases {
		var status int
		var raw string
		eventually(t, "payments knows the order", func() bool {
			status, raw = buyer.do("POST", "/api/payments", map[string]string{"orderId": o.ID, "token": tc.token}, nil)
			return status != http.StatusNotFound
		})
		if status != http.StatusPaymentRequired || errorMessage(raw) != tc.message {
			t.Errorf("paying with %s answered %d %s, want 402 %q", tc.token, status, raw, tc.message)
		}
	}
	if got := buyer.orderStatus(o.ID).Status; got != "created" {
		t.Fatalf("after declines the order is %q, want still created", got)
	}

	var p payment
	buyer.must(http.StatusCreated, "POST", "/api/payments", map[string]string{"orderId": o.ID, "token": "tok_visa"}, &p)
	if !strings.HasPrefix(p.StripeID, "ch_") {
		t.Errorf("payment after the declines = %+v, want a Stripe charge", p)
	}
	eventually(t, "the order is paid", func() bool { return buyer.orderStatus(o.ID).Status == "complete" })
	noDeadLetters(t, s)
}
