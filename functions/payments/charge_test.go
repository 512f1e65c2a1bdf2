package payments_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/functions/payments"
	"github.com/buytickets/buytickets/functions/payments/internal/payment"
	"github.com/buytickets/buytickets/shared/auth/authtest"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
)

func TestChargeSendsTheOrderAmountOnceAndRecordsThePayment(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	orderID, p := f.paidOrder(19.99)
	if p.OrderID != orderID || !strings.HasPrefix(p.StripeID, "ch_") {
		t.Errorf("payment %+v, want a charge for order %s", p, orderID)
	}

	charges := f.stripe.Requests("/v1/charges")
	if len(charges) != 1 {
		t.Fatalf("%d charges sent, want 1", len(charges))
	}
	want := url.Values{
		"amount": {"1999"}, "currency": {"usd"}, "source": {"tok_visa"}, "metadata[orderId]": {orderID},
	}
	if got := charges[0].Form; !equalForms(got, want) {
		t.Errorf("charge sent %v, want %v", got, want)
	}
	if key := charges[0].Key; key != "charge-"+orderID+"-1" {
		t.Errorf("idempotency key %q, want charge-%s-1", key, orderID)
	}

	ev := f.sink.wait(t, eventing.TypePaymentCreated, orderID)
	data := eventingtest.Decode[eventing.PaymentCreated](t, ev)
	wantData := eventing.PaymentCreated{ID: p.ID, OrderID: orderID, StripeID: p.StripeID, Amount: 1999, Currency: "usd"}
	if data != wantData || ev.Source() != "/functions/payments" || ev.Subject() != p.ID {
		t.Errorf("payment.created %+v from %s about %s, want %+v from /functions/payments", data, ev.Source(), ev.Subject(), wantData)
	}
	l := f.ledger(orderID)
	if len(l.Payments) != 1 || l.Payments[0].ID != p.ID || l.Claim.State != payment.Done || l.Claim.Source != "" {
		t.Errorf("ledger %+v, want the one payment and a done claim without its token", l)
	}
}

// equalForms reports whether got holds want's values and no others, the
// Stripe client's expand and the like aside.
func equalForms(got, want url.Values) bool {
	for k, v := range want {
		if !slices.Equal(got[k], v) {
			return false
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			return false
		}
	}
	return true
}

func TestChargeRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		as      string // "" for a request without a session
		order   func(f *fn) string
		body    func(orderID string) string
		code    int
		message string
		field   string
	}{
		{"unknown order", "buyer", func(*fn) string { return payment.NewID() }, nil,
			http.StatusNotFound, "Order not found", ""},
		{"order id that names no document", "buyer", func(*fn) string { return "a/b" }, nil,
			http.StatusNotFound, "Order not found", ""},
		{"another buyer's order", "thief", func(f *fn) string { return f.placeOrder("buyer", 20) }, nil,
			http.StatusUnauthorized, "Not authorized", ""},
		{"signed out", "", func(f *fn) string { return f.placeOrder("buyer", 20) }, nil,
			http.StatusUnauthorized, "Not authorized", ""},
		{"cancelled order", "buyer", func(f *fn) string {
			id := f.placeOrder("buyer", 20)
			f.MustDeliver(orderCancelled(f.tb, id, 1))
			return id
		}, nil, http.StatusBadRequest, "Order is cancelled", ""},
		{"expired order", "buyer", func(f *fn) string {
			id := f.placeOrder("buyer", 20)
			f.clock.Advance(window)
			return id
		}, nil, http.StatusBadRequest, "Order has expired", ""},
		{"paid order", "buyer", func(f *fn) string {
			id, _ := f.paidOrder(20)
			return id
		}, nil, http.StatusBadRequest, "Order is already paid", ""},
		{"completed order", "buyer", func(f *fn) string {
			id := f.placeOrder("buyer", 20)
			f.MustDeliver(orderCompleted(f.tb, id, "buyer", 20, 1))
			return id
		}, nil, http.StatusBadRequest, "Order is already paid", ""},
		{"no order id", "buyer", func(*fn) string { return "" }, nil,
			http.StatusBadRequest, "Order id is required", "orderId"},
		{"no token", "buyer", func(f *fn) string { return f.placeOrder("buyer", 20) },
			func(id string) string { return `{"orderId":"` + id + `"}` },
			http.StatusBadRequest, "Token is required", "token"},
		{"token with a space", "buyer", func(f *fn) string { return f.placeOrder("buyer", 20) },
			func(id string) string { return `{"orderId":"` + id + `","token":"tok visa"}` },
			http.StatusBadRequest, "Token is invalid", "token"},
		{"unknown field", "buyer", func(f *fn) string { return f.placeOrder("buyer", 20) },
			func(id string) string { return `{"orderId":"` + id + `","token":"tok_visa","amount":1}` },
			http.StatusBadRequest, "Unknown field", "amount"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFn(t)
			orderID := tc.order(f)
			body := `{"orderId":"` + orderID + `","token":"tok_visa"}`
			if tc.body != nil {
				body = tc.body(orderID)
			}
			charged := len(f.stripe.Requests("/v1/charges"))
			before := f.counts()
			res := f.user(tc.as).Post("/api/payments", body) // signed out when tc.as is ""
			httpxtest.WantError(t, res, tc.code, tc.message, tc.field)
			f.wantUnchanged(before)
			if n := len(f.stripe.Requests("/v1/charges")); n != charged {
				t.Errorf("a refused payment sent %d charges", n-charged)
			}
		})
	}
}

func TestMissingFieldsAreReportedTogether(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	res := f.user("buyer").Post("/api/payments", `{}`)
	if res.Code != http.StatusBadRequest {
		t.Fatalf("status %d %s, want 400", res.Code, res.Body)
	}
	var fields []string
	for _, e := range httpxtest.Errors(t, res) {
		fields = append(fields, e.Field)
	}
	if !slices.Equal(fields, []string{"orderId", "token"}) {
		t.Errorf("errors on %v, want orderId and token", fields)
	}
}

func TestCrossSiteChargeIsRefused(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	orderID := f.placeOrder("buyer", 20)
	req := httpxtest.NewJSONRequest(http.MethodPost, "/api/payments", `{"orderId":"`+orderID+`","token":"tok_visa"}`)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	authtest.SignIn(t, f.tokens, "buyer", req)
	if res := f.serve(req); res.Code != http.StatusForbidden {
		t.Errorf("cross-site payment: %d %s, want 403", res.Code, res.Body)
	}
	if n := len(f.stripe.Requests("/v1/charges")); n != 0 {
		t.Errorf("%d charges sent", n)
	}
}

func TestDeclinedCardReleasesTheClaimForAnotherCard(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	f.stripe.Answer(withSource("tok_chargeDeclined"), http.StatusPaymentRequired, declined)
	orderID := f.placeOrder("buyer", 19.99)
	buyer := f.user("buyer")

	httpxtest.WantError(t, buyer.pay(orderID, "tok_chargeDeclined"), http.StatusPaymentRequired, "Your card was declined.", "")
	if l := f.ledger(orderID); l.Claim.State != payment.Released || l.Claim.Attempt != 1 || len(l.Payments) != 0 {
		t.Errorf("after a decline the ledger is %+v, want attempt 1 released and no payment", l)
	}

	p := buyer.mustPay(orderID)
	keys := f.stripe.Keys("/v1/charges")
	if want := []string{"charge-" + orderID + "-1", "charge-" + orderID + "-2"}; !slices.Equal(keys, want) {
		t.Errorf("idempotency keys %v, want %v: a retry after a decline is a new attempt", keys, want)
	}
	if last := f.stripe.Requests("/v1/charges")[1]; last.Form.Get("source") != "tok_visa" || last.Form.Get("amount") != "1999" {
		t.Errorf("the retry sent %v", last.Form)
	}
	f.sink.wait(t, eventing.TypePaymentCreated, orderID)
	if got := f.sink.about(t, eventing.TypePaymentCreated, orderID); len(got) != 1 || p.OrderID != orderID {
		t.Errorf("%d payment.created, want 1", len(got))
	}
}

func TestStripeRefusingTheRequestIsA400WithItsMessage(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	f.stripe.Answer(anyCharge, http.StatusBadRequest,
		`{"error":{"type":"invalid_request_error","code":"token_already_used","message":"You cannot use a Stripe token more than once."}}`)
	orderID := f.placeOrder("buyer", 20)
	httpxtest.WantError(t, f.user("buyer").pay(orderID, "tok_used"), http.StatusBadRequest, "You cannot use a Stripe token more than once.", "")
	if l := f.ledger(orderID); l.Claim.State != payment.Released {
		t.Errorf("claim %+v, want released", l.Claim)
	}
}

func TestBadStripeKeyIsA500WithoutDetails(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	f.stripe.Answer(anyCharge, http.StatusUnauthorized,
		`{"error":{"type":"invalid_request_error","message":"Invalid API Key provided: sk_test_****mock"}}`)
	orderID := f.placeOrder("buyer", 20)
	res := f.user("buyer").pay(orderID, "tok_visa")
	httpxtest.WantError(t, res, http.StatusInternalServerError, "Something went wrong", "")
	if strings.Contains(string(res.Body), "sk_") {
		t.Errorf("the answer shows the key: %s", res.Body)
	}
	if l := f.ledger(orderID); l.Claim.State != payment.Released {
		t.Errorf("claim %+v, want released: Stripe charged nothing", l.Claim)
	}
}

func TestStripeUnreachableIs503AndTheClaimWaitsForTheSweep(t *testing.T) {
	t.Parallel()
	f := newFn(t, withStripeAt(closedURL(t)))
	orderID := f.placeOrder("buyer", 20)
	buyer := f.user("buyer")
	res := buyer.pay(orderID, "tok_visa")
	httpxtest.WantError(t, res, http.StatusServiceUnavailable, "Payment service unavailable", "")
	if res.Header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	l := f.ledger(orderID)
	if l.Claim.State != payment.Charging || l.Claim.Attempt != 1 || l.Claim.Source != "tok_visa" || len(l.Payments) != 0 {
		t.Errorf("claim %+v, want attempt 1 still charging, with its token for the re-drive", l.Claim)
	}
	httpxtest.WantError(t, buyer.pay(orderID, "tok_visa"), http.StatusConflict, "Payment in progress", "")
}

func TestStripeErrorIsRedrivenWithTheSameKeyByTheSweep(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	orderID := f.claimWhileStripeFails(http.StatusInternalServerError, "Something went wrong on Stripe's end.", "tok_visa")

	if res, code := f.sweep(); code != http.StatusOK || res.Redriven != 0 {
		t.Errorf("a sweep right away: %d %+v, want the fresh claim left to its request", code, res)
	}
	f.stripe.Clear()
	f.clock.Advance(2 * time.Minute)
	res, code := f.sweep()
	if code != http.StatusOK || res.Redriven != 1 || res.Charged != 1 {
		t.Fatalf("sweep: %d %+v, want the claim re-driven and charged", code, res)
	}
	if keys := f.stripe.Keys("/v1/charges"); !slices.Equal(keys, []string{"charge-" + orderID + "-1"}) {
		t.Errorf("idempotency keys %v, want the first attempt's only", keys)
	}
	f.sink.wait(t, eventing.TypePaymentCreated, orderID)
	httpxtest.WantError(t, f.user("buyer").pay(orderID, "tok_visa"), http.StatusBadRequest, "Order is already paid", "")
}

func TestDeclineLearntByTheSweepReleasesTheClaim(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	orderID := f.claimWhileStripeFails(http.StatusServiceUnavailable, "Try again later.", "tok_chargeDeclined")
	f.stripe.Clear()
	f.stripe.Answer(withSource("tok_chargeDeclined"), http.StatusPaymentRequired, declined)
	f.clock.Advance(2 * time.Minute)
	if res, code := f.sweep(); code != http.StatusOK || res.Released != 1 {
		t.Fatalf("sweep: %d %+v, want the claim released", code, res)
	}
	f.user("buyer").mustPay(orderID)
}

func TestClaimUnresolvedPastStripesKeyWindowIsGivenUp(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	orderID := f.claimWhileStripeFails(http.StatusInternalServerError, "Down.", "tok_visa")
	f.clock.Advance(payment.IdempotencyWindow)
	sent := len(f.stripe.Requests("/v1/charges"))
	if res, code := f.sweep(); code != http.StatusOK || res.Unresolved != 1 || res.Redriven != 0 {
		t.Fatalf("sweep: %d %+v, want the claim given up", code, res)
	}
	if n := len(f.stripe.Requests("/v1/charges")); n != sent {
		t.Errorf("an expired key was sent again")
	}
	if l := f.ledger(orderID); l.Claim.State != payment.Unresolved || l.Claim.Source != "" {
		t.Errorf("claim %+v, want unresolved without its token", l.Claim)
	}
	if res, code := f.sweep(); code != http.StatusOK || res != (payments.SweepResult{}) {
		t.Errorf("next sweep: %d %+v, want nothing left", code, res)
	}
}

func TestABuyerRetryingAStuckPaymentLearnsItsOutcomeAtOnce(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	orderID := f.claimWhileStripeFails(http.StatusInternalServerError, "Something went wrong on Stripe's end.", "tok_visa")
	buyer := f.user("buyer")
	// Right away the attempt is still its first request's.
	httpxtest.WantError(t, buyer.pay(orderID, "tok_visa"), http.StatusConflict, "Payment in progress", "")
	// Past the re-drive age, the retry sends the first attempt again.
	f.stripe.Clear()
	f.clock.Advance(2 * time.Minute)
	if res := buyer.pay(orderID, "tok_mastercard"); res.Code != http.StatusCreated {
		t.Fatalf("retry of a stuck payment: %d %s, want 201", res.Code, res.Body)
	}
	if keys := f.stripe.Keys("/v1/charges"); !slices.Equal(keys, []string{"charge-" + orderID + "-1"}) {
		t.Errorf("idempotency keys %v, want the first attempt's only, sent once", keys)
	}
	httpxtest.WantError(t, buyer.pay(orderID, "tok_visa"), http.StatusBadRequest, "Order is already paid", "")
	if l := f.ledger(orderID); len(l.Payments) != 1 {
		t.Errorf("%d payments, want one", len(l.Payments))
	}
}
