package payments_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/functions/payments/internal/payment"
	"github.com/buytickets/buytickets/shared/testenv"
)

// wantRefunded waits for the payment.refunded of the order's one payment
// and checks it, the ledger, and the one refund sent to Stripe with want.
func (f *fn) wantRefunded(orderID string, reason payment.RefundReason, want url.Values) {
	f.tb.Helper()
	ev := f.sink.wait(f.tb, eventing.TypePaymentRefunded, orderID)
	l := f.ledger(orderID)
	var p payment.Payment
	for _, held := range l.Payments {
		if held.Refund.Reason != "" {
			p = held
		}
	}
	data := eventingtest.Decode[eventing.PaymentRefunded](f.tb, ev)
	wantData := eventing.PaymentRefunded{
		ID: p.ID, OrderID: orderID, StripeID: p.StripeID, Amount: int64(p.Amount), Currency: "usd", Reason: string(reason),
	}
	if data != wantData || ev.Subject() != p.ID {
		f.tb.Errorf("payment.refunded %+v, want %+v", data, wantData)
	}
	if p.RefundDue() || p.Refund.At.IsZero() || p.Refund.StripeID == "" || !p.Refund.DueAt.IsZero() {
		f.tb.Errorf("refund %+v, want made and recorded", p.Refund)
	}
	refunds := f.stripe.Requests("/v1/refunds")
	if keys := f.stripe.Keys("/v1/refunds"); len(keys) != 1 {
		f.tb.Fatalf("refunds sent with keys %v, want one refund", keys)
	}
	want.Set("metadata[orderId]", orderID)
	want.Set("metadata[paymentId]", p.ID)
	if !equalForms(refunds[0].Form, want) || refunds[0].Key != "refund-"+orderID+"-"+p.ID {
		f.tb.Errorf("refund sent %v with key %q, want %v with key refund-%s-%s", refunds[0].Form, refunds[0].Key, want, orderID, p.ID)
	}
}

func TestPaymentOfAnOrderCancelledLaterIsRefunded(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	orderID, p := f.paidOrder(19.99)
	f.sink.wait(t, eventing.TypePaymentCreated, orderID)
	f.MustDeliver(orderCancelled(t, orderID, 1))
	f.wantRefunded(orderID, payment.ReasonCancelled, url.Values{"charge": {p.StripeID}, "reason": {"requested_by_customer"}})
}

func TestPaymentLandingAfterTheCancellationIsRefunded(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	orderID := f.placeOrder("buyer", 19.99)
	f.MustDeliver(orderCancelled(t, orderID, 1))
	f.mustWebhook(succeeded("evt_late", "pi_late", orderID, 1999))
	f.wantRefunded(orderID, payment.ReasonCancelled, url.Values{"payment_intent": {"pi_late"}, "reason": {"requested_by_customer"}})
	f.sink.wait(t, eventing.TypePaymentCreated, orderID) // orders ignores it for a cancelled order
}

func TestChargeWhoseOrderIsCancelledMeanwhileIsRefunded(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	orderID := f.claimWhileStripeFails(http.StatusInternalServerError, "Down.", "tok_visa")
	f.MustDeliver(orderCancelled(t, orderID, 1))
	f.stripe.Clear()
	f.clock.Advance(time.Hour)
	if res, code := f.sweep(); code != http.StatusOK || res.Charged != 1 {
		t.Fatalf("sweep: %d %+v, want the charge recorded", code, res)
	}
	l := f.ledger(orderID)
	if len(l.Payments) != 1 {
		t.Fatalf("%d payments, want 1", len(l.Payments))
	}
	f.wantRefunded(orderID, payment.ReasonCancelled, url.Values{"charge": {l.Payments[0].StripeID}, "reason": {"requested_by_customer"}})
}

func TestSecondPaymentOfAnOrderIsRefundedAsADuplicate(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	orderID, charged := f.paidOrder(19.99)
	f.mustWebhook(succeeded("evt_dup", "pi_dup", orderID, 1999))
	f.wantRefunded(orderID, payment.ReasonDuplicate, url.Values{"payment_intent": {"pi_dup"}, "reason": {"duplicate"}})
	created := f.sink.about(t, eventing.TypePaymentCreated, orderID)
	var data eventing.PaymentCreated
	if len(created) != 1 || eventing.Decode(created[0], &data) != nil || data.ID != charged.ID {
		t.Errorf("payment.created %v, want the first payment's only", created)
	}
	// A cancellation now gives back the payment the order kept, once.
	f.MustDeliver(orderCancelled(t, orderID, 1))
	testenv.Eventually(t, eventually, "the kept payment refunded", func() bool {
		return len(f.sink.about(t, eventing.TypePaymentRefunded, orderID)) == 2
	})
	if keys := f.stripe.Keys("/v1/refunds"); len(keys) != 2 {
		t.Errorf("refund keys %v, want one per payment", keys)
	}
}

func TestRefundWithStripeDownIsSettledByTheSweepOnce(t *testing.T) {
	t.Parallel()
	f := newFn(t, withoutRelay)
	orderID, _ := f.paidOrder(20)
	f.stripe.Answer(anyRefund, http.StatusServiceUnavailable,
		`{"error":{"type":"api_error","message":"Down."}}`)
	f.MustDeliver(orderCancelled(t, orderID, 1))
	if _, code := f.sweep(); code != http.StatusServiceUnavailable {
		t.Errorf("sweep with Stripe down: %d, want 503", code)
	}
	if l := f.ledger(orderID); !l.Payments[0].RefundDue() {
		t.Fatalf("refund %+v, want still due", l.Payments[0].Refund)
	}
	f.stripe.Clear()
	if res, code := f.sweep(); code != http.StatusOK || res.Refunded != 1 {
		t.Fatalf("sweep: %d %+v, want the refund settled", code, res)
	}
	if res, code := f.sweep(); code != http.StatusOK || res.Refunded != 0 {
		t.Errorf("second sweep: %d %+v, want nothing left", code, res)
	}
	if keys := f.stripe.Keys("/v1/refunds"); len(keys) != 1 {
		t.Errorf("refund keys %v, want one", keys)
	}
}

func TestPaymentStripeRefundedAlreadyIsSettled(t *testing.T) {
	t.Parallel()
	f := newFn(t, withoutRelay)
	orderID, _ := f.paidOrder(20)
	f.stripe.Answer(anyRefund, http.StatusBadRequest,
		`{"error":{"type":"invalid_request_error","code":"charge_already_refunded","message":"Charge has already been refunded."}}`)
	f.MustDeliver(orderCancelled(t, orderID, 1))
	if res, code := f.sweep(); code != http.StatusOK || res.Refunded != 1 {
		t.Fatalf("sweep: %d %+v, want the refund settled", code, res)
	}
	if r := f.ledger(orderID).Payments[0].Refund; r.At.IsZero() || r.StripeID != "" {
		t.Errorf("refund %+v, want settled without a refund of ours", r)
	}
}
