package payouts_test

import (
	"bytes"
	"context"
	"encoding/json"
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
	"github.com/buytickets/buytickets/functions/payouts"
	"github.com/buytickets/buytickets/functions/payouts/internal/payout"
	payoutsstore "github.com/buytickets/buytickets/functions/payouts/internal/store"
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
	testKey           = "test-key-0123456789abcdef0123456"
	testWebhookSecret = "whsec_test_connect"
	testPublicURL     = "https://shop.example"
	delay             = 72 * time.Hour
)

// t0 is when every test starts.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// eventually is how long a test waits for what Run does in the background.
const eventually = 20 * time.Second

func anyTransfer(c stripetest.Call) bool { return c.Path == "/v1/transfers" }

// fn is one payouts function under test, with its store, clock, broker and
// Stripe.
type fn struct {
	eventingtest.Receiver

	tb     testing.TB
	f      *payouts.Function
	h      http.Handler
	db     store.Store
	clock  *testenv.Clock
	sink   *eventingtest.Broker
	stripe *stripetest.Proxy
	tokens *sharedauth.Tokens
}

type settings struct {
	cfg     payouts.Config
	deps    payouts.Deps
	noRun   bool
	clock   *testenv.Clock
	sink    *eventingtest.Broker
	stripe  *stripetest.Proxy
	storeAt store.Store
}

type option func(*settings)

func withStore(db store.Store) option { return func(s *settings) { s.storeAt = db } }

// withoutRun leaves Run unstarted: only the requests, deliveries and
// sweeps of the test release payouts.
func withoutRun(s *settings) { s.noRun = true }

// sharing gives the function another's store, clock, broker and Stripe, as
// replicas of one function share them.
func sharing(other *fn) option {
	return func(s *settings) {
		s.clock, s.sink, s.stripe, s.storeAt = other.clock, other.sink, other.stripe, other.db
	}
}

func newFn(tb testing.TB, opts ...option) *fn {
	tb.Helper()
	s := &settings{cfg: payouts.Config{
		JWTKey: testKey, StripeKey: testenv.StripeMockKey, StripeConnectWebhookSecret: testWebhookSecret,
		PublicURL: testPublicURL, FeePercent: payouts.DefaultFeePercent, Delay: delay,
	}}
	for _, o := range opts {
		o(s)
	}
	if s.stripe == nil {
		s.stripe = stripetest.Start(tb)
	}
	if s.clock == nil {
		s.clock = testenv.NewClock(t0)
	}
	if s.sink == nil {
		s.sink = eventingtest.NewBroker(tb)
	}
	if s.storeAt == nil {
		s.storeAt = storetest.OpenTempSQLite(tb, "payouts")
	}
	s.cfg.StripeAPIBase = s.stripe.URL
	s.deps.Store, s.deps.Sink, s.deps.Outbox, s.deps.Now = s.storeAt, s.sink.URL, eventingtest.FastOutbox(), s.clock.Now
	s.deps.Events = eventingtest.Member(tb, "payouts")
	s.deps.Logger = slog.New(slog.DiscardHandler)
	f, err := payouts.New(s.cfg, s.deps)
	if err != nil {
		tb.Fatal(err)
	}
	if !s.noRun {
		testenv.Background(tb, f.Run)
	}
	return &fn{
		tb: tb, f: f, h: f.Handler(), db: s.storeAt, clock: s.clock, sink: s.sink, stripe: s.stripe,
		tokens: authtest.NewTokens(tb, testKey, s.clock.Now), Receiver: eventingtest.Serve(tb, "payouts", f.Handler()),
	}
}

type response = httpxtest.Response

var wantError = httpxtest.WantError

func (f *fn) user(id string) authtest.User {
	return authtest.User{TB: f.tb, Handler: f.h, Tokens: f.tokens, ID: id}
}

// onboard has seller onboard, failing unless a link is answered.
func (f *fn) onboard(seller string) string {
	f.tb.Helper()
	res := f.user(seller).Post("/api/payouts/onboarding", "")
	var body struct{ URL string }
	if res.Code != http.StatusCreated || json.Unmarshal(res.Body, &body) != nil || body.URL == "" {
		f.tb.Fatalf("onboarding %s: %d %s, want 201 {url}", seller, res.Code, res.Body)
	}
	return body.URL
}

// accountBody is GET /api/payouts/account's answer.
type accountBody struct {
	AccountID      string `json:"accountId"`
	PayoutsEnabled bool   `json:"payoutsEnabled"`
}

func (f *fn) account(seller string) (accountBody, int) {
	f.tb.Helper()
	res := f.user(seller).Get("/api/payouts/account")
	var a accountBody
	if res.Code == http.StatusOK {
		if err := json.Unmarshal(res.Body, &a); err != nil {
			f.tb.Fatal(err)
		}
	}
	return a, res.Code
}

// ready onboards seller and has Stripe say their account can receive
// payouts; it returns the account's id.
func (f *fn) ready(seller string) string {
	f.tb.Helper()
	f.onboard(seller)
	a, _ := f.account(seller)
	f.mustWebhook(accountUpdated("evt_ready_"+seller, a.AccountID, seller, true, time.Now()))
	return a.AccountID
}

// payoutBody is one payout of GET /api/payouts.
type payoutBody struct {
	ID         string    `json:"id"`
	OrderID    string    `json:"orderId"`
	Amount     int64     `json:"amount"`
	Fee        int64     `json:"fee"`
	Currency   string    `json:"currency"`
	Status     string    `json:"status"`
	ReleaseAt  time.Time `json:"releaseAt"`
	TransferID string    `json:"transferId"`
	Reason     string    `json:"reason"`
}

func (f *fn) payouts(seller string) []payoutBody {
	f.tb.Helper()
	res := f.user(seller).Get("/api/payouts")
	var list []payoutBody
	dec := json.NewDecoder(bytes.NewReader(res.Body))
	dec.DisallowUnknownFields()
	if res.Code != http.StatusOK || dec.Decode(&list) != nil {
		f.tb.Fatalf("GET /api/payouts: %d %s", res.Code, res.Body)
	}
	return list
}

// payoutOf returns seller's one payout of orderID.
func (f *fn) payoutOf(seller, orderID string) payoutBody {
	f.tb.Helper()
	var found []payoutBody
	for _, p := range f.payouts(seller) {
		if p.OrderID == orderID {
			found = append(found, p)
		}
	}
	if len(found) != 1 {
		f.tb.Fatalf("%d payouts of order %s, want 1", len(found), orderID)
	}
	return found[0]
}

// The events payouts hears.
func completed(tb testing.TB, orderID, seller string, price float64) event.Event {
	return eventingtest.Event(tb, eventing.NewOrderCompleted, eventing.OrderCompleted{
		ID: orderID, Version: 2, UserID: "buyer", BuyerEmail: "buyer@example.com", SellerID: seller,
		Ticket: eventing.OrderCompletedTicket{ID: "tkt-" + orderID, Title: "Concert", Price: price, Reservation: 1},
	})
}

func paid(tb testing.TB, orderID, stripeID string) event.Event {
	return eventingtest.Event(tb, eventing.NewPaymentCreated, eventing.PaymentCreated{
		ID: "pay-" + orderID, OrderID: orderID, StripeID: stripeID, Amount: 2000, Currency: "usd",
	})
}

func checkedIn(tb testing.TB, orderID string, at time.Time) event.Event {
	return eventingtest.Event(tb, eventing.NewETicketCheckedIn, eventing.ETicketCheckedIn{Code: "code-" + orderID, OrderID: orderID, CheckedInAt: at})
}

func refunded(tb testing.TB, orderID, stripeID string) event.Event {
	return eventingtest.Event(tb, eventing.NewPaymentRefunded, eventing.PaymentRefunded{
		ID: "pay-" + orderID, OrderID: orderID, StripeID: stripeID, Amount: 2000, Currency: "usd", Reason: "refunded at Stripe",
	})
}

// sale delivers a completed order of seller for price dollars, paid with
// the charge chargeID, and returns the order's id.
func (f *fn) sale(seller string, price float64, chargeID string) string {
	f.tb.Helper()
	orderID := payout.NewID()
	f.MustDeliver(paid(f.tb, orderID, chargeID))
	f.MustDeliver(completed(f.tb, orderID, seller, price))
	return orderID
}

// sweep posts to the payouts sweep and returns its answer.
func (f *fn) sweep() (payouts.SweepResult, int) {
	f.tb.Helper()
	res := httpxtest.Serve(f.h, eventingtest.Authorize(httptest.NewRequest(http.MethodPost, payouts.SweepPath, nil),
		eventingtest.SweepToken(f.tb, "payouts")))
	var out payouts.SweepResult
	if res.Code == http.StatusOK {
		if err := json.Unmarshal(res.Body, &out); err != nil {
			f.tb.Fatalf("sweep answered %s: %v", res.Body, err)
		}
	}
	return out, res.Code
}

// ledger returns what the function holds about orderID.
func (f *fn) ledger(orderID string) *payout.Ledger {
	f.tb.Helper()
	l, err := payoutsstore.New(f.db, eventingtest.Unrelayed(f.tb, f.db), f.clock.Now).Ledger(context.Background(), orderID)
	if err != nil {
		f.tb.Fatal(err)
	}
	return l
}

// released returns the payout.released events about orderID the broker
// received, once each.
func (f *fn) released(orderID string) []eventing.PayoutReleased {
	f.tb.Helper()
	var out []eventing.PayoutReleased
	for _, ev := range eventingtest.Distinct(f.sink.Events()) {
		if ev.Type() != eventing.TypePayoutReleased {
			continue
		}
		if p := eventingtest.Decode[eventing.PayoutReleased](f.tb, ev); p.OrderID == orderID {
			out = append(out, p)
		}
	}
	return out
}

// accountUpdated returns Stripe's account.updated of the connected account
// accountID of seller, as Stripe posts it.
func accountUpdated(eventID, accountID, seller string, enabled bool, at time.Time) []byte {
	b, _ := json.Marshal(map[string]any{
		"id": eventID, "object": "event", "api_version": stripe.APIVersion, "created": at.Unix(), "type": "account.updated",
		"livemode": false, "pending_webhooks": 1,
		"data": map[string]any{"object": map[string]any{
			"id": accountID, "object": "account", "type": "express", "payouts_enabled": enabled, "charges_enabled": enabled,
			"metadata": map[string]string{"userId": seller},
		}},
	})
	return b
}

func signature(payload []byte, secret string, signedAt time.Time) string {
	return webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: signedAt}).Header
}

// postWebhook posts payload to the webhook, signed with secret at signedAt
// unless secret is empty.
func (f *fn) postWebhook(payload []byte, secret string, signedAt time.Time) response {
	f.tb.Helper()
	req := httptest.NewRequest(http.MethodPost, "/api/payouts/webhook", bytes.NewReader(payload))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	if secret != "" {
		req.Header.Set("Stripe-Signature", signature(payload, secret, signedAt))
	}
	return httpxtest.Serve(f.h, req)
}

func (f *fn) mustWebhook(payload []byte) {
	f.tb.Helper()
	if res := f.postWebhook(payload, testWebhookSecret, time.Now()); res.Code != http.StatusOK {
		f.tb.Fatalf("webhook: %d %s, want 200", res.Code, res.Body)
	}
}

// sweepZero is the result of a sweep that did nothing.
func (f *fn) sweepZero() payouts.SweepResult { return payouts.SweepResult{} }
