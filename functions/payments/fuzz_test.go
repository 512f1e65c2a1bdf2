package payments_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/buytickets/buytickets/shared/auth/authtest"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/store/storetest"
)

// startFakeStripe serves a Stripe that charges every request successfully,
// so that fuzzing needs no stripe-mock.
func startFakeStripe(tb testing.TB) string {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"id":"ch_fuzz","object":"charge","amount":2000,"currency":"usd","paid":true,"status":"succeeded"}`)
	}))
	tb.Cleanup(srv.Close)
	return srv.URL
}

// FuzzCreatePayment posts arbitrary bytes as a payment body: the answer is
// never a 5xx, and anything but a 201 leaves the store as it was.
func FuzzCreatePayment(f *testing.F) {
	db := &storetest.CountingStore{Store: openSQLite(f)}
	fn := newFn(f, withStore(db), withStripeAt(startFakeStripe(f)), withoutRelay)
	open := fn.placeOrder("buyer", 20)
	other := fn.placeOrder("someone", 20)
	cancelled := fn.placeOrder("buyer", 20)
	fn.MustDeliver(orderCancelled(f, cancelled, 1))
	httpxtest.Seed(f, "orderId",
		`{"orderId":"`+open+`","token":"tok_visa"}`,
		`{"orderId":"`+open+`","token":"tok_visa"}`, // paid by now
		`{"orderId":"`+other+`","token":"tok_visa"}`,
		`{"orderId":"`+cancelled+`","token":"tok_visa"}`,
		`{"orderId":"`+strings.ToUpper(open)+`","token":"tok_visa"}`,
		`{"orderId":"unknown","token":"tok_visa"}`,
		`{"orderId":"a/b","token":"tok_visa"}`,
		`{"orderId":"__x__","token":"tok_visa"}`,
		`{"orderId":"`+strings.Repeat("o", 501)+`","token":"tok_visa"}`,
		`{"orderId":"`+open+`","token":"`+strings.Repeat("t", 256)+`"}`,
		`{"orderId":"`+open+`","token":"tok\u0000"}`,
		`{"orderId":"`+open+`","token":""}`,
		`{"orderId":"","token":"tok_visa"}`,
		`{"orderId":5,"token":"tok_visa"}`,
		`{"orderId":"`+open+`","token":null}`,
		`{"orderId":"`+open+`","token":"tok_visa","amount":1}`,
	)
	cookie := authtest.SessionCookie(f, fn.tokens, "buyer")
	f.Fuzz(httpxtest.FuzzPost{
		What: "payment", Handler: fn.f.Handler(), Path: "/api/payments", Writes: db.Writes,
		Prepare: func(req *http.Request) { req.AddCookie(cookie) },
		Taken:   http.StatusCreated,
		CheckTaken: func(t testing.TB, body []byte, res httpxtest.Response) {
			var p paymentBody
			if err := json.Unmarshal(res.Body, &p); err != nil || p.OrderID != open || p.StripeID != "ch_fuzz" {
				t.Fatalf("payment %q answered 201 %s", body, res.Body)
			}
		},
	}.Fuzz)
}
