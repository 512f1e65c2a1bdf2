package outbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/cloudevents/sdk-go/v2/event"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/eventing/outbox"
	"github.com/buytickets/buytickets/shared/logging"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/sqlite"
	"github.com/buytickets/buytickets/shared/store/storetest"
	"github.com/buytickets/buytickets/shared/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// fastOptions keep retries and sweeps quick enough for tests.
var fastOptions = outbox.Options{
	MinAge:     time.Nanosecond,
	MinBackoff: 5 * time.Millisecond,
	MaxBackoff: 100 * time.Millisecond,
	Client:     &http.Client{Timeout: 5 * time.Second},
}

// sink stands in for the broker: it records every event it takes, and
// answers 503 when fail says so.
type sink struct {
	fail func() bool

	mu       sync.Mutex
	received map[string][]event.Event // by event id, one per delivery
	binary   map[string]bool          // whether every delivery was in binary mode
}

func newSink() *sink {
	return &sink{received: map[string][]event.Event{}, binary: map[string]bool{}}
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.fail != nil && s.fail() {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	ev, err := binding.ToEvent(r.Context(), cehttp.NewMessageFromHttpRequest(r))
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, seen := s.binary[ev.ID()]
	s.binary[ev.ID()] = (!seen || s.binary[ev.ID()]) && r.Header.Get("Ce-Id") == ev.ID()
	s.received[ev.ID()] = append(s.received[ev.ID()], *ev)
	w.WriteHeader(http.StatusAccepted)
}

// deliveries returns how often the sink took the event with id.
func (s *sink) deliveries(id string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.received[id])
}

// has reports whether the sink took every event of ids.
func (s *sink) has(ids ...string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		if len(s.received[id]) == 0 {
			return false
		}
	}
	return true
}

func (s *sink) event(id string) (event.Event, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.received[id]) == 0 {
		return event.Event{}, false
	}
	return s.received[id][0], s.binary[id]
}

// startSink serves s on a loopback port until the test ends.
func startSink(t *testing.T, s *sink) string {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv.URL
}

// downSink returns the URL of a sink that is down (nothing listens on its
// port) and a function that brings it up there.
func downSink(t *testing.T, s *sink) (url string, up func()) {
	t.Helper()
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	return "http://" + addr, func() {
		t.Helper()
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("bring the sink up on %s: %v", addr, err)
		}
		srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: s}}
		srv.Start()
		t.Cleanup(srv.Close)
	}
}

// quietContext is a context whose logger discards the relay's retry warnings.
func quietContext(t *testing.T) context.Context {
	return logging.WithLogger(t.Context(), slog.New(slog.DiscardHandler))
}

// run starts o's relay until the test ends.
func run(t *testing.T, o *outbox.Outbox) {
	t.Helper()
	ctx, cancel := context.WithCancel(quietContext(t))
	done := make(chan struct{})
	go func() {
		defer close(done)
		o.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

func newOutbox(t *testing.T, st store.Store, sinkURL string, opts outbox.Options) *outbox.Outbox {
	t.Helper()
	o, err := outbox.New(st, sinkURL, opts)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// ticket is the state change the tests' events are about.
type ticket struct {
	Title   string `store:"title"`
	Version int    `store:"version"`
}

// commit writes a ticket and the events of its creation in one transaction,
// as a function's store does (Commit, which wakes the relay after commit:
// the tests' relay has no sweep to find them otherwise).
func commit(t *testing.T, o *outbox.Outbox, n int) []event.Event {
	t.Helper()
	events := newEvents(t, n)
	err := o.Commit(t.Context(), func(ctx context.Context, tx store.Tx) error {
		if err := tx.Set("tickets", events[0].Subject(), ticket{Title: "concert"}); err != nil {
			return err
		}
		return o.Add(ctx, tx, events...)
	})
	if err != nil {
		t.Fatalf("commit: %v", err)
	}
	return events
}

func newEvents(t *testing.T, n int) []event.Event {
	t.Helper()
	id := testenv.UniqueID("ticket")
	var events []event.Event
	for v := range n {
		ev := eventingtest.Event(t, eventing.NewTicketUpdated, eventing.TicketUpdated{
			ID: id, Version: v, Title: "concert", Price: 12.5, UserID: "u1", Status: "available",
		})
		events = append(events, ev)
	}
	return events
}

func ids(events []event.Event) []string {
	var out []string
	for _, ev := range events {
		out = append(out, ev.ID())
	}
	return out
}

// stored mirrors an outbox document: the fields the relay's queries read.
type stored struct {
	PendingAt time.Time `store:"pendingAt,omitempty"`
	SentAt    time.Time `store:"sentAt,omitempty"`
	Status    int       `store:"status,omitempty"`
}

// entry reads the outbox document of id; found is false when there is none.
func entry(t *testing.T, st store.Store, id string) (e stored, found bool) {
	t.Helper()
	err := st.Get(t.Context(), outbox.Collection, id, &e)
	if errors.Is(err, store.ErrNotFound) {
		return e, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return e, true
}

// sweep posts to o's sweep endpoint, as the PingSource does, and returns the
// status and counts.
func sweep(t *testing.T, o *outbox.Outbox) (int, outbox.SweepResult) {
	t.Helper()
	h := o.SweepHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(quietContext(t)))
	}))
	defer srv.Close()
	ping := event.New()
	ping.SetID("ping-1")
	ping.SetType("dev.knative.sources.ping")
	ping.SetSource("/apis/v1/namespaces/buytickets/pingsources/tickets-outbox-sweep")
	resp, err := srv.Client().Do(eventingtest.NewRequest(t, srv.URL+"/outbox/sweep", ping))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var res outbox.SweepResult
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode, res
}

func TestCommittedEventReachesTheSinkInBinaryMode(t *testing.T) {
	storetest.Each(t, "eventing", func(t *testing.T, open func(testing.TB) store.Store) {
		st := open(t)
		s := newSink()
		o := newOutbox(t, st, startSink(t, s), fastOptions)
		run(t, o)

		want := commit(t, o, 1)[0]
		testenv.Eventually(t, time.Minute, "the sink has the event", func() bool { return s.has(want.ID()) })

		got, binary := s.event(want.ID())
		if !binary {
			t.Error("the event was not sent in binary mode")
		}
		for name, pair := range map[string][2]any{
			"type":          {got.Type(), want.Type()},
			"source":        {got.Source(), want.Source()},
			"subject":       {got.Subject(), want.Subject()},
			"entityversion": {fmt.Sprint(got.Extensions()[eventing.ExtensionEntityVersion]), "0"},
			"data":          {string(got.Data()), string(want.Data())},
		} {
			if pair[0] != pair[1] {
				t.Errorf("%s = %v, want %v", name, pair[0], pair[1])
			}
		}
		testenv.Eventually(t, time.Minute, "the entry is marked sent", func() bool {
			e, _ := entry(t, st, want.ID())
			return !e.SentAt.IsZero() && e.PendingAt.IsZero()
		})
	})
}

func TestRolledBackTransactionSendsNothing(t *testing.T) {
	storetest.Each(t, "eventing", func(t *testing.T, open func(testing.TB) store.Store) {
		st := open(t)
		s := newSink()
		o := newOutbox(t, st, startSink(t, s), fastOptions)
		run(t, o)

		rolledBack := newEvents(t, 2)
		refused := errors.New("refused")
		err := o.Commit(t.Context(), func(ctx context.Context, tx store.Tx) error {
			if err := o.Add(ctx, tx, rolledBack...); err != nil {
				return err
			}
			return refused
		})
		if !errors.Is(err, refused) {
			t.Fatalf("Commit = %v, want the refusal", err)
		}
		o.Notify()

		// Events committed afterwards pass the relay and a sweep: by the time
		// the sink has them, it would have had the rolled-back ones too.
		later := commit(t, o, 1)
		testenv.Eventually(t, time.Minute, "the later event is sent", func() bool { return s.has(ids(later)...) })
		if status, _ := sweep(t, o); status != http.StatusOK {
			t.Fatalf("sweep answered %d", status)
		}
		for _, ev := range rolledBack {
			if n := s.deliveries(ev.ID()); n != 0 {
				t.Errorf("rolled-back event %s was sent %d times", ev.ID(), n)
			}
			if _, found := entry(t, st, ev.ID()); found {
				t.Errorf("rolled-back event %s is in the outbox", ev.ID())
			}
		}
	})
}

func TestEventCommittedWhileTheSinkIsDownIsSentByTheRelayOnceItIsBack(t *testing.T) {
	storetest.Each(t, "eventing", func(t *testing.T, open func(testing.TB) store.Store) {
		st := open(t)
		s := newSink()
		url, up := downSink(t, s)
		o := newOutbox(t, st, url, fastOptions)
		run(t, o)

		events := commit(t, o, 3)
		if e, _ := entry(t, st, events[0].ID()); e.PendingAt.IsZero() {
			t.Fatal("the committed event is not pending")
		}
		up()
		testenv.Eventually(t, time.Minute, "the relay sends the events", func() bool { return s.has(ids(events)...) })
	})
}

func TestEventCommittedWhileTheSinkIsDownIsSentBySweepOnceItIsBack(t *testing.T) {
	storetest.Each(t, "eventing", func(t *testing.T, open func(testing.TB) store.Store) {
		st := open(t)
		s := newSink()
		url, up := downSink(t, s)
		o := newOutbox(t, st, url, fastOptions) // no relay running

		events := commit(t, o, 3)
		if status, _ := sweep(t, o); status != http.StatusServiceUnavailable {
			t.Errorf("sweep with the sink down answered %d, want 503", status)
		}
		up()
		status, res := sweep(t, o)
		if status != http.StatusOK || res.Sent != len(events) {
			t.Errorf("sweep with the sink up = %d %+v, want 200 and %d sent", status, res, len(events))
		}
		if !s.has(ids(events)...) {
			t.Error("the sink does not have every event after the sweep")
		}
	})
}

func TestSinkFailingHalfTheTimeStillReceivesEveryEvent(t *testing.T) {
	storetest.Each(t, "eventing", func(t *testing.T, open func(testing.TB) store.Store) {
		st := open(t)
		s := newSink()
		s.fail = func() bool { return rand.IntN(2) == 0 }
		o := newOutbox(t, st, startSink(t, s), fastOptions)
		run(t, o)

		var all []string
		for range 10 {
			all = append(all, ids(commit(t, o, 5))...)
		}
		testenv.Eventually(t, time.Minute, "the sink has all 50 events", func() bool { return s.has(all...) })
		testenv.Eventually(t, time.Minute, "every entry is marked sent", func() bool {
			for _, id := range all {
				if e, _ := entry(t, st, id); e.SentAt.IsZero() {
					return false
				}
			}
			return true
		})
	})
}

func TestTickerSweepSendsWhatNoCommitWokeTheRelayFor(t *testing.T) {
	storetest.Each(t, "eventing", func(t *testing.T, open func(testing.TB) store.Store) {
		st := open(t)
		s := newSink()
		url := startSink(t, s)
		opts := fastOptions
		opts.SweepEvery = 20 * time.Millisecond
		run(t, newOutbox(t, st, url, opts))

		// Committed through another outbox whose relay never runs, as by a
		// replica that died right after its commit. The relay's first pass
		// may send the first events; it is over once they arrive, so only a
		// sweep can send the second ones.
		dead := newOutbox(t, st, url, fastOptions)
		first := commit(t, dead, 2)
		testenv.Eventually(t, time.Minute, "the first events are sent", func() bool { return s.has(ids(first)...) })
		second := commit(t, dead, 2)
		testenv.Eventually(t, time.Minute, "the ticker's sweep sends the second events", func() bool { return s.has(ids(second)...) })
	})
}

func TestRelayKilledBetweenCommitAndSendLosesNothing(t *testing.T) {
	storetest.Each(t, "eventing", func(t *testing.T, open func(testing.TB) store.Store) {
		s := newSink()
		url := startSink(t, s)

		// The first process commits, then dies before its relay sends.
		first := open(t)
		dying := newOutbox(t, first, url, fastOptions)
		events := commit(t, dying, 2)
		first.Close()

		// A fresh process's sweep sends what the first one left.
		fresh := newOutbox(t, open(t), url, fastOptions)
		status, res := sweep(t, fresh)
		if status != http.StatusOK || res.Sent != len(events) {
			t.Errorf("sweep = %d %+v, want 200 and %d sent", status, res, len(events))
		}
		if !s.has(ids(events)...) {
			t.Error("the sink does not have the events the dead relay left")
		}
	})
}

func TestTwoReplicasRelayingAtOnceLoseNothing(t *testing.T) {
	storetest.Each(t, "eventing", func(t *testing.T, open func(testing.TB) store.Store) {
		s := newSink()
		url := startSink(t, s)
		var relays []*outbox.Outbox
		for range 2 {
			o := newOutbox(t, open(t), url, fastOptions)
			run(t, o)
			relays = append(relays, o)
		}

		// Each replica commits in turn and wakes its own relay; both relays
		// see every pending entry, so they race to send the same ones.
		var all []string
		for i := range 20 {
			all = append(all, ids(commit(t, relays[i%2], 2))...)
		}
		testenv.Eventually(t, time.Minute, "the sink has every event", func() bool { return s.has(all...) })
	})
}

func TestSinkRefusalIsNotRetried(t *testing.T) {
	storetest.Each(t, "eventing", func(t *testing.T, open func(testing.TB) store.Store) {
		st := open(t)
		var calls sync.Map
		refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n, _ := calls.LoadOrStore(r.Header.Get("Ce-Id"), new(int))
			*n.(*int)++
			w.WriteHeader(http.StatusBadRequest)
		}))
		t.Cleanup(refusing.Close)
		o := newOutbox(t, st, refusing.URL, fastOptions)
		run(t, o)

		ev := commit(t, o, 1)[0]
		testenv.Eventually(t, time.Minute, "the refused entry is settled", func() bool {
			e, _ := entry(t, st, ev.ID())
			return e.Status == http.StatusBadRequest && e.PendingAt.IsZero()
		})
		if status, res := sweep(t, o); status != http.StatusOK || res.Sent != 0 {
			t.Errorf("sweep after the refusal = %d %+v, want 200 and nothing sent", status, res)
		}
		if n, _ := calls.Load(ev.ID()); *n.(*int) != 1 {
			t.Errorf("the sink was asked %d times, want once", *n.(*int))
		}
	})
}

func TestSweepDeletesSentEntriesPastRetentionOnly(t *testing.T) {
	storetest.Each(t, "eventing", func(t *testing.T, open func(testing.TB) store.Store) {
		st := open(t)
		s := newSink()
		opts := fastOptions
		opts.Retention = time.Nanosecond
		o := newOutbox(t, st, startSink(t, s), opts)
		run(t, o)
		sent := commit(t, o, 2)
		testenv.Eventually(t, time.Minute, "the events are sent", func() bool {
			for _, id := range ids(sent) {
				if e, _ := entry(t, st, id); e.SentAt.IsZero() {
					return false
				}
			}
			return true
		})

		// An unsent entry survives the sweep, whatever its age.
		url, _ := downSink(t, s)
		unsent := commit(t, newOutbox(t, st, url, opts), 1)[0]
		opts.MinAge = time.Hour // not yet the sweep's to send
		status, res := sweep(t, newOutbox(t, st, url, opts))
		if status != http.StatusOK || res.Deleted != len(sent) {
			t.Errorf("sweep = %d %+v, want 200 and %d deleted", status, res, len(sent))
		}
		for _, id := range ids(sent) {
			if _, found := entry(t, st, id); found {
				t.Errorf("sent entry %s survived the sweep", id)
			}
		}
		if _, found := entry(t, st, unsent.ID()); !found {
			t.Error("the unsent entry was deleted")
		}
	})
}

func TestAddRefusesAnEventNoDocumentCanHold(t *testing.T) {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	o := newOutbox(t, st, "http://127.0.0.1:1", fastOptions)
	tests := []struct {
		name string
		edit func(*event.Event)
	}{
		{"id with a slash", func(ev *event.Event) { ev.SetID("a/b") }},
		{"no type", func(ev *event.Event) { ev.SetType("") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := newEvents(t, 1)[0]
			tt.edit(&ev)
			err := st.RunTransaction(t.Context(), func(ctx context.Context, tx store.Tx) error { return o.Add(ctx, tx, ev) })
			if err == nil {
				t.Error("Add accepted the event")
			}
		})
	}
}

func TestNewRefusesASinkThatIsNoURL(t *testing.T) {
	for _, sinkURL := range []string{"", "broker", "ftp://host/x", "http://"} {
		if _, err := outbox.New(nil, sinkURL, outbox.Options{}); err == nil {
			t.Errorf("New(%q) accepted it", sinkURL)
		}
	}
}

func TestStoppedRelayFlushesWhatItWasBackingOffFrom(t *testing.T) {
	storetest.Each(t, "eventing", func(t *testing.T, open func(testing.TB) store.Store) {
		st := open(t)
		s := newSink()
		var down atomic.Bool
		var refused atomic.Int32
		down.Store(true)
		s.fail = func() bool {
			if down.Load() {
				refused.Add(1)
				return true
			}
			return false
		}
		// A backoff far longer than the test: only the final flush can
		// send the event once the sink is back.
		opts := fastOptions
		opts.MinBackoff, opts.MaxBackoff = time.Hour, time.Hour
		o := newOutbox(t, st, startSink(t, s), opts)
		ctx, cancel := context.WithCancel(quietContext(t))
		stopped := make(chan struct{})
		go func() {
			defer close(stopped)
			o.Run(ctx)
		}()

		events := commit(t, o, 1)
		testenv.Eventually(t, time.Minute, "the sink refuses the event", func() bool { return refused.Load() > 0 })
		down.Store(false)
		cancel()
		<-stopped
		if !s.has(ids(events)...) {
			t.Fatal("the stopped relay left the event for the next sweep")
		}
		if e, _ := entry(t, st, events[0].ID()); e.SentAt.IsZero() {
			t.Error("the flushed event is not marked sent")
		}
	})
}

func TestSweepDeletesTheFunctionsOwnDocumentsOncePastTheirTime(t *testing.T) {
	st := storetest.OpenTempSQLite(t, "eventing")
	type tokenDoc struct {
		ExpiresAt time.Time `store:"expiresAt,omitempty"`
	}
	now := time.Now()
	for id, doc := range map[string]tokenDoc{
		"expired-long-ago": {now.Add(-48 * time.Hour)},
		"expired-just-now": {now.Add(-time.Minute)},
		"alive":            {now.Add(time.Hour)},
		"without-a-time":   {},
	} {
		if err := st.RunTransaction(t.Context(), func(_ context.Context, tx store.Tx) error { return tx.Set("tokens", id, doc) }); err != nil {
			t.Fatal(err)
		}
	}
	opts := fastOptions
	opts.Expire = []outbox.Expiry{{Collection: "tokens", Field: "expiresAt", After: time.Hour}}
	status, res := sweep(t, newOutbox(t, st, "http://127.0.0.1:1", opts))
	if status != http.StatusOK || res.Expired != 1 {
		t.Errorf("sweep = %d %+v, want 200 and 1 expired", status, res)
	}
	if n := storetest.Count(t, st, "tokens"); n != 3 {
		t.Errorf("%d tokens left, want the three not an hour past their time", n)
	}
}
