package payments_test

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

func TestABuyerRetryingAStuckPaymentLearnsItsOutcomeAtOnce(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	orderID := f.claimWhileStripeFails(http.StatusInternalServerError, "Something went wrong on Stripe's end.", "tok_visa")
	buyer := f.user("buyer")
	// Right away the attempt is still its first request's.
	wantError(t, buyer.pay(orderID, "tok_visa"), http.StatusConflict, "Payment in progress", "")
	// Past the re-drive age, the retry sends the first attempt again.
	f.stripe.clear()
	f.clock.Advance(2 * time.Minute)
	if res := buyer.pay(orderID, "tok_mastercard"); res.Code != http.StatusCreated {
		t.Fatalf("retry of a stuck payment: %d %s, want 201", res.Code, res.Body)
	}
	if keys := f.stripe.keys("/v1/charges"); !slices.Equal(keys, []string{"charge-" + orderID + "-1"}) {
		t.Errorf("idempotency keys %v, want the first attempt's only, sent once", keys)
	}
	wantError(t, buyer.pay(orderID, "tok_visa"), http.StatusBadRequest, "Order is already paid", "")
	if l := f.ledger(orderID); len(l.Payments) != 1 {
		t.Errorf("%d payments, want one", len(l.Payments))
	}
}
