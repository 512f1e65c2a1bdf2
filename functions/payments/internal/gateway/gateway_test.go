package gateway_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stripe/stripe-go/v76"

	"github.com/buytickets/buytickets/functions/payments/internal/gateway"
	"github.com/buytickets/buytickets/functions/payments/internal/payment"
	"github.com/buytickets/buytickets/shared/apperr"
)

// request is what a fake Stripe received.
type request struct {
	path, key, auth string
	form            url.Values
}

// fakeStripe answers every request with status and body, and records it.
type fakeStripe struct {
	url string

	mu       sync.Mutex
	requests []request
}

func startFake(tb testing.TB, status int, body string) *fakeStripe {
	tb.Helper()
	f := &fakeStripe{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(b))
		f.mu.Lock()
		f.requests = append(f.requests, request{path: r.URL.Path, key: r.Header.Get("Idempotency-Key"), auth: r.Header.Get("Authorization"), form: form})
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	tb.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

func (f *fakeStripe) sent() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.requests...)
}

var claim = payment.Claim{OrderID: "order1", Attempt: 3, State: payment.Charging, Source: "tok_visa", Amount: 1999}

func TestChargeSendsTheClaimWithItsKey(t *testing.T) {
	t.Parallel()
	fake := startFake(t, http.StatusOK, `{"id":"ch_1","object":"charge","amount":1999,"currency":"usd"}`)
	g := gateway.New(gateway.Config{Key: "sk_test_one", URL: fake.url})
	ch, err := g.Charge(context.Background(), claim)
	if err != nil || ch != (gateway.Charge{ID: "ch_1", Amount: 1999, Currency: "usd"}) {
		t.Fatalf("Charge = %+v, %v", ch, err)
	}
	r := fake.sent()[0]
	if r.path != "/v1/charges" || r.key != "charge-order1-3" || r.auth != "Bearer sk_test_one" {
		t.Errorf("sent %s with key %q, auth %q", r.path, r.key, r.auth)
	}
	want := url.Values{"amount": {"1999"}, "currency": {"usd"}, "source": {"tok_visa"}, "metadata[orderId]": {"order1"}}
	if r.form.Encode() != want.Encode() {
		t.Errorf("form %v, want %v", r.form, want)
	}
	if stripe.Key != "" {
		t.Error("the gateway set stripe-go's package-level key")
	}
}

func TestEachGatewayTalksToItsOwnStripe(t *testing.T) {
	t.Parallel()
	ok := `{"id":"pi_1","object":"payment_intent","client_secret":"pi_1_secret"}`
	one, two := startFake(t, http.StatusOK, ok), startFake(t, http.StatusOK, ok)
	g1 := gateway.New(gateway.Config{Key: "sk_test_one", URL: one.url})
	g2 := gateway.New(gateway.Config{Key: "sk_test_two", URL: two.url})
	req := payment.IntentRequest{OrderID: "order1", Amount: 1999, Key: "intent-order1-1"}
	for _, g := range []*gateway.Gateway{g1, g2, g1} {
		in, err := g.CreateIntent(context.Background(), req)
		if err != nil || in != (gateway.Intent{ID: "pi_1", ClientSecret: "pi_1_secret"}) {
			t.Fatalf("CreateIntent = %+v, %v", in, err)
		}
	}
	if a, b := one.sent(), two.sent(); len(a) != 2 || len(b) != 1 || a[0].auth != "Bearer sk_test_one" || b[0].auth != "Bearer sk_test_two" {
		t.Errorf("first Stripe got %d requests, second %d", len(a), len(b))
	}
	r := one.sent()[0]
	want := url.Values{"amount": {"1999"}, "currency": {"usd"}, "metadata[orderId]": {"order1"}}
	if r.path != "/v1/payment_intents" || r.key != "intent-order1-1" || r.form.Encode() != want.Encode() {
		t.Errorf("sent %s key %q form %v", r.path, r.key, r.form)
	}
}

func TestRefundNamesThePaymentItGivesBack(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		p     payment.Payment
		field string
		why   string
	}{
		{"a charge of a cancelled order", payment.Payment{ID: "pay1", OrderID: "order1", StripeID: "ch_1", Method: payment.MethodCharge,
			Refund: payment.Refund{Reason: payment.ReasonCancelled}}, "charge", "requested_by_customer"},
		{"a duplicate PaymentIntent", payment.Payment{ID: "pay1", OrderID: "order1", StripeID: "pi_1", Method: payment.MethodIntent,
			Refund: payment.Refund{Reason: payment.ReasonDuplicate}}, "payment_intent", "duplicate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := startFake(t, http.StatusOK, `{"id":"re_1","object":"refund"}`)
			id, err := gateway.New(gateway.Config{Key: "sk_test_x", URL: fake.url}).Refund(context.Background(), tc.p)
			if err != nil || id != "re_1" {
				t.Fatalf("Refund = %q, %v", id, err)
			}
			r := fake.sent()[0]
			want := url.Values{tc.field: {tc.p.StripeID}, "reason": {tc.why}, "metadata[orderId]": {"order1"}, "metadata[paymentId]": {"pay1"}}
			if r.path != "/v1/refunds" || r.key != "refund-order1-pay1" || r.form.Encode() != want.Encode() {
				t.Errorf("sent %s key %q form %v, want %v", r.path, r.key, r.form, want)
			}
		})
	}
}

func TestFailuresAreClassifiedByWhatTheyMeanForTheMoney(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		status  int
		body    string
		kind    apperr.Kind
		message string
		unknown bool
		refused bool
	}{
		{"declined card", 402, `{"error":{"type":"card_error","code":"card_declined","message":"Your card was declined."}}`,
			apperr.PaymentRequired, "Your card was declined.", false, true},
		{"declined without a message", 402, `{"error":{"type":"card_error"}}`,
			apperr.PaymentRequired, "Your card was declined.", false, true},
		{"used token", 400, `{"error":{"type":"invalid_request_error","message":"You cannot use a Stripe token more than once."}}`,
			apperr.Invalid, "You cannot use a Stripe token more than once.", false, true},
		{"no such token", 404, `{"error":{"type":"invalid_request_error","message":"No such token: 'tok_x'"}}`,
			apperr.Invalid, "No such token: 'tok_x'", false, true},
		{"rate limit", 429, `{"error":{"type":"invalid_request_error","code":"rate_limit","message":"Too many requests."}}`,
			apperr.Unavailable, gateway.ErrBusy.Message, false, true},
		{"key in use by another request", 409, `{"error":{"type":"idempotency_error","message":"Another request is in progress."}}`,
			apperr.Unavailable, gateway.ErrUnknownOutcome.Message, true, false},
		{"key used with other parameters", 400, `{"error":{"type":"idempotency_error","message":"Keys for idempotent requests can only be used with the same parameters."}}`,
			apperr.Unavailable, gateway.ErrUnknownOutcome.Message, true, false},
		{"Stripe error", 500, `{"error":{"type":"api_error","message":"Something went wrong on Stripe's end."}}`,
			apperr.Unavailable, gateway.ErrUnknownOutcome.Message, true, false},
		{"a proxy's error page", 502, `<html>Bad Gateway</html>`,
			apperr.Unavailable, gateway.ErrUnknownOutcome.Message, true, false},
		{"bad key", 401, `{"error":{"type":"invalid_request_error","message":"Invalid API Key provided: sk_test_****"}}`,
			apperr.Internal, "", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fake := startFake(t, tc.status, tc.body)
			_, err := gateway.New(gateway.Config{Key: "sk_test_x", URL: fake.url, Retries: -1}).Charge(context.Background(), claim)
			if err == nil {
				t.Fatal("Charge succeeded")
			}
			var e *apperr.Error
			if apperr.KindOf(err) != tc.kind || (tc.kind != apperr.Internal && (!errors.As(err, &e) || e.Message != tc.message)) {
				t.Errorf("Charge: %v (kind %v), want %v %q", err, apperr.KindOf(err), tc.kind, tc.message)
			}
			if gateway.Unknown(err) != tc.unknown || gateway.Refused(err) != tc.refused {
				t.Errorf("Unknown %v, Refused %v; want %v, %v", gateway.Unknown(err), gateway.Refused(err), tc.unknown, tc.refused)
			}
			if strings.Contains(err.Error(), "sk_test") {
				t.Errorf("the error shows the key: %v", err)
			}
		})
	}
}

func TestAlreadyRefundedIsNoFailure(t *testing.T) {
	t.Parallel()
	fake := startFake(t, 400, `{"error":{"type":"invalid_request_error","code":"charge_already_refunded","message":"Charge ch_1 has already been refunded."}}`)
	id, err := gateway.New(gateway.Config{Key: "sk_test_x", URL: fake.url}).Refund(context.Background(),
		payment.Payment{ID: "pay1", OrderID: "order1", StripeID: "ch_1", Method: payment.MethodCharge})
	if err != nil || id != "" {
		t.Errorf("Refund = %q, %v; want done with no refund of ours", id, err)
	}
}

func TestRetryableFailureIsRetriedWithTheSameKey(t *testing.T) {
	t.Parallel()
	fake := startFake(t, 503, `{"error":{"type":"api_error","message":"Unavailable."}}`)
	_, err := gateway.New(gateway.Config{Key: "sk_test_x", URL: fake.url, Retries: 1}).Charge(context.Background(), claim)
	if !gateway.Unknown(err) {
		t.Fatalf("Charge: %v, want an unknown outcome", err)
	}
	sent := fake.sent()
	if len(sent) != 2 || sent[0].key != sent[1].key {
		t.Errorf("%d requests, keys %q, want 2 with the same key", len(sent), []string{sent[0].key})
	}
}
