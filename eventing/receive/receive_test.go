package receive_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/eventing/receive"
	"github.com/buytickets/buytickets/shared/apperr"
	"github.com/buytickets/buytickets/shared/logging"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/storetest"
	"github.com/buytickets/buytickets/shared/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// serve mounts h at POST /events, as a function's routes do, with a logger
// that discards the receiver's logs, and returns the events URL.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("POST /events", h)
	quiet := slog.New(slog.DiscardHandler)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r.WithContext(logging.WithLogger(r.Context(), quiet)))
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/events"
}

// client sends deliveries; its timeout turns a hung receiver into a failure.
var client = &http.Client{Timeout: 60 * time.Second}

// deliver posts ev to url in binary mode, as the broker does, and returns
// the status; ctx-free so that it may run on any goroutine.
func deliver(url string, ev event.Event) (int, error) {
	answer, err := eventing.Send(context.Background(), client, url, "", ev)
	return answer.Status, err
}

func mustDeliver(t *testing.T, url string, ev event.Event) int {
	t.Helper()
	status, err := deliver(url, ev)
	if err != nil {
		t.Fatal(err)
	}
	return status
}

// counter is a document an effect increments.
type counter struct {
	N int `store:"n"`
}

// increment is an effect that counts the events applied to the counter named
// after their subject.
func increment(_ context.Context, tx store.Tx, ev event.Event) error {
	var c counter
	if err := tx.Get("counters", ev.Subject(), &c); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	c.N++
	return tx.Set("counters", ev.Subject(), c)
}

func count(t *testing.T, st store.Store, subject string) int {
	t.Helper()
	var c counter
	if err := st.Get(t.Context(), "counters", subject, &c); err != nil && !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
	return c.N
}

func paymentEvent(t *testing.T) event.Event {
	t.Helper()
	return eventingtest.Event(t, eventing.NewPaymentCreated, eventing.PaymentCreated{
		ID: testenv.UniqueID("payment"), OrderID: "o1", StripeID: "ch_1", Amount: 1250, Currency: "usd",
	})
}

func TestDuplicateDeliveriesChangeStateOnce(t *testing.T) {
	storetest.Each(t, "eventing", func(t *testing.T, open func(testing.TB) store.Store) {
		st := open(t)
		var commits atomic.Int32
		url := serve(t, receive.Handler(st, increment, receive.AfterCommit(func() { commits.Add(1) })))
		ev := paymentEvent(t)

		for range 3 {
			if status := mustDeliver(t, url, ev); status != http.StatusOK {
				t.Fatalf("delivery answered %d, want 200", status)
			}
		}
		var wg sync.WaitGroup
		for range 10 {
			wg.Go(func() {
				// A concurrent duplicate may collide with another and be
				// answered 409 to be redelivered; in the end it is a 200.
				for {
					status, err := deliver(url, ev)
					if err != nil || status != http.StatusConflict {
						if err != nil || status != http.StatusOK {
							t.Errorf("concurrent duplicate answered %d, %v; want 200", status, err)
						}
						return
					}
				}
			})
		}
		wg.Wait()
		if n := count(t, st, ev.Subject()); n != 1 {
			t.Errorf("the effect ran %d times, want once", n)
		}
		if n := commits.Load(); n != 1 {
			t.Errorf("AfterCommit ran %d times, want once", n)
		}
	})
}

// replicaTicket is a replica's copy of a versioned entity.
type replicaTicket struct {
	Version int    `store:"version"`
	Title   string `store:"title"`
	Applied int    `store:"applied"` // how many versions were applied
}

// applyTicket keeps a replica of tickets as a function does: it applies an
// event only on top of its predecessor.
func applyTicket(_ context.Context, tx store.Tx, ev event.Event) error {
	var p eventing.TicketUpdated
	if err := eventing.Decode(ev, &p); err != nil {
		return err
	}
	var held replicaTicket
	err := tx.Get("tickets", p.ID, &held)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	apply, err := receive.InOrder(ev, held.Version, err == nil)
	if err != nil || !apply {
		return err
	}
	return tx.Set("tickets", p.ID, replicaTicket{Version: p.Version, Title: p.Title, Applied: held.Applied + 1})
}

// shuffler stands in for a broker that delivers in no order: it keeps the
// oldest deliveries not yet taken (a window of them) in flight, hands them
// out in random order, and hands out again those answered 409 once another
// delivery has been taken since (its backoff, counted in progress rather
// than time).
type shuffler struct {
	window int

	mu       sync.Mutex
	feed     []event.Event // in publishing order
	taken    []bool        // answered 200
	inflight []bool
	early    []bool // answered 409 the last time
	handed   []int  // how many deliveries had been taken when it was last handed out
	oldest   int    // the first delivery not yet taken
	takes    int    // how many deliveries have been taken
}

// next returns a delivery to make, by its index in the feed; ok is false
// when no delivery of the window may be made now, and finished true once
// every delivery was taken.
func (s *shuffler) next() (i int, ok, finished bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var free []int
	for j, seen := s.oldest, 0; j < len(s.feed) && seen < s.window; j++ {
		if s.taken[j] {
			continue
		}
		seen++
		if !s.inflight[j] && (!s.early[j] || s.handed[j] < s.takes) {
			free = append(free, j)
		}
	}
	if len(free) == 0 {
		return 0, false, s.oldest == len(s.feed)
	}
	i = free[rand.IntN(len(free))]
	s.inflight[i], s.handed[i] = true, s.takes
	return i, true, false
}

// settle records the answer to delivery i: 200 takes it, 409 leaves it to be
// handed out again.
func (s *shuffler) settle(i, status int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inflight[i] = false
	switch status {
	case http.StatusOK:
		s.taken[i] = true
		s.takes++
		for s.oldest < len(s.feed) && s.taken[s.oldest] {
			s.oldest++
		}
	case http.StatusConflict:
		s.early[i] = true
	default:
		ev := s.feed[i]
		return fmt.Errorf("delivery of %s v%v answered %d", ev.Subject(), ev.Extensions()[eventing.ExtensionEntityVersion], status)
	}
	return nil
}

func TestReplicaFedVersionsInRandomOrderEndsAtTheLastVersion(t *testing.T) {
	storetest.Each(t, "eventing", func(t *testing.T, open func(testing.TB) store.Store) {
		// The broker keeps about two versions of each entity in flight, as
		// every delivery out of order costs redeliveries. On the emulator,
		// concurrent transactions on one document abort and back off for
		// about a second each, so it replays fewer entities, through the
		// same 100 versions, with fewer deliveries at once.
		entities, versions, workers := 50, 100, 8
		if strings.HasSuffix(t.Name(), "firestore") {
			entities, workers = 5, 2
		}
		window := 2 * entities
		st := open(t)
		url := serve(t, receive.Handler(st, applyTicket))

		// Publishing order: each entity's versions in order, entities
		// interleaved at random; a fifth of the events published twice.
		queues := make([][]event.Event, entities)
		for e := range queues {
			id := testenv.UniqueID("ticket")
			for v := range versions {
				p := eventing.TicketUpdated{ID: id, Version: v, Title: fmt.Sprintf("v%d", v), Price: 10, UserID: "u1", Status: "available"}
				var ev event.Event
				var err error
				if v == 0 {
					ev, err = eventing.NewTicketCreated(eventing.TicketCreated{ID: id, Title: p.Title, Price: p.Price, UserID: p.UserID, CreatedAt: time.Now()})
				} else {
					ev, err = eventing.NewTicketUpdated(p)
				}
				if err != nil {
					t.Fatal(err)
				}
				queues[e] = append(queues[e], ev)
			}
		}
		b := &shuffler{window: window}
		for remaining := entities * versions; remaining > 0; remaining-- {
			e := rand.IntN(len(queues))
			for len(queues[e]) == 0 {
				e = (e + 1) % len(queues)
			}
			ev := queues[e][0]
			queues[e] = queues[e][1:]
			b.feed = append(b.feed, ev)
			if rand.IntN(5) == 0 {
				b.feed = append(b.feed, ev)
			}
		}
		n := len(b.feed)
		b.taken, b.inflight, b.early, b.handed = make([]bool, n), make([]bool, n), make([]bool, n), make([]int, n)
		ids := map[string]bool{}
		for _, ev := range b.feed {
			ids[ev.Subject()] = true
		}

		var deliveries, early atomic.Int64
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for {
					i, ok, finished := b.next()
					if finished {
						return
					}
					if !ok { // the rest is in flight on other workers
						time.Sleep(time.Millisecond)
						continue
					}
					status, err := deliver(url, b.feed[i])
					if err == nil {
						err = b.settle(i, status)
					}
					if err != nil {
						t.Error(err)
						return
					}
					deliveries.Add(1)
					if status == http.StatusConflict {
						early.Add(1)
					}
				}
			})
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		t.Logf("%d deliveries, %d answered 409", deliveries.Load(), early.Load())
		if early.Load() == 0 {
			t.Error("no delivery arrived before its predecessor; the test proves nothing")
		}
		for id := range ids {
			var got replicaTicket
			if err := st.Get(t.Context(), "tickets", id, &got); err != nil {
				t.Fatal(err)
			}
			want := replicaTicket{Version: versions - 1, Title: fmt.Sprintf("v%d", versions-1), Applied: versions}
			if got != want {
				t.Errorf("ticket %s = %+v, want %+v", id, got, want)
			}
		}
	})
}

func TestTwoHundredConcurrentDeliveriesAllGetAnAnswer(t *testing.T) {
	storetest.Each(t, "eventing", func(t *testing.T, open func(testing.TB) store.Store) {
		st := open(t)
		url := serve(t, receive.Handler(st, increment))
		const n = 200
		events := make([]event.Event, n)
		for i := range events {
			events[i] = paymentEvent(t)
		}
		start := make(chan struct{})
		statuses := make([]int, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i, ev := range events {
			wg.Go(func() {
				<-start
				statuses[i], errs[i] = deliver(url, ev)
			})
		}
		close(start)
		wg.Wait()
		for i, ev := range events {
			if errs[i] != nil || statuses[i] != http.StatusOK {
				t.Errorf("delivery %d answered %d, %v; want 200", i, statuses[i], errs[i])
				continue
			}
			if got := count(t, st, ev.Subject()); got != 1 {
				t.Errorf("delivery %d took effect %d times", i, got)
			}
		}
	})
}

func TestBadCloudEventsAreRefusedWithoutEffect(t *testing.T) {
	storetest.Each(t, "eventing", func(t *testing.T, open func(testing.TB) store.Store) {
		st := open(t)
		url := serve(t, receive.Handler(st, applyTicket))
		binaryHeaders := func(extra map[string]string) http.Header {
			h := http.Header{}
			for k, v := range map[string]string{
				"Ce-Specversion": "1.0", "Ce-Id": "e1", "Ce-Source": "/functions/tickets",
				"Ce-Type": eventing.TypeTicketUpdated, "Ce-Entityversion": "1", "Content-Type": "application/json",
			} {
				h.Set(k, v)
			}
			for k, v := range extra {
				if v == "" {
					h.Del(k)
				} else {
					h.Set(k, v)
				}
			}
			return h
		}
		valid := `{"id":"t1","version":1,"title":"x","price":1,"userId":"u","status":"available"}`
		tests := []struct {
			name   string
			header http.Header
			body   string
			want   int
		}{
			{"plain JSON without CloudEvents attributes", http.Header{"Content-Type": {"application/json"}}, valid, http.StatusBadRequest},
			{"binary mode without an id", binaryHeaders(map[string]string{"Ce-Id": ""}), valid, http.StatusBadRequest},
			{"binary mode without a source", binaryHeaders(map[string]string{"Ce-Source": ""}), valid, http.StatusBadRequest},
			{"unknown spec version", binaryHeaders(map[string]string{"Ce-Specversion": "0.1"}), valid, http.StatusBadRequest},
			{"structured mode with broken JSON", http.Header{"Content-Type": {"application/cloudevents+json"}}, `{"specversion":"1.0",`, http.StatusBadRequest},
			{"data that is not the payload", binaryHeaders(nil), `{"version":"one"}`, http.StatusBadRequest},
			{"data that is not JSON", binaryHeaders(map[string]string{"Content-Type": "text/plain"}), "hello", http.StatusBadRequest},
			{"entityversion that is no number", binaryHeaders(map[string]string{"Ce-Entityversion": "x"}), valid, http.StatusBadRequest},
			{"no entityversion", binaryHeaders(map[string]string{"Ce-Entityversion": ""}), valid, http.StatusBadRequest},
			{"body over the limit", binaryHeaders(nil), `{"title":"` + strings.Repeat("x", receive.MaxBodyBytes) + `"}`, http.StatusRequestEntityTooLarge},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, bytes.NewBufferString(tt.body))
				if err != nil {
					t.Fatal(err)
				}
				req.Header = tt.header
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != tt.want {
					t.Errorf("status = %d, want %d", resp.StatusCode, tt.want)
				}
			})
		}
		for _, collection := range []string{receive.Collection, "tickets"} {
			docs, err := st.Query(t.Context(), collection, store.Query{})
			if err != nil {
				t.Fatal(err)
			}
			if len(docs) != 0 {
				t.Errorf("%s holds %d documents after refusals, want none", collection, len(docs))
			}
		}
	})
}

func TestEffectErrorsAnswerKnativeStatusesAndRecordNothing(t *testing.T) {
	storetest.Each(t, "eventing", func(t *testing.T, open func(testing.TB) store.Store) {
		st := open(t)
		tests := []struct {
			name       string
			err        error
			want       int
			retryAfter bool
		}{
			{"too early", receive.ErrTooEarly, http.StatusConflict, false},
			{"store busy", fmt.Errorf("store: %w", store.ErrUnavailable), http.StatusServiceUnavailable, true},
			{"not there yet", apperr.New(apperr.NotFound, "Order not found"), http.StatusNotFound, false},
			{"refused for good", apperr.New(apperr.Invalid, "Ticket is sold"), http.StatusBadRequest, false},
			{"undecodable", eventing.ErrUndecodable, http.StatusBadRequest, false},
			{"unexpected", errors.New("boom"), http.StatusInternalServerError, false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var failing atomic.Bool
				failing.Store(true)
				url := serve(t, receive.Handler(st, func(ctx context.Context, tx store.Tx, ev event.Event) error {
					if err := increment(ctx, tx, ev); err != nil || !failing.Load() {
						return err
					}
					return tt.err
				}))
				ev := paymentEvent(t)
				resp, err := client.Do(eventingtest.NewRequest(t, url, ev))
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != tt.want {
					t.Errorf("status = %d, want %d", resp.StatusCode, tt.want)
				}
				if got := resp.Header.Get("Retry-After") != ""; got != tt.retryAfter {
					t.Errorf("Retry-After set = %v, want %v", got, tt.retryAfter)
				}
				if n := count(t, st, ev.Subject()); n != 0 {
					t.Errorf("the failed effect left %d changes", n)
				}
				// Nothing of the failed attempt was recorded, not even the
				// receipt, so a redelivery takes effect.
				failing.Store(false)
				if status := mustDeliver(t, url, ev); status != http.StatusOK || count(t, st, ev.Subject()) != 1 {
					t.Errorf("redelivery answered %d with %d changes, want 200 and 1", status, count(t, st, ev.Subject()))
				}
			})
		}
	})
}

func TestInOrderAppliesOnlyTheNextVersion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		version string // the entityversion as delivered; "" for none
		held    int
		holds   bool
		apply   bool
		wantErr error
	}{
		{"creation on nothing", "0", 0, false, true, nil},
		{"later version on nothing", "3", 0, false, false, receive.ErrTooEarly},
		{"next version", "4", 3, true, true, nil},
		{"same version", "3", 3, true, false, nil},
		{"older version", "1", 3, true, false, nil},
		{"creation again", "0", 3, true, false, nil},
		{"version after next", "5", 3, true, false, receive.ErrTooEarly},
		{"no version", "", 3, true, false, eventing.ErrUndecodable},
		{"version not a number", "three", 3, true, false, eventing.ErrUndecodable},
		{"negative version", "-1", 3, true, false, eventing.ErrUndecodable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev := event.New()
			if tt.version != "" {
				// As a binary-mode delivery carries it: a string.
				ev.SetExtension(eventing.ExtensionEntityVersion, tt.version)
			}
			apply, err := receive.InOrder(ev, tt.held, tt.holds)
			if apply != tt.apply || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("InOrder = %v, %v; want %v, %v", apply, err, tt.apply, tt.wantErr)
			}
		})
	}
}
