package payments_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/functions/payments/internal/payment"
	paymentsstore "github.com/buytickets/buytickets/functions/payments/internal/store"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/store/storetest"
)

func TestSucceededIntentIsRecordedOnce(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	orderID := f.placeOrder("buyer", 19.99)
	event := succeeded("evt_1", "pi_1", orderID, 1999)
	f.mustWebhook(event)

	l := f.ledger(orderID)
	if len(l.Payments) != 1 {
		t.Fatalf("%d payments recorded, want 1", len(l.Payments))
	}
	p := l.Payments[0]
	if p.StripeID != "pi_1" || p.Method != payment.MethodIntent || p.Amount != 1999 || p.Currency != "usd" || p.RefundDue() {
		t.Errorf("payment %+v, want PaymentIntent pi_1 of 1999 usd", p)
	}
	ev := f.sink.wait(t, eventing.TypePaymentCreated, orderID)
	var data eventing.PaymentCreated
	if err := eventing.Decode(ev, &data); err != nil || data != (eventing.PaymentCreated{
		ID: p.ID, OrderID: orderID, StripeID: "pi_1", Amount: 1999, Currency: "usd",
	}) {
		t.Errorf("payment.created %+v, %v", data, err)
	}

	before := f.counts()
	f.mustWebhook(event)                                     // Stripe sends it again
	f.mustWebhook(succeeded("evt_2", "pi_1", orderID, 1999)) // or another event about it
	before[paymentsstore.Webhooks]++                         // the second event's receipt, and nothing else
	f.wantUnchanged(before)
	if l := f.ledger(orderID); len(l.Payments) != 1 {
		t.Errorf("%d payments, want 1", len(l.Payments))
	}
	httpxtest.WantError(t, f.user("buyer").pay(orderID, "tok_visa"), http.StatusBadRequest, "Order is already paid", "")
	if n := len(f.sink.about(t, eventing.TypePaymentCreated, orderID)); n != 1 {
		t.Errorf("%d payment.created, want 1", n)
	}
}

func TestWebhookRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		post    func(f *fn, payload []byte) response
		payload func(orderID string) []byte
		code    int
		message string
	}{
		{"signed with another secret", func(f *fn, p []byte) response {
			return f.postWebhook(p, "whsec_someone_else", time.Now())
		}, nil, http.StatusBadRequest, "Invalid Stripe signature"},
		{"signed more than five minutes ago", func(f *fn, p []byte) response {
			return f.postWebhook(p, testWebhookSecret, time.Now().Add(-6*time.Minute))
		}, nil, http.StatusBadRequest, "Invalid Stripe signature"},
		{"not signed", func(f *fn, p []byte) response {
			return f.sendWebhook(p, "application/json", "")
		}, nil, http.StatusBadRequest, "Invalid Stripe signature"},
		{"payload changed after signing", func(f *fn, p []byte) response {
			changed := bytes.Replace(p, []byte("1999"), []byte("1"), 1)
			return f.sendWebhook(changed, "application/json", signature(p, testWebhookSecret, time.Now()))
		}, nil, http.StatusBadRequest, "Invalid Stripe signature"},
		{"another API version", func(f *fn, p []byte) response {
			return f.postWebhook(p, testWebhookSecret, time.Now())
		}, func(orderID string) []byte {
			return intentEvent("evt_old", "payment_intent.succeeded", "pi_old", orderID, 1999, "2020-08-27")
		}, http.StatusBadRequest, "Invalid Stripe event"},
		{"not JSON", func(f *fn, p []byte) response {
			return f.postWebhook([]byte("not json"), testWebhookSecret, time.Now())
		}, nil, http.StatusBadRequest, "Invalid Stripe event"},
		{"not a PaymentIntent", func(f *fn, p []byte) response {
			return f.postWebhook(p, testWebhookSecret, time.Now())
		}, func(string) []byte {
			return []byte(`{"id":"evt_x","object":"event","api_version":"2023-10-16","type":"payment_intent.succeeded","data":{"object":{"object":"payment_intent"}}}`)
		}, http.StatusBadRequest, "Invalid Stripe event"},
		{"form data", func(f *fn, p []byte) response {
			return f.sendWebhook(p, "application/x-www-form-urlencoded", "")
		}, nil, http.StatusUnsupportedMediaType, "Content type must be application/json"},
		{"over 64 KiB", func(f *fn, p []byte) response {
			return f.postWebhook([]byte(`{"id":"`+strings.Repeat("x", 64<<10)+`"}`), testWebhookSecret, time.Now())
		}, nil, http.StatusRequestEntityTooLarge, "Stripe event too large"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFn(t, withoutRelay)
			orderID := f.placeOrder("buyer", 19.99)
			payload := succeeded("evt_bad", "pi_bad", orderID, 1999)
			if tc.payload != nil {
				payload = tc.payload(orderID)
			}
			before := f.counts()
			httpxtest.WantError(t, tc.post(f, payload), tc.code, tc.message, "")
			f.wantUnchanged(before)
		})
	}
}

func TestWebhookEventsOfNoConsequenceAreAnswered200(t *testing.T) {
	t.Parallel()
	f := newFn(t, withoutRelay)
	orderID := f.placeOrder("buyer", 19.99)
	before := f.counts()
	for name, payload := range map[string][]byte{
		"failed payment": intentEvent("evt_f", "payment_intent.payment_failed", "pi_f", orderID, 1999, "2023-10-16"),
		"other type":     intentEvent("evt_o", "payment_intent.created", "pi_o", orderID, 1999, "2023-10-16"),
		"no order":       succeeded("evt_n", "pi_n", "", 1999),
	} {
		if res := f.postWebhook(payload, testWebhookSecret, time.Now()); res.Code != http.StatusOK {
			t.Errorf("%s: %d %s, want 200", name, res.Code, res.Body)
		}
	}
	f.wantUnchanged(before)
	if l := f.ledger(orderID); len(l.Payments) != 0 {
		t.Errorf("payments %+v, want none", l.Payments)
	}
}

func TestSucceededIntentForAnUnknownOrderIsKeptFromBeingRetried(t *testing.T) {
	t.Parallel()
	f := newFn(t, withoutRelay)
	orderID := payment.NewID()
	f.mustWebhook(succeeded("evt_u", "pi_u", orderID, 1999))
	if got := f.counts(); got[paymentsstore.Payments] != 0 || got[paymentsstore.Webhooks] != 1 || got[paymentsstore.Orders] != 0 {
		t.Errorf("store %v, want only the event's receipt", got)
	}
}

// chargeRefunded returns a charge.refunded about chargeID (of PaymentIntent
// intentID, when not empty), refunded in full or in part, as Stripe posts it.
func chargeRefunded(eventID, chargeID, intentID string, full bool) []byte {
	charge := map[string]any{
		"id": chargeID, "object": "charge", "amount": 1999, "currency": "usd", "refunded": full,
		"refunds": map[string]any{"object": "list", "data": []map[string]any{{"id": "re_" + eventID, "object": "refund"}}},
	}
	if intentID != "" {
		charge["payment_intent"] = intentID
	}
	b, _ := json.Marshal(map[string]any{
		"id": eventID, "object": "event", "api_version": stripe.APIVersion, "created": t0.Unix(), "type": "charge.refunded",
		"data": map[string]any{"object": charge},
	})
	return b
}

func TestASaleRefundedAtStripeIsUndoneOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// paid pays an order and returns it with the refund event Stripe sends.
		paid func(f *fn) (orderID string, refunded func(eventID string) []byte)
	}{
		{"a card charge", func(f *fn) (string, func(string) []byte) {
			orderID, p := f.paidOrder(19.99)
			return orderID, func(id string) []byte { return chargeRefunded(id, p.StripeID, "", true) }
		}},
		{"a PaymentIntent's charge", func(f *fn) (string, func(string) []byte) {
			orderID := f.placeOrder("buyer", 19.99)
			f.mustWebhook(succeeded("evt_paid", "pi_1", orderID, 1999))
			return orderID, func(id string) []byte { return chargeRefunded(id, "ch_of_pi_1", "pi_1", true) }
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFn(t)
			orderID, refunded := tc.paid(f)
			f.sink.wait(t, eventing.TypePaymentCreated, orderID)
			f.MustDeliver(orderCompleted(t, orderID, "buyer", 19.99, 1))

			f.mustWebhook(refunded("evt_refund"))
			ev := f.sink.wait(t, eventing.TypePaymentRefunded, orderID)
			data := eventingtest.Decode[eventing.PaymentRefunded](t, ev)
			p := f.ledger(orderID).Payments[0]
			if data.Reason != string(payment.ReasonAtStripe) || data.ID != p.ID || data.Amount != 1999 {
				t.Errorf("payment.refunded %+v, want the payment's, refunded at Stripe", data)
			}
			if p.RefundDue() || p.Refund.StripeID != "re_evt_refund" {
				t.Errorf("refund %+v, want recorded as Stripe's re_evt_refund", p.Refund)
			}

			f.mustWebhook(refunded("evt_refund"))       // Stripe sends it again
			f.mustWebhook(refunded("evt_refund_again")) // or tells of the refund anew
			if n := len(f.sink.about(t, eventing.TypePaymentRefunded, orderID)); n != 1 {
				t.Errorf("%d payment.refunded, want 1", n)
			}
			if refunds := f.stripe.Requests("/v1/refunds"); len(refunds) != 0 {
				t.Errorf("payments sent %d refunds of its own to Stripe, want none", len(refunds))
			}
		})
	}
}

func TestRefundsAtStripeThatUndoNoSaleChangeNothing(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	orderID, p := f.paidOrder(19.99)
	f.sink.wait(t, eventing.TypePaymentCreated, orderID)
	f.MustDeliver(orderCompleted(t, orderID, "buyer", 19.99, 1))
	before := f.counts()

	f.mustWebhook(chargeRefunded("evt_partial", p.StripeID, "", false)) // a partial refund: the sale stands
	f.mustWebhook(chargeRefunded("evt_other", "ch_unknown", "", true))  // a charge of no payment here
	storetest.WantSameCounts(t, "refunds of no sale", before, f.counts())
	if n := len(f.sink.about(t, eventing.TypePaymentRefunded, orderID)); n != 0 {
		t.Errorf("%d payment.refunded, want none", n)
	}
}

func TestStripeTellingOfARefundPaymentsMadeSendsNoSecondEvent(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	orderID, p := f.paidOrder(19.99)
	f.sink.wait(t, eventing.TypePaymentCreated, orderID)
	f.MustDeliver(orderCancelled(t, orderID, 1))
	f.sink.wait(t, eventing.TypePaymentRefunded, orderID)

	f.mustWebhook(chargeRefunded("evt_ours", p.StripeID, "", true))
	if n := len(f.sink.about(t, eventing.TypePaymentRefunded, orderID)); n != 1 {
		t.Errorf("%d payment.refunded, want 1", n)
	}
	if reason := f.ledger(orderID).Payments[0].Refund.Reason; reason != payment.ReasonCancelled {
		t.Errorf("refund reason %q, want it kept as %q", reason, payment.ReasonCancelled)
	}
}

func TestAPaymentFromThePublicOriginIsTakenBehindTheIngress(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, publicURL string
		want            int
	}{
		{"PUBLIC_URL set", "https://buytickets.dev", http.StatusUnauthorized}, // past the origin check, to sign-in
		{"PUBLIC_URL unset", "", http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFn(t, func(s *settings) { s.deps.PublicURL = tc.publicURL })
			req := httptest.NewRequest(http.MethodPost, "http://payments.buytickets.svc.cluster.local/api/payments", strings.NewReader(`{}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Origin", "https://buytickets.dev")
			if res := f.serve(req); res.Code != tc.want {
				t.Errorf("answered %d %s, want %d", res.Code, res.Body, tc.want)
			}
		})
	}
}
