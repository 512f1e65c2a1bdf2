package expiration_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/functions/expiration"
	expirationstore "github.com/buytickets/buytickets/functions/expiration/internal/store"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/scheduler"
	"github.com/buytickets/buytickets/shared/scheduler/embedded"
	"github.com/buytickets/buytickets/shared/scheduler/relay"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/storetest"
	"github.com/buytickets/buytickets/shared/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// eventually is how long a test waits for a task to fire and its event to
// reach the broker.
const eventually = 30 * time.Second

// sink stands in for the broker: it records every event the outbox sends.
type sink struct{ *eventingtest.Broker }

// expired returns the expiration.completed events received about orderID.
func (s *sink) expired(orderID string) []event.Event {
	return s.About(eventing.TypeExpirationCompleted, orderID)
}

// waitExpired waits for the expiration.completed of orderID and checks
// its data.
func (s *sink) waitExpired(tb testing.TB, orderID string) {
	tb.Helper()
	ev := s.WaitAbout(tb, eventually, eventing.TypeExpirationCompleted, orderID)
	var data eventing.ExpirationCompleted
	if err := eventing.Decode(ev, &data); err != nil || data.OrderID != orderID {
		tb.Errorf("expiration.completed data %+v, %v; want order %s", data, err, orderID)
	}
}

// Quick retries, sweeps and polling, for tests.
var (
	fastTasks = embedded.Options{
		PollEvery:  100 * time.Millisecond,
		MinBackoff: 10 * time.Millisecond,
		MaxBackoff: 100 * time.Millisecond,
		Client:     &http.Client{Timeout: 5 * time.Second},
	}
	fastRelay = relay.Options{MinBackoff: 5 * time.Millisecond, MaxBackoff: 100 * time.Millisecond}
)

// fn is one expiration function under test, served on a loopback port.
type fn struct {
	eventingtest.Receiver // delivers events to its /events

	tb   testing.TB
	f    *expiration.Function
	h    http.Handler
	db   store.Store
	sink *sink
}

type settings struct {
	cfg   expiration.Config
	deps  expiration.Deps
	noRun bool
}

type fnOption func(*settings)

func withStore(db store.Store) fnOption { return func(s *settings) { s.deps.Store = db } }

func withScheduler(sched scheduler.Scheduler) fnOption {
	return func(s *settings) { s.deps.Scheduler = sched }
}

// withVerifier verifies tokens as production does, with v.
func withVerifier(v expiration.Verifier, invoker, audience string) fnOption {
	return func(s *settings) {
		s.deps.Verifier, s.cfg.InvokerEmail, s.cfg.Audience = v, invoker, audience
	}
}

// withoutRun runs neither the outbox relay nor the scheduler: only the
// store says what was recorded.
func withoutRun(s *settings) { s.noRun = true }

// newFn returns the expiration function on a fresh SQLite store, unless
// an option gives another, on the embedded scheduler unless an option
// gives one, running until the test ends.
func newFn(tb testing.TB, opts ...fnOption) *fn {
	tb.Helper()
	s := &settings{}
	for _, o := range opts {
		o(s)
	}
	if s.deps.Store == nil {
		s.deps.Store = openSQLite(tb)
	}
	sk := &sink{eventingtest.NewBroker(tb)}
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	tb.Cleanup(srv.Close)
	s.cfg.ExpireURL = srv.URL + expiration.TasksPath
	s.deps.Sink, s.deps.Outbox, s.deps.Tasks, s.deps.Relay = sk.URL, eventingtest.FastOutbox(), fastTasks, fastRelay
	s.deps.Events = eventingtest.Member(tb, "expiration")
	s.deps.Logger = slog.New(slog.DiscardHandler)
	f, err := expiration.New(s.cfg, s.deps)
	if err != nil {
		tb.Fatal(err)
	}
	h = f.Handler()
	if !s.noRun {
		testenv.Background(tb, f.Run)
	}
	return &fn{Receiver: eventingtest.Receiver{TB: tb, URL: srv.URL, Function: "expiration"}, tb: tb, f: f, h: h, db: s.deps.Store, sink: sk}
}

func openSQLite(tb testing.TB) store.Store { return storetest.OpenTempSQLite(tb, "expiration") }

// newOrderID returns an id as the orders function gives one.
func newOrderID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// orderCreated returns the order.created of order id, holding its
// ticket's reservation 1 until expiresAt.
func orderCreated(tb testing.TB, id string, expiresAt time.Time) event.Event {
	tb.Helper()
	return eventingtest.Event(tb, eventing.NewOrderCreated, eventing.OrderCreated{
		ID: id, Version: 0, Status: "created", UserID: "buyer", ExpiresAt: expiresAt,
		Ticket: eventing.OrderCreatedTicket{ID: "t-" + id, Price: 20, Reservation: 1},
	})
}

// orderCancelled returns the order.cancelled of order id, by its buyer.
func orderCancelled(tb testing.TB, id string) event.Event {
	tb.Helper()
	return eventingtest.Event(tb, eventing.NewOrderCancelled, eventing.OrderCancelled{
		ID: id, Version: 1, Reason: "buyer", Ticket: eventing.OrderCancelledTicket{ID: "t-" + id, Reservation: 1},
	})
}

// orderCompleted returns the order.completed of order id.
func orderCompleted(tb testing.TB, id string) event.Event {
	tb.Helper()
	return eventingtest.Event(tb, eventing.NewOrderCompleted, eventing.OrderCompleted{
		ID: id, Version: 1, UserID: "buyer",
		Ticket: eventing.OrderCompletedTicket{ID: "t-" + id, Title: "Concert", Price: 20, Reservation: 1},
	})
}

// response is an answer, read whole.
type response = httpxtest.Response

// expire posts body to /tasks/expire over loopback, as the embedded
// scheduler does, with header's entries.
func (f *fn) expire(body string, header ...string) response {
	f.tb.Helper()
	req := httpxtest.NewJSONPost(f.tb, f.URL+expiration.TasksPath, body)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return httpxtest.Do(f.tb, req)
}

// expireBody is the body of order id's task.
func expireBody(id string) string {
	b, _ := json.Marshal(map[string]string{"orderId": id})
	return string(b)
}

// docs returns the ids of the documents of collection.
func (f *fn) docs(collection string) []string {
	f.tb.Helper()
	docs, err := f.db.Query(context.Background(), collection, store.Query{})
	if err != nil {
		f.tb.Fatal(err)
	}
	var ids []string
	for _, d := range docs {
		ids = append(ids, d.ID)
	}
	return ids
}

// state returns the stored state of order id's expiry, "" when none.
func (f *fn) state(id string) string {
	f.tb.Helper()
	var d struct {
		State string `store:"state"`
	}
	err := f.db.Get(context.Background(), expirationstore.Expiries, id, &d)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		f.tb.Fatal(err)
	}
	return d.State
}

// outboxed returns how many expiration.completed events the outbox
// recorded about orderID.
func (f *fn) outboxed(orderID string) int {
	f.tb.Helper()
	return countOutboxed(f.tb, f.db, orderID)
}

// countOutboxed returns how many expiration.completed events the outbox of
// db recorded about orderID.
func countOutboxed(tb testing.TB, db store.Store, orderID string) int {
	tb.Helper()
	n := 0
	for _, ev := range eventingtest.Recorded(tb, db) {
		if ev.Type() == eventing.TypeExpirationCompleted && ev.Subject() == orderID {
			n++
		}
	}
	return n
}
