package tickets_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/functions/tickets"
	ticketstore "github.com/buytickets/buytickets/functions/tickets/internal/store"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
	"github.com/buytickets/buytickets/shared/auth/authtest"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/storetest"
	"github.com/buytickets/buytickets/shared/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// t0 is when every test starts.
var t0 = testenv.Epoch

// waitFor bounds every wait for the outbox's eventual sends.
const waitFor = 15 * time.Second

// sink stands in for the broker's ingress: it keeps every event the outbox
// sends and answers what it is told (202 until told otherwise).
type sink struct{ *eventingtest.Broker }

// await waits until the sink has taken the event of type typ about subject
// at entity version, and returns it.
func (s *sink) await(tb testing.TB, typ, subject string, version int) event.Event {
	tb.Helper()
	what := fmt.Sprintf("%s of %s at version %d", typ, subject, version)
	return s.Wait(tb, waitFor, what, func(ev event.Event) bool {
		v, err := eventing.EntityVersion(ev)
		return err == nil && v == version && ev.Type() == typ && ev.Subject() == subject
	})
}

// fn is one tickets function under test: its handler, served over HTTP
// too, its store, clock and sink, and its relay running.
type fn struct {
	eventingtest.Receiver // delivers events to its /events

	tb     testing.TB
	h      http.Handler
	db     store.Store
	clock  *testenv.Clock
	sink   *sink
	tokens *sharedauth.Tokens
}

// openSQLite returns an empty SQLite store in a temporary folder.
func openSQLite(tb testing.TB) store.Store { return storetest.OpenTempSQLite(tb, "tickets") }

type option func(*tickets.Deps)

func withStore(db store.Store) option { return func(d *tickets.Deps) { d.Store = db } }

// newFn returns the tickets function on a fresh SQLite store, unless an
// option gives another, relaying to a new sink until the test ends.
func newFn(tb testing.TB, opts ...option) *fn {
	tb.Helper()
	c := testenv.NewClock(t0)
	s := &sink{eventingtest.NewBroker(tb)}
	deps := tickets.Deps{
		Sink:   s.URL,
		Outbox: eventingtest.FastOutbox(),
		Events: eventingtest.Member(tb, "tickets"),
		Now:    c.Now,
		Logger: slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		o(&deps)
	}
	if deps.Store == nil {
		deps.Store = openSQLite(tb)
	}
	f, err := tickets.New(tickets.Config{JWTKey: testenv.JWTKey}, deps)
	if err != nil {
		tb.Fatal(err)
	}
	testenv.Background(tb, f.Run)
	tokens := authtest.NewTokens(tb, testenv.JWTKey, c.Now)
	return &fn{Receiver: eventingtest.Serve(tb, "tickets", f.Handler()), tb: tb, h: f.Handler(), db: deps.Store, clock: c, sink: s, tokens: tokens}
}

// response is an answer, read whole.
type response = httpxtest.Response

func (f *fn) serve(req *http.Request) response { return httpxtest.Serve(f.h, req) }

// client sends API requests as one user, or signed out when user is "".
type client struct {
	f       *fn
	session string
}

// as returns a client signed in as user, with a session auth would issue.
func (f *fn) as(user string) client {
	f.tb.Helper()
	return client{f: f, session: authtest.SessionCookie(f.tb, f.tokens, user).Value}
}

// anon returns a signed-out client.
func (f *fn) anon() client { return client{f: f} }

func (c client) do(method, path, body string) response {
	c.f.tb.Helper()
	req := httptest.NewRequest(method, path, nil)
	if body != "" {
		req = httpxtest.NewJSONRequest(method, path, body)
	}
	if c.session != "" {
		req.AddCookie(&http.Cookie{Name: sharedauth.SessionCookie, Value: c.session})
	}
	return c.f.serve(req)
}

func (c client) get(path string) response { c.f.tb.Helper(); return c.do(http.MethodGet, path, "") }
func (c client) post(path, body string) response {
	c.f.tb.Helper()
	return c.do(http.MethodPost, path, body)
}
func (c client) put(path, body string) response {
	c.f.tb.Helper()
	return c.do(http.MethodPut, path, body)
}

// details is a create or edit body.
func details(title string, price any) string {
	b, _ := json.Marshal(map[string]any{"title": title, "price": price})
	return string(b)
}

// ticketBody is a ticket as the API shows it.
type ticketBody struct {
	ID        string      `json:"id"`
	Title     string      `json:"title"`
	Price     json.Number `json:"price"`
	UserID    string      `json:"userId"`
	Status    string      `json:"status"`
	Version   int         `json:"version"`
	CreatedAt time.Time   `json:"createdAt"`
	OrderID   string      `json:"orderId"`
	FaceValue json.Number `json:"faceValue"`
	ResaleOf  string      `json:"resaleOf"`
	Event     eventJSON   `json:"event"`
	Seat      seatJSON    `json:"seat"`
}

// eventJSON is a ticket's event as the API shows it; zero when absent.
type eventJSON struct {
	Name     string    `json:"name"`
	Venue    string    `json:"venue"`
	City     string    `json:"city"`
	StartsAt time.Time `json:"startsAt"`
}

// seatJSON is a ticket's seat as the API shows it; zero when absent.
type seatJSON struct {
	Section string `json:"section"`
	Row     string `json:"row"`
	Number  string `json:"number"`
}

// decodeStrict decodes body into v, refusing any field v does not have.
func decodeStrict(tb testing.TB, body []byte, v any) {
	tb.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		tb.Fatalf("body %s is not a %T: %v", body, v, err)
	}
}

// ticketOf decodes a ticket answered with code.
func ticketOf(tb testing.TB, res response, code int) ticketBody {
	tb.Helper()
	if res.Code != code {
		tb.Fatalf("status %d %s, want %d", res.Code, res.Body, code)
	}
	var t ticketBody
	decodeStrict(tb, res.Body, &t)
	return t
}

// ticketsOf decodes a listing, which must be a JSON array.
func ticketsOf(tb testing.TB, res response) []ticketBody {
	tb.Helper()
	if res.Code != http.StatusOK {
		tb.Fatalf("status %d %s, want 200", res.Code, res.Body)
	}
	var page []ticketBody
	decodeStrict(tb, res.Body, &page)
	if page == nil {
		tb.Fatalf("listing %s is not an array", res.Body)
	}
	return page
}

// create lists a ticket as user, and fails unless it is created.
func (c client) create(title string, price any) ticketBody {
	c.f.tb.Helper()
	return ticketOf(c.f.tb, c.post("/api/tickets", details(title, price)), http.StatusCreated)
}

// ticket reads a ticket signed out.
func (f *fn) ticket(id string) ticketBody {
	f.tb.Helper()
	return ticketOf(f.tb, f.anon().get("/api/tickets/"+id), http.StatusOK)
}

// item is one entry of the error shape.
func item(message, field string) httpx.ErrorItem {
	return httpx.ErrorItem{Message: message, Field: field}
}

// counts returns how many documents each collection holds.
func (f *fn) counts() map[string]int {
	f.tb.Helper()
	return storetest.Counts(f.tb, f.db, ticketstore.Collections())
}

// wantRecorded fails unless the outbox holds n events, those that why names.
func (f *fn) wantRecorded(n int, why string) {
	f.tb.Helper()
	if got := f.counts()["outbox"]; got != n {
		f.tb.Errorf("%d events recorded, want %d: %s", got, n, why)
	}
}

// wantNothingStored fails unless the store is empty.
func (f *fn) wantNothingStored() {
	f.tb.Helper()
	if got := f.counts(); len(got) > 0 {
		f.tb.Errorf("store holds %v, want nothing", got)
	}
}

// The order events of DESIGN §5, as orders sends them: order n of a test
// holds reservation n of the ticket.

func orderCreated(tb testing.TB, orderID, ticketID string, reservation int) event.Event {
	tb.Helper()
	return eventingtest.Event(tb, eventing.NewOrderCreated, eventing.OrderCreated{
		ID: orderID, Status: "created", UserID: "buyer", ExpiresAt: t0.Add(15 * time.Minute),
		Ticket: eventing.OrderCreatedTicket{ID: ticketID, Price: 19.99, Reservation: reservation},
	})
}

func orderCancelled(tb testing.TB, orderID, ticketID string, reservation int) event.Event {
	tb.Helper()
	return eventingtest.Event(tb, eventing.NewOrderCancelled, eventing.OrderCancelled{
		ID: orderID, Version: 1, Reason: "buyer",
		Ticket: eventing.OrderCancelledTicket{ID: ticketID, Reservation: reservation},
	})
}

func orderCompleted(tb testing.TB, orderID, ticketID string, reservation int) event.Event {
	tb.Helper()
	return eventingtest.Event(tb, eventing.NewOrderCompleted, eventing.OrderCompleted{
		ID: orderID, Version: 1, UserID: "buyer",
		Ticket: eventing.OrderCompletedTicket{ID: ticketID, Title: "Concert", Price: 19.99, Reservation: reservation},
	})
}

// mustDeliver delivers each event and fails unless the function takes it.
func (f *fn) mustDeliver(events ...event.Event) {
	f.tb.Helper()
	for _, ev := range events {
		f.MustDeliver(ev)
	}
}

// updated waits for the ticket.updated of id at version and decodes it.
func (f *fn) updated(id string, version int) eventing.TicketUpdated {
	f.tb.Helper()
	ev := f.sink.await(f.tb, eventing.TypeTicketUpdated, id, version)
	p := eventingtest.Decode[eventing.TicketUpdated](f.tb, ev)
	return p
}
