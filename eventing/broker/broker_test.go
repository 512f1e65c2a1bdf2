package broker_test

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/cloudevents/sdk-go/v2/binding"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/broker"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/eventing/identity"
	"github.com/buytickets/buytickets/eventing/manifest"
	"github.com/buytickets/buytickets/shared/logging"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/sqlite"
	"github.com/buytickets/buytickets/shared/testenv"
)

// subscriber is a function standing behind a Trigger: it records what it
// receives and answers with respond.
type subscriber struct {
	*httptest.Server
	mu       sync.Mutex
	received []string // event ids, in arrival order
	tokens   []string // their bearer tokens
	respond  atomic.Value
}

func newSubscriber(t *testing.T) *subscriber {
	t.Helper()
	s := &subscriber{}
	s.respond.Store(func(n int) int { return http.StatusOK })
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ev, err := binding.ToEvent(r.Context(), cehttp.NewMessageFromHttpRequest(r))
		if err != nil || r.Header.Get("Ce-Id") == "" {
			http.Error(w, "not a binary-mode CloudEvent", http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.received = append(s.received, ev.ID())
		s.tokens = append(s.tokens, r.Header.Get("Authorization"))
		n := len(s.received)
		s.mu.Unlock()
		w.WriteHeader(s.respond.Load().(func(int) int)(n))
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *subscriber) answer(f func(n int) int) { s.respond.Store(f) }

func (s *subscriber) ids() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.received)
}

func (s *subscriber) token(i int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokens[i]
}

func (s *subscriber) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.received)
}

// harness runs a broker on the testdata triggers, subscribers a–d, on a
// SQLite file that survives restarts.
type harness struct {
	t       *testing.T
	cfg     setup
	path    string
	subs    map[string]*subscriber
	urls    map[string]string // services beyond subs, by name
	db      store.Store
	broker  *broker.Broker
	ingress *httptest.Server
	stop    context.CancelFunc
	done    chan error
}

// setup is what a test asks of its harness.
type setup struct {
	chaos    broker.Chaos
	scale    float64 // backoff scale; 0.1 when zero
	services []service
	store    func(store.Store) store.Store // wraps the broker's store when set
}

func newHarness(t *testing.T, cfg setup) *harness {
	t.Helper()
	h := &harness{t: t, cfg: cfg, path: filepath.Join(t.TempDir(), "broker.db"), subs: map[string]*subscriber{}, urls: map[string]string{}}
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		h.subs[name] = newSubscriber(t)
	}
	for _, svc := range cfg.services {
		srv := httptest.NewServer(quiet(svc.handler))
		t.Cleanup(srv.Close)
		h.urls[svc.name] = srv.URL
	}
	h.start()
	t.Cleanup(h.shutdown)
	return h
}

func (h *harness) start() {
	t := h.t
	triggers, err := manifest.LoadTriggers(os.DirFS("testdata"), "default")
	if err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(context.Background(), h.path)
	if err != nil {
		t.Fatal(err)
	}
	var st store.Store = db
	if h.cfg.store != nil {
		st = h.cfg.store(db)
	}
	b, err := broker.New(broker.Options{
		Store:        st,
		Triggers:     triggers,
		Chaos:        h.cfg.chaos,
		BackoffScale: cmp.Or(h.cfg.scale, 0.1),
		Poll:         10 * time.Millisecond,
		Auth:         testAuth(),
		Resolve: func(ref manifest.Ref) (*url.URL, error) {
			if u, ok := h.urls[ref.Name]; ok {
				return url.Parse(u)
			}
			s, ok := h.subs[ref.Name]
			if !ok {
				return nil, fmt.Errorf("no service %s", ref.Name)
			}
			return url.Parse(s.URL)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(logging.WithLogger(context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil))))
	h.db, h.broker, h.stop, h.done = db, b, cancel, make(chan error, 1)
	h.ingress = httptest.NewServer(b.Ingress())
	go func() { h.done <- b.Run(ctx) }()
}

// brokerAudience is the testdata broker's.
var brokerAudience = manifest.BrokerAudience("test", "default")

// testAuth trusts eventingtest's key: tickets and orders may publish
// their own sources, and Triggers present that key's tokens.
func testAuth() broker.Auth {
	key := eventingtest.Key()
	return broker.Auth{
		Verifier: key.Verifier(brokerAudience),
		Publishers: map[string]string{
			manifest.ServiceAccount("test", "orders"):  "/functions/orders",
			manifest.ServiceAccount("test", "tickets"): "/functions/tickets",
		},
		Tokens: func(subject string) identity.TokenSource { return key.Signer(subject) },
	}
}

// publisherToken is the token function publishes with.
func publisherToken(tb testing.TB, function string) string {
	return eventingtest.Sign(tb, manifest.ServiceAccount("test", function), brokerAudience)
}

// service is a consumer standing behind the Triggers that name it.
type service struct {
	name    string
	handler http.Handler
}

// shutdown stops the dispatcher and the ingress, as a crash or a restart would.
func (h *harness) shutdown() {
	if h.stop == nil {
		return
	}
	h.ingress.Close()
	h.stop()
	<-h.done
	h.db.Close()
	h.stop = nil
}

// publish posts an event to the ingress in binary mode and returns the status.
func (h *harness) publish(eventType, id string) (int, error) {
	ev := cloudevents.NewEvent()
	ev.SetID(id)
	ev.SetType(eventType)
	ev.SetSource("/functions/orders")
	ev.SetData(cloudevents.ApplicationJSON, map[string]string{"id": id})
	return h.post(ev)
}

// post sends ev to the ingress in binary mode and returns the status.
func (h *harness) post(ev cloudevents.Event) (int, error) {
	answer, err := eventing.Send(context.Background(), http.DefaultClient, h.ingress.URL, publisherToken(h.t, "orders"), ev)
	return answer.Status, err
}

func (h *harness) mustPublish(eventType, id string) {
	h.t.Helper()
	status, err := h.publish(eventType, id)
	if err != nil || status != http.StatusAccepted {
		h.t.Fatalf("publish %s = %d, %v; want 202", id, status, err)
	}
}

func (h *harness) settled() bool {
	n, err := h.broker.Pending(context.Background())
	return err == nil && n == 0
}

func TestEventReachesEveryMatchingTriggerAndNoOther(t *testing.T) {
	t.Parallel()
	h := newHarness(t, setup{})
	h.mustPublish("dev.test.order.created", "e1")
	testenv.Eventually(t, time.Minute, "every delivery settles", h.settled)
	want := map[string]int{"a": 1, "b": 1, "c": 0, "d": 1}
	for name, n := range want {
		if got := h.subs[name].count(); got != n {
			t.Errorf("subscriber %s received %d deliveries, want %d", name, got, n)
		}
	}
}

func TestIngressTakesEventsOnlyFromAPublisherForItsOwnSource(t *testing.T) {
	t.Parallel()
	h := newHarness(t, setup{})
	other := identity.GenerateKey()
	orders := manifest.ServiceAccount("test", "orders")
	key := eventingtest.Key()
	for _, tc := range []struct {
		name, token, source string
	}{
		{"no token", "", "/functions/orders"},
		{"expired", eventingtest.SignWith(t, key, orders, brokerAudience, -time.Minute), "/functions/orders"},
		{"wrong audience", eventingtest.SignWith(t, key, orders, "test/a", time.Minute), "/functions/orders"},
		{"wrong key", eventingtest.SignWith(t, other, orders, brokerAudience, time.Minute), "/functions/orders"},
		{"not a publisher", eventingtest.SignWith(t, key, manifest.ServiceAccount("test", "attacker"), brokerAudience, time.Minute), "/functions/orders"},
		{"a Trigger's identity", eventingtest.SignWith(t, key, manifest.ServiceAccount("test", "a-order-created-oidc-eventing.knative.dev-trigger"), brokerAudience, time.Minute), "/functions/orders"},
		{"another publisher's source", publisherToken(t, "tickets"), "/functions/orders"},
		{"a made-up source", publisherToken(t, "orders"), "/attacker"},
	} {
		ev := cloudevents.NewEvent()
		ev.SetID("forged-" + strings.ReplaceAll(tc.name, " ", "-"))
		ev.SetType("dev.test.order.created")
		ev.SetSource(tc.source)
		answer, err := eventing.Send(t.Context(), http.DefaultClient, h.ingress.URL, tc.token, ev)
		if err != nil {
			t.Fatal(err)
		}
		if answer.Status != http.StatusUnauthorized || !strings.Contains(string(answer.Body), `"errors"`) {
			t.Errorf("%s: %s, want 401 in the error shape", tc.name, answer)
		}
	}
	h.mustPublish("dev.test.order.created", "genuine")
	testenv.Eventually(t, time.Minute, "the genuine event delivered", func() bool { return h.subs["a"].count() == 1 })
	if got := h.subs["a"].ids(); len(got) != 1 || got[0] != "genuine" {
		t.Errorf("subscriber a received %v, want only the genuine event", got)
	}
}

func TestDeliveriesPresentTheTriggersIdentityForTheSubscribersAudience(t *testing.T) {
	t.Parallel()
	h := newHarness(t, setup{})
	h.mustPublish("dev.test.order.created", "e1")
	testenv.Eventually(t, time.Minute, "the delivery", func() bool { return h.subs["a"].count() == 1 })
	raw, ok := strings.CutPrefix(h.subs["a"].token(0), "Bearer ")
	if !ok {
		t.Fatalf("delivery carried Authorization %q, want a bearer token", h.subs["a"].token(0))
	}
	subject, err := eventingtest.Key().Verifier("test/a").Verify(t.Context(), raw)
	if want := manifest.ServiceAccount("test", "a-order-created-oidc-eventing.knative.dev-trigger"); err != nil || subject != want {
		t.Errorf("delivery token: subject %q, %v; want %q for audience test/a", subject, err, want)
	}
}

func TestIngressRefusesWhatIsNoCloudEvent(t *testing.T) {
	t.Parallel()
	h := newHarness(t, setup{})
	for _, tc := range []struct {
		name    string
		headers map[string]string
		body    string
	}{
		{"plain JSON", map[string]string{"Content-Type": "application/json"}, `{"hello":"world"}`},
		{"binary without id", map[string]string{"Ce-Specversion": "1.0", "Ce-Type": "t", "Ce-Source": "/s"}, `{}`},
		{"structured without type", map[string]string{"Content-Type": "application/cloudevents+json"}, `{"specversion":"1.0","id":"1","source":"/s"}`},
	} {
		req, _ := http.NewRequest(http.MethodPost, h.ingress.URL, strings.NewReader(tc.body))
		for k, v := range tc.headers {
			req.Header.Set(k, v)
		}
		eventingtest.Authorize(req, publisherToken(t, "orders"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `"errors"`) {
			t.Errorf("%s: %d %s, want 400 in the error shape", tc.name, resp.StatusCode, body)
		}
	}
}

func TestSubscriberAnswering409GetsTheEventAgainLater(t *testing.T) {
	t.Parallel()
	h := newHarness(t, setup{})
	h.subs["c"].answer(func(n int) int {
		if n <= 2 {
			return http.StatusConflict
		}
		return http.StatusOK
	})
	h.mustPublish("dev.test.ticket.created", "early")
	testenv.Eventually(t, time.Minute, "the event is accepted on the third delivery", h.settled)
	if got := h.subs["c"].count(); got != 3 {
		t.Errorf("received %d deliveries, want 3 (two 409s, then 200)", got)
	}
	if dls, _ := h.broker.DeadLetters(context.Background()); len(dls) != 0 {
		t.Errorf("dead letters: %+v", dls)
	}
}

func TestBadRequestGoesToDeadLettersWithoutRetry(t *testing.T) {
	t.Parallel()
	h := newHarness(t, setup{})
	h.subs["c"].answer(func(int) int { return http.StatusBadRequest })
	h.mustPublish("dev.test.ticket.created", "bad")
	testenv.Eventually(t, time.Minute, "the delivery settles", h.settled)
	if got := h.subs["c"].count(); got != 1 {
		t.Errorf("a 400 was delivered %d times, want once", got)
	}
	dls, err := h.broker.DeadLetters(context.Background())
	if err != nil || len(dls) != 1 {
		t.Fatalf("dead letters = %+v, %v", dls, err)
	}
	if dl := dls[0]; dl.Status != 400 || dl.EventID != "bad" || dl.Trigger != "c-ticket-created" || dl.Attempts != 1 || !strings.Contains(dl.Reason, "400") {
		t.Errorf("dead letter = %+v", dl)
	}
}

func TestServerErrorsGoToDeadLettersAfterTheTriggersRetries(t *testing.T) {
	t.Parallel()
	h := newHarness(t, setup{})
	h.subs["b"].answer(func(int) int { return http.StatusServiceUnavailable })
	h.mustPublish("dev.test.order.created", "down")
	testenv.Eventually(t, time.Minute, "every delivery settles", h.settled)
	// b-order-created retries twice (its own delivery), so three attempts.
	if got := h.subs["b"].count(); got != 3 {
		t.Errorf("b received %d attempts, want 1 + 2 retries", got)
	}
	dls, err := h.broker.DeadLetters(context.Background())
	if err != nil || len(dls) != 1 || dls[0].Status != 503 || dls[0].Attempts != 3 {
		t.Fatalf("dead letters = %+v, %v", dls, err)
	}

	// The subscriber recovers; the dead letter is replayed and delivered.
	h.subs["b"].answer(func(int) int { return http.StatusOK })
	if err := h.broker.Replay(context.Background(), dls[0].ID); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, time.Minute, "the replay is delivered", func() bool { return h.subs["b"].count() == 4 && h.settled() })
	if dls, _ := h.broker.DeadLetters(context.Background()); len(dls) != 0 {
		t.Errorf("dead letters after replay: %+v", dls)
	}
	if err := h.broker.Replay(context.Background(), dls[0].ID); err == nil {
		t.Error("replaying a dead letter twice succeeded")
	}
}

func TestUnreachableSubscriberIsRetried(t *testing.T) {
	t.Parallel()
	h := newHarness(t, setup{})
	down := h.subs["c"]
	url := down.URL
	down.Close() // connection refused from now on
	h.mustPublish("dev.test.ticket.created", "lost?")
	testenv.Eventually(t, time.Minute, "the delivery is dead-lettered after its retries", h.settled)
	dls, _ := h.broker.DeadLetters(context.Background())
	if len(dls) != 1 || dls[0].Attempts != 4 || dls[0].Status != 0 {
		t.Errorf("dead letters for %s = %+v, want one after 1 + 3 attempts", url, dls)
	}
}

// quiet gives a consumer's requests a logger that discards, so the
// expected 409s of a chaotic run do not flood the test output.
func quiet(h http.Handler) http.Handler {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(logging.WithLogger(r.Context(), logger)))
	})
}
