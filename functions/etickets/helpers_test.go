package etickets_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/functions/etickets"
	"github.com/buytickets/buytickets/shared/auth/authtest"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/storetest"
	"github.com/buytickets/buytickets/shared/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// t0 is when every test starts.
var t0 = testenv.Epoch

// fn is one etickets function under test, served over HTTP as the broker
// reaches it, with its store, clock and the broker its outbox sends to.
type fn struct {
	eventingtest.Receiver
	h      http.Handler
	db     store.Store
	clock  *testenv.Clock
	broker *eventingtest.Broker
	seed   []byte
}

// newFn returns the etickets function on db (a fresh SQLite store when
// nil), relaying to a new broker until the test ends.
func newFn(tb testing.TB, db store.Store) *fn {
	tb.Helper()
	if db == nil {
		db = storetest.OpenSQLite(tb, filepath.Join(tb.TempDir(), "etickets.db"))
	}
	seed := make([]byte, ed25519.SeedSize)
	rand.Read(seed)
	c := testenv.NewClock(t0)
	b := eventingtest.NewBroker(tb)
	f, err := etickets.New(etickets.Config{JWTKey: testenv.JWTKey, SigningKey: base64.StdEncoding.EncodeToString(seed)}, etickets.Deps{
		Store: db, Sink: b.URL, Outbox: eventingtest.FastOutbox(), Events: eventingtest.Member(tb, "etickets"),
		Now: c.Now, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		tb.Fatal(err)
	}
	testenv.Background(tb, f.Run)
	srv := httptest.NewServer(f.Handler())
	tb.Cleanup(srv.Close)
	return &fn{
		Receiver: eventingtest.Receiver{TB: tb, URL: srv.URL, Function: "etickets"},
		h:        f.Handler(), db: db, clock: c, broker: b, seed: seed,
	}
}

// user is someone signed in as id ("" for signed out).
func (f *fn) user(id string) authtest.User {
	return authtest.User{TB: f.TB, Handler: f.h, Tokens: authtest.NewTokens(f.TB, testenv.JWTKey, f.clock.Now), ID: id}
}

// newOrderID returns an order id of the shape orders gives.
func newOrderID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// completed is the order.completed of orderID: buyer bought the seller's
// "Concert" at $20.50.
func completed(tb testing.TB, orderID string) event.Event {
	return eventingtest.Event(tb, eventing.NewOrderCompleted, eventing.OrderCompleted{
		ID: orderID, Version: 1, UserID: "buyer", BuyerEmail: "buyer@example.com", SellerID: "seller",
		Ticket: eventing.OrderCompletedTicket{ID: "t-" + orderID, Title: "Concert", Price: 20.5, Reservation: 1},
	})
}

// refunded is a payment.refunded of orderID.
func refunded(tb testing.TB, orderID string) event.Event {
	return eventingtest.Event(tb, eventing.NewPaymentRefunded, eventing.PaymentRefunded{
		ID: "p-" + orderID, OrderID: orderID, StripeID: "ch_1", Amount: 2050, Currency: "usd", Reason: "requested_by_customer",
	})
}

// eticketBody is an e-ticket as the API shows it.
type eticketBody struct {
	Code        string                `json:"code"`
	OrderID     string                `json:"orderId"`
	TicketID    string                `json:"ticketId"`
	Title       string                `json:"title"`
	Status      string                `json:"status"`
	IssuedAt    time.Time             `json:"issuedAt"`
	CheckedInAt *time.Time            `json:"checkedInAt"`
	Event       *eventing.TicketEvent `json:"event"`
	Seat        *eventing.TicketSeat  `json:"seat"`
}

// held returns the e-tickets user holds, failing unless the answer is 200.
func (f *fn) held(user string) []eticketBody {
	f.TB.Helper()
	res := f.user(user).Get("/api/etickets")
	if res.Code != http.StatusOK {
		f.TB.Fatalf("GET /api/etickets as %s: %d %s", user, res.Code, res.Body)
	}
	var list []eticketBody
	if err := json.Unmarshal(res.Body, &list); err != nil {
		f.TB.Fatalf("GET /api/etickets: %v in %s", err, res.Body)
	}
	return list
}

// issue delivers the order.completed of a new order and returns the buyer's
// e-ticket for it.
func (f *fn) issue() eticketBody {
	f.TB.Helper()
	orderID := newOrderID()
	f.MustDeliver(completed(f.TB, orderID))
	for _, e := range f.held("buyer") {
		if e.OrderID == orderID {
			return e
		}
	}
	f.TB.Fatalf("no e-ticket for order %s", orderID)
	return eticketBody{}
}

// checkIn posts a check-in of code as user.
func (f *fn) checkIn(user, code string) httpxtest.Response {
	f.TB.Helper()
	b, _ := json.Marshal(map[string]string{"code": code})
	return f.user(user).Post("/api/checkins", string(b))
}

// sign returns the code of orderID signed with the function's key, by the
// format the README documents, for an order the function never saw.
func (f *fn) sign(orderID string) string {
	id, err := hex.DecodeString(orderID)
	if err != nil {
		f.TB.Fatal(err)
	}
	payload := append([]byte{1}, id...)
	sig := ed25519.Sign(ed25519.NewKeyFromSeed(f.seed), append([]byte("buytickets e-ticket\x00"), payload...))
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(append(payload, sig...))
}
