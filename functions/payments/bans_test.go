package payments_test

import (
	"fmt"
	"testing"

	"github.com/buytickets/buytickets/eventing/banlist/banlisttest"
	"github.com/buytickets/buytickets/functions/payments/internal/payment"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
)

func TestTheAPIRefusesABannedUser(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	// A payment for an order payments never heard of: 404 to anyone not
	// banned, before any call to Stripe.
	body := fmt.Sprintf(`{"orderId":%q,"token":"tok_visa"}`, payment.NewID())
	banlisttest.Test(t, banlisttest.Function{Receiver: f.Receiver, Ask: func(tb testing.TB, userID string) httpxtest.Response {
		u := f.user(userID)
		u.TB = tb
		return u.Post("/api/payments", body)
	}})
	if calls := f.stripe.Requests("/v1/charges"); len(calls) > 0 {
		t.Errorf("Stripe was charged %d times", len(calls))
	}
}
