package payments_test

import (
	"net/http"
	"testing"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/functions/payments/internal/payment"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/storetest"
	"github.com/buytickets/buytickets/shared/testenv"
)

// TestPaymentLifeOnEveryDriver runs payments over HTTP, events and
// webhooks on the embedded default's store and on production's, through
// the Firestore emulator.
func TestPaymentLifeOnEveryDriver(t *testing.T) {
	t.Parallel()
	storetest.EachStore(t, "payments", func(t *testing.T, db store.Store) {
		f := newFn(t, withStore(db))
		f.stripe.Answer(withSource("tok_chargeDeclined"), http.StatusPaymentRequired, declined)
		orderID := payment.NewID()
		if code := f.Deliver(orderCancelled(t, orderID, 1)); code != http.StatusConflict {
			t.Errorf("cancellation before creation: %d, want 409", code)
		}
		f.MustDeliver(orderCreated(t, orderID, "buyer", 19.99))
		buyer := f.user("buyer")
		intentOf(t, buyer.intent(orderID))
		httpxtest.WantError(t, buyer.pay(orderID, "tok_chargeDeclined"), http.StatusPaymentRequired, "Your card was declined.", "")
		p := buyer.mustPay(orderID)
		f.sink.wait(t, eventing.TypePaymentCreated, orderID)
		httpxtest.WantError(t, buyer.pay(orderID, "tok_visa"), http.StatusBadRequest, "Order is already paid", "")

		f.mustWebhook(succeeded("evt_"+orderID, "pi_"+orderID, orderID, 1999))
		f.mustWebhook(succeeded("evt_"+orderID, "pi_"+orderID, orderID, 1999))
		f.sink.wait(t, eventing.TypePaymentRefunded, orderID) // the duplicate

		f.MustDeliver(orderCancelled(t, orderID, 1))
		if l := f.ledger(orderID); len(l.Payments) != 2 || l.Order.Status != payment.Cancelled {
			t.Fatalf("ledger %+v, want the charge and the duplicate of a cancelled order", l)
		}
		testenv.Eventually(t, eventually, "both payments refunded", func() bool {
			return len(f.sink.about(t, eventing.TypePaymentRefunded, orderID)) == 2
		})
		refunded := map[string]bool{}
		for _, r := range f.stripe.Requests("/v1/refunds") {
			refunded[r.Form.Get("charge")+r.Form.Get("payment_intent")] = true
		}
		if !refunded[p.StripeID] || !refunded["pi_"+orderID] {
			t.Errorf("refunded %v, want the charge %s and the PaymentIntent", refunded, p.StripeID)
		}
	})
}
