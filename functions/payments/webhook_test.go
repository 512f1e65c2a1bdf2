package payments_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/functions/payments/internal/payment"
	paymentsstore "github.com/buytickets/buytickets/functions/payments/internal/store"
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
	wantError(t, f.user("buyer").pay(orderID, "tok_visa"), http.StatusBadRequest, "Order is already paid", "")
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
			wantError(t, tc.post(f, payload), tc.code, tc.message, "")
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
