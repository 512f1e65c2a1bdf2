package payments_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/functions/payments"
	"github.com/buytickets/buytickets/functions/payments/internal/payment"
	paymentsstore "github.com/buytickets/buytickets/functions/payments/internal/store"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
	"github.com/buytickets/buytickets/shared/auth/authtest"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/storetest"
	"github.com/buytickets/buytickets/shared/stripeapi/stripetest"
	"github.com/buytickets/buytickets/shared/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// The settings every test function runs with.
const (
	testPublishableKey = "pk_test_buytickets"
	testWebhookSecret  = "whsec_test_buytickets"
)

// t0 is when every test starts.
var t0 = testenv.Epoch

// window is how long the test orders wait to be paid.
const window = 15 * time.Minute

// eventually is how long a test waits for the outbox's sends and the
// refunds that Run settles.
const eventually = 20 * time.Second

// sink stands in for the broker: it records every event the outbox sends.
type sink struct{ *eventingtest.Broker }

func startSink(tb testing.TB) *sink { return &sink{eventingtest.NewBroker(tb)} }

// about returns the events received of type typ whose data names orderID,
// once each (the outbox may send an event twice).
func (s *sink) about(tb testing.TB, typ, orderID string) []event.Event {
	tb.Helper()
	var out []event.Event
	for _, ev := range eventingtest.Distinct(s.Events()) {
		var data struct {
			OrderID string `json:"orderId"`
		}
		if ev.Type() == typ && ev.DataAs(&data) == nil && data.OrderID == orderID {
			out = append(out, ev)
		}
	}
	return out
}

// wait returns the first event of type typ about orderID, polling until it
// arrives or the deadline passes.
func (s *sink) wait(tb testing.TB, typ, orderID string) event.Event {
	tb.Helper()
	deadline := time.Now().Add(eventually)
	for {
		if evs := s.about(tb, typ, orderID); len(evs) > 0 {
			return evs[0]
		}
		if time.Now().After(deadline) {
			tb.Fatalf("no %s about order %s reached the broker in %v", typ, orderID, eventually)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// withSource matches charges of token.
func withSource(token string) func(stripetest.Call) bool {
	return func(c stripetest.Call) bool { return c.Path == "/v1/charges" && c.Form.Get("source") == token }
}

// anyCharge matches every charge.
func anyCharge(c stripetest.Call) bool { return c.Path == "/v1/charges" }

// anyRefund matches every refund.
func anyRefund(c stripetest.Call) bool { return c.Path == "/v1/refunds" }

// claimWhileStripeFails places an order of buyer's for 20 dollars and has
// buyer pay it with token while Stripe answers every charge with status
// and an api_error saying message, failing unless the payment is refused
// as unavailable: its claim is left for a sweep to settle. It returns the
// order's id.
func (f *fn) claimWhileStripeFails(status int, message, token string) string {
	f.tb.Helper()
	f.stripe.Answer(anyCharge, status, `{"error":{"type":"api_error","message":"`+message+`"}}`)
	orderID := f.placeOrder("buyer", 20)
	httpxtest.WantError(f.tb, f.user("buyer").pay(orderID, token), http.StatusServiceUnavailable, "Payment service unavailable", "")
	return orderID
}

// declined is Stripe's answer to a declined card.
const declined = `{"error":{"type":"card_error","code":"card_declined","decline_code":"generic_decline",` +
	`"message":"Your card was declined.","charge":"ch_declined"}}`

// fn is one payments function under test, with its store, clock, broker
// and Stripe.
type fn struct {
	eventingtest.Receiver // delivers events to its /events

	tb     testing.TB
	f      *payments.Function
	h      http.Handler
	db     store.Store
	clock  *testenv.Clock
	sink   *sink
	stripe *stripetest.Proxy // nil when the test gave its own Stripe URL
	tokens *sharedauth.Tokens
}

type settings struct {
	cfg        payments.Config
	deps       payments.Deps
	noRelay    bool
	sweepEvery time.Duration
	clock      *testenv.Clock
	sink       *sink
}

type option func(*settings)

func withStore(db store.Store) option { return func(s *settings) { s.deps.Store = db } }

// withStripeAt points the function at a Stripe of the test's own.
func withStripeAt(base string) option { return func(s *settings) { s.cfg.StripeAPIBase = base } }

// sweepingEvery makes Run sweep on a ticker, as the embedded stack runs it.
func sweepingEvery(d time.Duration) option { return func(s *settings) { s.sweepEvery = d } }

// withoutRelay leaves the outbox unsent and Run unstarted: only the store
// says what was recorded, and refunds wait for a sweep.
func withoutRelay(s *settings) { s.noRelay = true }

// sharing gives the function another's clock and broker, as replicas of
// one function share them.
func sharing(other *fn) option {
	return func(s *settings) { s.clock, s.sink = other.clock, other.sink }
}

// openSQLite returns an empty SQLite store in a temporary folder.
func openSQLite(tb testing.TB) store.Store { return storetest.OpenTempSQLite(tb, "payments") }

// openSQLiteAt opens the SQLite store in the file at path, as one replica does.
func openSQLiteAt(tb testing.TB, path string) store.Store {
	tb.Helper()
	return storetest.OpenSQLite(tb, path)
}

// newFn returns the payments function on a fresh SQLite store and a
// recording proxy in front of stripe-mock, unless options give others,
// running (relay and refunds) until the test ends.
func newFn(tb testing.TB, opts ...option) *fn {
	tb.Helper()
	s := &settings{cfg: payments.Config{
		JWTKey:               testenv.JWTKey,
		StripeKey:            testenv.StripeMockKey,
		StripePublishableKey: testPublishableKey,
		StripeWebhookSecret:  testWebhookSecret,
	}}
	for _, o := range opts {
		o(s)
	}
	var proxy *stripetest.Proxy
	if s.cfg.StripeAPIBase == "" {
		proxy = stripetest.Start(tb)
		s.cfg.StripeAPIBase = proxy.URL
	}
	if s.clock == nil {
		s.clock = testenv.NewClock(t0)
	}
	if s.sink == nil {
		s.sink = startSink(tb)
	}
	if s.deps.Store == nil {
		s.deps.Store = openSQLite(tb)
	}
	s.deps.Sink, s.deps.Outbox, s.deps.Now = s.sink.URL, eventingtest.FastOutbox(), s.clock.Now
	s.deps.Outbox.SweepEvery = s.sweepEvery
	s.deps.Events = eventingtest.Member(tb, "payments")
	s.deps.Logger = slog.New(slog.DiscardHandler)
	f, err := payments.New(s.cfg, s.deps)
	if err != nil {
		tb.Fatal(err)
	}
	if !s.noRelay {
		testenv.Background(tb, f.Run)
	}
	return &fn{
		tb: tb, f: f, h: f.Handler(), db: s.deps.Store, clock: s.clock, sink: s.sink,
		stripe: proxy, tokens: authtest.NewTokens(tb, testenv.JWTKey, s.clock.Now),
		Receiver: eventingtest.Serve(tb, "payments", f.Handler()),
	}
}

// response is an answer, read whole.
type response = httpxtest.Response

// serve sends one request to the function.
func (f *fn) serve(req *http.Request) response { return httpxtest.Serve(f.h, req) }

// user is someone signed in to the function (authtest.User).
type user struct {
	authtest.User
	f *fn
}

func (f *fn) user(id string) *user {
	return &user{User: authtest.User{TB: f.tb, Handler: f.h, Tokens: f.tokens, ID: id}, f: f}
}

// pay posts a charge of orderID with token.
func (u *user) pay(orderID, token string) response {
	u.f.tb.Helper()
	b, _ := json.Marshal(map[string]string{"orderId": orderID, "token": token})
	return u.Post("/api/payments", string(b))
}

// mustPay pays orderID with tok_visa, failing unless the payment is created.
func (u *user) mustPay(orderID string) paymentBody {
	u.f.tb.Helper()
	res := u.pay(orderID, "tok_visa")
	if res.Code != http.StatusCreated {
		u.f.tb.Fatalf("pay %s as %s: %d %s, want 201", orderID, u.ID, res.Code, res.Body)
	}
	return paymentOf(u.f.tb, res.Body)
}

// intent posts a PaymentIntent request for orderID.
func (u *user) intent(orderID string) response {
	u.f.tb.Helper()
	b, _ := json.Marshal(map[string]string{"orderId": orderID})
	return u.Post("/api/payments/intents", string(b))
}

// paymentBody is a payment as the API answers it.
type paymentBody struct {
	ID       string `json:"id"`
	OrderID  string `json:"orderId"`
	StripeID string `json:"stripeId"`
}

// paymentOf decodes a payment, refusing any other field.
func paymentOf(tb testing.TB, body []byte) paymentBody {
	tb.Helper()
	var p paymentBody
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil || p.ID == "" || p.OrderID == "" || p.StripeID == "" {
		tb.Fatalf("body %s is not a payment: %v", body, err)
	}
	return p
}

// orderCreated returns the order.created of a new order of buyerID for
// price dollars, open until t0 plus the window.
func orderCreated(tb testing.TB, id, buyerID string, price float64) event.Event {
	tb.Helper()
	return eventingtest.Event(tb, eventing.NewOrderCreated, eventing.OrderCreated{
		ID: id, Version: 0, Status: "created", UserID: buyerID, ExpiresAt: t0.Add(window),
		Ticket: eventing.OrderCreatedTicket{ID: "tkt-" + id, Price: price, Reservation: 1},
	})
}

// orderCancelled returns the order.cancelled of order id at version.
func orderCancelled(tb testing.TB, id string, version int) event.Event {
	tb.Helper()
	return eventingtest.Event(tb, eventing.NewOrderCancelled, eventing.OrderCancelled{
		ID: id, Version: version, Reason: "buyer", Ticket: eventing.OrderCancelledTicket{ID: "tkt-" + id, Reservation: 1},
	})
}

// orderCompleted returns the order.completed of order id of buyerID at version.
func orderCompleted(tb testing.TB, id, buyerID string, price float64, version int) event.Event {
	tb.Helper()
	return eventingtest.Event(tb, eventing.NewOrderCompleted, eventing.OrderCompleted{
		ID: id, Version: version, UserID: buyerID,
		Ticket: eventing.OrderCompletedTicket{ID: "tkt-" + id, Title: "Concert", Price: price, Reservation: 1},
	})
}

// placeOrder puts a new order of buyerID for price dollars into the
// replica, through an order.created delivery, and returns its id.
func (f *fn) placeOrder(buyerID string, price float64) string {
	f.tb.Helper()
	id := payment.NewID()
	f.MustDeliver(orderCreated(f.tb, id, buyerID, price))
	return id
}

// paidOrder places an order of buyer for price dollars and has buyer pay
// it with tok_visa, failing unless the payment is created; it returns the
// order's id and the payment.
func (f *fn) paidOrder(price float64) (string, paymentBody) {
	f.tb.Helper()
	id := f.placeOrder("buyer", price)
	return id, f.user("buyer").mustPay(id)
}

// stored returns the function's store package on its database, for tests
// that read what was stored.
func (f *fn) stored() *paymentsstore.Store {
	f.tb.Helper()
	return paymentsstore.New(f.db, eventingtest.Unrelayed(f.tb, f.db))
}

// ledger returns what the function holds about orderID.
func (f *fn) ledger(orderID string) *payment.Ledger {
	f.tb.Helper()
	l, err := f.stored().Ledger(context.Background(), orderID)
	if err != nil {
		f.tb.Fatal(err)
	}
	return l
}

// counts returns how many documents each collection holds.
func (f *fn) counts() map[string]int {
	f.tb.Helper()
	return storetest.Counts(f.tb, f.db, paymentsstore.Collections())
}

// wantUnchanged fails unless the store holds as many documents as before.
func (f *fn) wantUnchanged(before map[string]int) {
	f.tb.Helper()
	storetest.WantSameCounts(f.tb, "the test", before, f.counts())
}

// sweep posts to the payments sweep and returns its answer.
func (f *fn) sweep() (payments.SweepResult, int) {
	f.tb.Helper()
	res := f.serve(eventingtest.Authorize(httptest.NewRequest(http.MethodPost, payments.SweepPath, nil),
		eventingtest.SweepToken(f.tb, "payments")))
	var out payments.SweepResult
	if res.Code == http.StatusOK {
		if err := json.Unmarshal(res.Body, &out); err != nil {
			f.tb.Fatalf("sweep answered %s: %v", res.Body, err)
		}
	}
	return out, res.Code
}

// intentEvent returns a Stripe event of type typ about PaymentIntent piID
// of amount cents for orderID, at apiVersion, as Stripe posts it.
func intentEvent(eventID, typ, piID, orderID string, amount int64, apiVersion string) []byte {
	b, _ := json.Marshal(map[string]any{
		"id": eventID, "object": "event", "api_version": apiVersion, "created": t0.Unix(), "type": typ,
		"livemode": false, "pending_webhooks": 1,
		"data": map[string]any{"object": map[string]any{
			"id": piID, "object": "payment_intent", "amount": amount, "amount_received": amount,
			"currency": "usd", "status": "succeeded", "metadata": map[string]string{"orderId": orderID},
		}},
	})
	return b
}

// succeeded returns a payment_intent.succeeded for orderID at the API
// version stripe-go decodes.
func succeeded(eventID, piID, orderID string, amount int64) []byte {
	return intentEvent(eventID, "payment_intent.succeeded", piID, orderID, amount, stripe.APIVersion)
}

// signature returns the Stripe-Signature header of payload signed with
// secret at signedAt.
func signature(payload []byte, secret string, signedAt time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: signedAt}).Header
}

// postWebhook posts payload to the webhook signed with secret at signedAt,
// as Stripe does.
func (f *fn) postWebhook(payload []byte, secret string, signedAt time.Time) response {
	f.tb.Helper()
	return f.sendWebhook(payload, "application/json; charset=utf-8", signature(payload, secret, signedAt))
}

// sendWebhook posts body to the webhook as contentType, with sig as its
// Stripe-Signature unless sig is empty.
func (f *fn) sendWebhook(body []byte, contentType, sig string) response {
	f.tb.Helper()
	req := httptest.NewRequest(http.MethodPost, "/api/payments/webhook", bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	if sig != "" {
		req.Header.Set("Stripe-Signature", sig)
	}
	return f.serve(req)
}

// mustWebhook posts payload signed now with the function's secret and
// fails unless it is taken.
func (f *fn) mustWebhook(payload []byte) {
	f.tb.Helper()
	if res := f.postWebhook(payload, testWebhookSecret, time.Now()); res.Code != http.StatusOK {
		f.tb.Fatalf("webhook: %d %s, want 200", res.Code, res.Body)
	}
}

// closedURL returns the URL of a loopback port nothing listens on.
func closedURL(tb testing.TB) string {
	tb.Helper()
	port, err := testenv.FreePort()
	if err != nil {
		tb.Fatal(err)
	}
	return fmt.Sprintf("http://127.0.0.1:%d", port)
}
