package payments_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
)

// intentBody is the answer to a PaymentIntent request.
type intentBody struct {
	ClientSecret   string `json:"clientSecret"`
	PublishableKey string `json:"publishableKey"`
}

func intentOf(tb testing.TB, res response) intentBody {
	tb.Helper()
	if res.Code != http.StatusCreated {
		tb.Fatalf("intent: %d %s, want 201", res.Code, res.Body)
	}
	var in intentBody
	dec := json.NewDecoder(bytes.NewReader(res.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil || in.ClientSecret == "" {
		tb.Fatalf("body %s is not an intent: %v", res.Body, err)
	}
	return in
}

func TestIntentAnswersWhatStripeJSNeeds(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	orderID := f.placeOrder("buyer", 19.99)
	buyer := f.user("buyer")
	before := f.counts()

	res := buyer.intent(orderID)
	in := intentOf(t, res)
	if in.PublishableKey != testPublishableKey {
		t.Errorf("publishable key %q, want %q", in.PublishableKey, testPublishableKey)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store: the client secret must not be cached", cc)
	}
	intentOf(t, buyer.intent(orderID)) // asked again

	sent := f.stripe.Requests("/v1/payment_intents")
	if len(sent) != 2 {
		t.Fatalf("%d PaymentIntent requests, want 2", len(sent))
	}
	want := url.Values{"amount": {"1999"}, "currency": {"usd"}, "metadata[orderId]": {orderID}}
	if !equalForms(sent[0].Form, want) {
		t.Errorf("PaymentIntent sent %v, want %v", sent[0].Form, want)
	}
	if keys := f.stripe.Keys("/v1/payment_intents"); !slices.Equal(keys, []string{"intent-" + orderID + "-1"}) {
		t.Errorf("idempotency keys %v, want one key for both requests", keys)
	}
	f.wantUnchanged(before) // the webhook records the payment, not the request
}

func TestIntentAfterADeclinedChargeIsANewOne(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	f.stripe.Answer(withSource("tok_chargeDeclined"), http.StatusPaymentRequired, declined)
	orderID := f.placeOrder("buyer", 20)
	buyer := f.user("buyer")
	intentOf(t, buyer.intent(orderID))
	httpxtest.WantError(t, buyer.pay(orderID, "tok_chargeDeclined"), http.StatusPaymentRequired, "Your card was declined.", "")
	intentOf(t, buyer.intent(orderID))
	want := []string{"intent-" + orderID + "-1", "intent-" + orderID + "-2"}
	if keys := f.stripe.Keys("/v1/payment_intents"); !slices.Equal(keys, want) {
		t.Errorf("idempotency keys %v, want %v", keys, want)
	}
}

func TestIntentRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		as      string
		order   func(f *fn) string
		code    int
		message string
		field   string
	}{
		{"unknown order", "buyer", func(*fn) string { return "unknown" }, http.StatusNotFound, "Order not found", ""},
		{"another buyer's order", "thief", func(f *fn) string { return f.placeOrder("buyer", 20) },
			http.StatusUnauthorized, "Not authorized", ""},
		{"signed out", "", func(f *fn) string { return f.placeOrder("buyer", 20) }, http.StatusUnauthorized, "Not authorized", ""},
		{"cancelled order", "buyer", func(f *fn) string {
			id := f.placeOrder("buyer", 20)
			f.MustDeliver(orderCancelled(f.tb, id, 1))
			return id
		}, http.StatusBadRequest, "Order is cancelled", ""},
		{"expired order", "buyer", func(f *fn) string {
			id := f.placeOrder("buyer", 20)
			f.clock.Advance(window + 1)
			return id
		}, http.StatusBadRequest, "Order has expired", ""},
		{"paid order", "buyer", func(f *fn) string {
			id, _ := f.paidOrder(20)
			return id
		}, http.StatusBadRequest, "Order is already paid", ""},
		{"charge in progress", "buyer", func(f *fn) string {
			f.stripe.Answer(anyCharge, http.StatusInternalServerError, `{"error":{"type":"api_error","message":"Down."}}`)
			id := f.placeOrder("buyer", 20)
			f.user("buyer").pay(id, "tok_visa")
			return id
		}, http.StatusConflict, "Payment in progress", ""},
		{"no order id", "buyer", func(*fn) string { return " " }, http.StatusBadRequest, "Order id is required", "orderId"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFn(t)
			body := `{"orderId":"` + tc.order(f) + `"}`
			res := f.user(tc.as).Post("/api/payments/intents", body) // signed out when tc.as is ""
			httpxtest.WantError(t, res, tc.code, tc.message, tc.field)
			if n := len(f.stripe.Requests("/v1/payment_intents")); n != 0 {
				t.Errorf("a refused request created %d PaymentIntents", n)
			}
		})
	}
}

func TestIntentWithStripeUnreachableIs503(t *testing.T) {
	t.Parallel()
	f := newFn(t, withStripeAt(closedURL(t)))
	orderID := f.placeOrder("buyer", 20)
	httpxtest.WantError(t, f.user("buyer").intent(orderID), http.StatusServiceUnavailable, "Payment service unavailable", "")
}
