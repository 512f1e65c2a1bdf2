package orders_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/functions/orders"
	"github.com/buytickets/buytickets/functions/orders/internal/order"
	"github.com/buytickets/buytickets/functions/orders/internal/reservation"
	ordersstore "github.com/buytickets/buytickets/functions/orders/internal/store"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
	"github.com/buytickets/buytickets/shared/auth/authtest"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/storetest"
	"github.com/buytickets/buytickets/shared/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// t0 is when every test starts.
var t0 = testenv.Epoch

// window is the default expiration window.
const window = 15 * time.Minute

// eventually is how long a test waits for the outbox's sends.
const eventually = 20 * time.Second

// sink stands in for the broker: it records every event the outbox sends.
type sink = eventingtest.Broker

// fn is one orders function under test, with its store, clock and broker.
type fn struct {
	eventingtest.Receiver // delivers events to its /events

	tb     testing.TB
	f      *orders.Function
	h      http.Handler
	db     store.Store
	clock  *testenv.Clock
	sink   *sink
	tokens *sharedauth.Tokens
}

// openSQLite returns an empty SQLite store in a temporary folder.
func openSQLite(tb testing.TB) store.Store { return storetest.OpenTempSQLite(tb, "orders") }

// openSQLiteAt opens the SQLite store in the file at path, as one replica does.
func openSQLiteAt(tb testing.TB, path string) store.Store {
	tb.Helper()
	return storetest.OpenSQLite(tb, path)
}

type settings struct {
	cfg     orders.Config
	deps    orders.Deps
	noRelay bool
	clock   *testenv.Clock
	sink    *sink
}

type option func(*settings)

func withWindow(d time.Duration) option { return func(s *settings) { s.cfg.ExpirationWindow = d } }

func withStore(db store.Store) option { return func(s *settings) { s.deps.Store = db } }

// withoutRelay leaves the outbox unsent: only the store says what was recorded.
func withoutRelay(s *settings) { s.noRelay = true }

// sharing gives the function another's clock and broker, as replicas of
// one function share them.
func sharing(other *fn) option {
	return func(s *settings) { s.clock, s.sink = other.clock, other.sink }
}

// newFn returns the orders function on a fresh SQLite store, unless an
// option gives another, relaying its outbox to a recording broker until the
// test ends.
func newFn(tb testing.TB, opts ...option) *fn {
	tb.Helper()
	s := &settings{cfg: orders.Config{JWTKey: testenv.JWTKey}}
	for _, o := range opts {
		o(s)
	}
	if s.clock == nil {
		s.clock = testenv.NewClock(t0)
	}
	if s.sink == nil {
		s.sink = eventingtest.NewBroker(tb)
	}
	if s.deps.Store == nil {
		s.deps.Store = openSQLite(tb)
	}
	s.deps.Sink, s.deps.Outbox, s.deps.Now = s.sink.URL, eventingtest.FastOutbox(), s.clock.Now
	s.deps.Events = eventingtest.Member(tb, "orders")
	s.deps.Logger = slog.New(slog.DiscardHandler)
	f, err := orders.New(s.cfg, s.deps)
	if err != nil {
		tb.Fatal(err)
	}
	if !s.noRelay {
		testenv.Background(tb, f.Run)
	}
	tokens := authtest.NewTokens(tb, testenv.JWTKey, s.clock.Now)
	return &fn{Receiver: eventingtest.Serve(tb, "orders", f.Handler()), tb: tb, f: f, h: f.Handler(), db: s.deps.Store, clock: s.clock, sink: s.sink, tokens: tokens}
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

// orderTicket posts an order for ticketID.
func (u *user) orderTicket(ticketID string) response {
	u.f.tb.Helper()
	b, _ := json.Marshal(map[string]string{"ticketId": ticketID})
	return u.Post("/api/orders", string(b))
}

// mustOrder orders ticketID and returns the order, failing unless it is created.
func (u *user) mustOrder(ticketID string) orderBody {
	u.f.tb.Helper()
	res := u.orderTicket(ticketID)
	if res.Code != http.StatusCreated {
		u.f.tb.Fatalf("order %s as %s: %d %s, want 201", ticketID, u.ID, res.Code, res.Body)
	}
	return orderOf(u.f.tb, res.Body)
}

// ordered lists a ticket of seller's, Concert at 20, and has buyerID
// order it, failing unless the order is created; it returns the ticket's
// id and the order.
func (f *fn) ordered(buyerID string) (string, orderBody) {
	f.tb.Helper()
	ticketID := f.listTicket("seller", "Concert", 20)
	return ticketID, f.user(buyerID).mustOrder(ticketID)
}

// show gets order id, failing unless it is answered.
func (u *user) show(id string) orderBody {
	u.f.tb.Helper()
	res := u.Get("/api/orders/" + id)
	if res.Code != http.StatusOK {
		u.f.tb.Fatalf("GET order %s as %s: %d %s", id, u.ID, res.Code, res.Body)
	}
	return orderOf(u.f.tb, res.Body)
}

// orderBody is an order as the API answers it.
type orderBody struct {
	ID        string `json:"id"`
	UserID    string `json:"userId"`
	Status    string `json:"status"`
	ExpiresAt string `json:"expiresAt"`
	CreatedAt string `json:"createdAt"`
	Ticket    struct {
		ID    string               `json:"id"`
		Title string               `json:"title"`
		Price float64              `json:"price"`
		Event eventing.TicketEvent `json:"event"`
		Seat  eventing.TicketSeat  `json:"seat"`
	} `json:"ticket"`
	Version      int    `json:"version"`
	CancelReason string `json:"cancelReason,omitempty"`
}

// orderOf decodes an order, refusing any other field and times that are not
// RFC 3339 in UTC.
func orderOf(tb testing.TB, body []byte) orderBody {
	tb.Helper()
	var o orderBody
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&o); err != nil || o.ID == "" {
		tb.Fatalf("body %s is not an order: %v", body, err)
	}
	for _, s := range []string{o.ExpiresAt, o.CreatedAt} {
		if _, err := time.Parse(time.RFC3339, s); err != nil || !strings.HasSuffix(s, "Z") {
			tb.Errorf("time %q is not RFC 3339 in UTC", s)
		}
	}
	return o
}

// at parses an RFC 3339 time of a body.
func at(tb testing.TB, s string) time.Time {
	tb.Helper()
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// newTicketID returns an id as the tickets function might give one.
func newTicketID() string { return "tkt" + strings.ToLower(rand.Text()) }

// created returns a ticket.created event.
func created(tb testing.TB, id, sellerID, title string, price float64) event.Event {
	tb.Helper()
	return eventingtest.Event(tb, eventing.NewTicketCreated, eventing.TicketCreated{
		ID: id, Version: 0, Title: title, Price: price, UserID: sellerID, CreatedAt: t0.Add(-time.Hour),
	})
}

// updated returns a ticket.updated event at version.
func updated(tb testing.TB, id, sellerID, title string, price float64, status string, version int) event.Event {
	tb.Helper()
	return eventingtest.Event(tb, eventing.NewTicketUpdated, eventing.TicketUpdated{
		ID: id, Version: version, Title: title, Price: price, UserID: sellerID, Status: status,
	})
}

// listTicket puts a new ticket of sellerID into the replica, through a
// ticket.created delivery, and returns its id.
func (f *fn) listTicket(sellerID, title string, price float64) string {
	f.tb.Helper()
	id := newTicketID()
	f.MustDeliver(created(f.tb, id, sellerID, title, price))
	return id
}

// stored returns the function's store package on its database, for tests
// that read what was stored or write what a later event would.
func (f *fn) stored() *ordersstore.Store {
	f.tb.Helper()
	return ordersstore.New(f.db, eventingtest.Unrelayed(f.tb, f.db))
}

// wantReservation fails unless ticketID's reservation is number counter,
// held by orderID ("" when released).
func (f *fn) wantReservation(ticketID string, counter int, orderID string) {
	f.tb.Helper()
	want := reservation.Reservation{TicketID: ticketID, Counter: counter, OrderID: orderID}
	if r, err := f.stored().Reservation(context.Background(), ticketID); err != nil || r != want {
		f.tb.Errorf("reservation %+v, %v; want %+v", r, err, want)
	}
}

// complete completes order id through the store, as payment.created does.
func (f *fn) complete(id string) {
	f.tb.Helper()
	_, err := f.stored().UpdateOrder(context.Background(), id, func(o *order.Order, _ *reservation.Reservation) ([]event.Event, error) {
		return nil, o.Complete(f.clock.Now())
	})
	if err != nil {
		f.tb.Fatal(err)
	}
}

// counts returns how many documents each collection holds.
func (f *fn) counts() map[string]int {
	f.tb.Helper()
	return storetest.Counts(f.tb, f.db, ordersstore.Collections())
}

// entityVersion returns the entityversion of ev.
func entityVersion(tb testing.TB, ev event.Event) int {
	tb.Helper()
	v, err := eventing.EntityVersion(ev)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}
