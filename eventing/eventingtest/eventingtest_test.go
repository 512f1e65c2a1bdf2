package eventingtest_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/cloudevents/sdk-go/v2/event"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/eventing/outbox"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/storetest"
	"github.com/buytickets/buytickets/shared/testenv"
)

// receiver answers status to a CloudEvent in binary mode, with the event's
// id as the body, and 400 to anything else.
func receiver(t *testing.T, status int) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if cehttp.NewMessageFromHttpRequest(r).ReadEncoding() != binding.EncodingBinary {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.WriteHeader(status)
		fmt.Fprint(w, r.Header.Get("Ce-Id"))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func newEvent() event.Event {
	ev := event.New()
	ev.SetID("e1")
	ev.SetType("dev.buytickets.test")
	ev.SetSource("/test")
	ev.SetSubject("s1")
	return ev
}

func TestPostSendsInBinaryModeAndReadsTheAnswer(t *testing.T) {
	t.Parallel()
	res := eventingtest.Post(t, receiver(t, http.StatusConflict), newEvent())
	if res.Code != http.StatusConflict || string(res.Body) != "e1" {
		t.Errorf("answer %d %q, want 409 e1", res.Code, res.Body)
	}
}

func TestMustPostFailsUnless200(t *testing.T) {
	t.Parallel()
	if failures := testenv.Record(t, func(tb testing.TB) {
		eventingtest.MustPost(tb, receiver(t, http.StatusOK), newEvent())
	}); len(failures) != 0 {
		t.Errorf("200: failures %q, want none", failures)
	}
	failures := testenv.Record(t, func(tb testing.TB) {
		eventingtest.MustPost(tb, receiver(t, http.StatusServiceUnavailable), newEvent())
	})
	if want := []string{"deliver dev.buytickets.test e1 about s1: 503 e1, want 200"}; !slices.Equal(failures, want) {
		t.Errorf("503: failures %q, want %q", failures, want)
	}
}

func TestEventMakesTheEventOrFailsTheTest(t *testing.T) {
	t.Parallel()
	newWithID := func(id string) (event.Event, error) {
		if id == "" {
			return event.Event{}, fmt.Errorf("no id")
		}
		ev := newEvent()
		ev.SetID(id)
		return ev, nil
	}
	if ev := eventingtest.Event(t, newWithID, "e7"); ev.ID() != "e7" {
		t.Errorf("event %s, want e7", ev.ID())
	}
	failures := testenv.Record(t, func(tb testing.TB) { eventingtest.Event(tb, newWithID, "") })
	if want := []string{"no id"}; !slices.Equal(failures, want) {
		t.Errorf("failures %q, want %q", failures, want)
	}
}

func TestDecodeReadsTheDataOrFailsTheTest(t *testing.T) {
	t.Parallel()
	ev := newEvent()
	if err := ev.SetData(event.ApplicationJSON, map[string]string{"id": "o1"}); err != nil {
		t.Fatal(err)
	}
	if got := eventingtest.Decode[struct{ ID string }](t, ev); got.ID != "o1" {
		t.Errorf("decoded %+v, want id o1", got)
	}
	failures := testenv.Record(t, func(tb testing.TB) { eventingtest.Decode[struct{ ID string }](tb, newEvent()) })
	if len(failures) != 1 {
		t.Errorf("an event without data: failures %q, want one", failures)
	}
}

func TestFastOutboxIsQuickAndBounded(t *testing.T) {
	t.Parallel()
	o := eventingtest.FastOutbox()
	if o.MinAge != time.Millisecond || o.MinBackoff != 5*time.Millisecond || o.MaxBackoff != 100*time.Millisecond {
		t.Errorf("options %+v, want 1 ms, 5 ms and 100 ms", o)
	}
	if o.Client == nil || o.Client.Timeout != 5*time.Second {
		t.Errorf("client %+v, want a 5 s timeout", o.Client)
	}
	if eventingtest.FastOutbox().Client == o.Client {
		t.Error("two calls share a client: one test's change would reach another")
	}
}

func TestUnrelayedKeepsWhatIsRecorded(t *testing.T) {
	t.Parallel()
	db := storetest.OpenSQLite(t, filepath.Join(t.TempDir(), "outbox.db"))
	box := eventingtest.Unrelayed(t, db)
	err := db.RunTransaction(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return box.Add(ctx, tx, newEvent())
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := storetest.Count(t, db, outbox.Collection); n != 1 {
		t.Errorf("%d entries in the outbox, want 1", n)
	}
	if got := eventingtest.Recorded(t, db); len(got) != 1 || got[0].ID() != newEvent().ID() {
		t.Errorf("recorded %v, want the event added", got)
	}
}

func TestReceiverDeliversToEvents(t *testing.T) {
	t.Parallel()
	var paths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths = append(paths, r.URL.Path)
		if r.Header.Get("Ce-Id") == "e2" {
			w.WriteHeader(http.StatusConflict)
		}
	}))
	t.Cleanup(srv.Close)
	r := eventingtest.Receiver{TB: t, URL: srv.URL}
	r.MustDeliver(newEvent())
	ev := newEvent()
	ev.SetID("e2")
	if code := r.Deliver(ev); code != http.StatusConflict {
		t.Errorf("Deliver = %d, want 409", code)
	}
	if want := []string{"/events", "/events"}; !slices.Equal(paths, want) {
		t.Errorf("paths %q, want %q", paths, want)
	}
	failures := testenv.Record(t, func(tb testing.TB) {
		eventingtest.Receiver{TB: tb, URL: srv.URL}.TakeEach(map[string]event.Event{"taken": newEvent(), "refused": ev})
	})
	if want := []string{"refused: 409, want 200"}; !slices.Equal(failures, want) {
		t.Errorf("TakeEach: failures %q, want %q", failures, want)
	}
}

func TestReceiverWithAnIssuerPresentsTheIssuersToken(t *testing.T) {
	t.Parallel()
	var auth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
	}))
	t.Cleanup(srv.Close)
	is := eventingtest.NewIssuer(t)
	eventingtest.Receiver{TB: t, URL: srv.URL, Function: "orders", Issuer: is}.MustDeliver(newEvent())
	parts := strings.Split(strings.TrimPrefix(auth, "Bearer "), ".")
	var claims struct{ Iss string }
	if len(parts) != 3 {
		t.Fatalf("Authorization %q is not a bearer JWT", auth)
	}
	if b, err := base64.RawURLEncoding.DecodeString(parts[1]); err != nil || json.Unmarshal(b, &claims) != nil || claims.Iss != is.URL {
		t.Errorf("token of issuer %q (%v), want %q", claims.Iss, err, is.URL)
	}
}

func TestSweepRequestPostsToTheSweepSigned(t *testing.T) {
	t.Parallel()
	req := eventingtest.SweepRequest(t, "orders")
	if req.Method != http.MethodPost || req.URL.Path != outbox.SweepPath || !strings.HasPrefix(req.Header.Get("Authorization"), "Bearer ") {
		t.Errorf("sweep request %s %s with %q, want a signed POST to %s", req.Method, req.URL.Path, req.Header.Get("Authorization"), outbox.SweepPath)
	}
}

func TestWithDataAndWithVersionLeaveTheOriginalAlone(t *testing.T) {
	t.Parallel()
	ev := newEvent()
	ev.SetExtension("entityversion", 3)
	if err := ev.SetData(event.ApplicationJSON, map[string]int{"n": 1}); err != nil {
		t.Fatal(err)
	}
	if got := eventingtest.WithData(ev, "{"); string(got.DataEncoded) != "{" || string(ev.DataEncoded) != `{"n":1}` {
		t.Errorf("WithData gave %q and left %q", got.DataEncoded, ev.DataEncoded)
	}
	if got := eventingtest.WithVersion(ev, nil); got.Extensions()["entityversion"] != nil || ev.Extensions()["entityversion"] == nil {
		t.Errorf("WithVersion(nil) gave %v and left %v", got.Extensions(), ev.Extensions())
	}
}

func TestPostNonEventSendsTheBodyAsJSONWithAReplayToken(t *testing.T) {
	t.Parallel()
	var body, contentType, auth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		body, contentType, auth = string(b), r.Header.Get("Content-Type"), r.Header.Get("Authorization")
		w.WriteHeader(http.StatusBadRequest)
	}))
	t.Cleanup(srv.Close)
	res := eventingtest.Receiver{TB: t, URL: srv.URL, Function: "orders"}.PostNonEvent(`{"id":"x"}`)
	if res.Code != http.StatusBadRequest || body != `{"id":"x"}` || contentType != "application/json" || !strings.HasPrefix(auth, "Bearer ") {
		t.Errorf("answer %d; sent %q as %q with %q", res.Code, body, contentType, auth)
	}
}

func TestBrokerFindsAndWaitsForEventsByTypeAndSubject(t *testing.T) {
	t.Parallel()
	b := eventingtest.NewBroker(t)
	tokens, audience := eventingtest.Publishing(t, "orders")
	token, err := tokens.Token(context.Background(), audience)
	if err != nil {
		t.Fatal(err)
	}
	for i, subject := range []string{"s1", "s2", "s1"} {
		ev := newEvent()
		ev.SetID(fmt.Sprint("e", i))
		ev.SetSource("/functions/orders")
		ev.SetSubject(subject)
		if a := eventingtest.Deliver(t, b.URL, token, ev); a.Status != http.StatusAccepted {
			t.Fatalf("publish %s: %+v", ev.ID(), a)
		}
	}
	if got := b.About("dev.buytickets.test", "s1"); len(got) != 2 {
		t.Errorf("About s1: %d events, want 2", len(got))
	}
	if got := b.About("dev.buytickets.other", "s1"); len(got) != 0 {
		t.Errorf("About another type: %d events, want none", len(got))
	}
	if ev := b.WaitAbout(t, time.Second, "dev.buytickets.test", "s2"); ev.ID() != "e1" {
		t.Errorf("WaitAbout gave %s, want e1", ev.ID())
	}
}

func TestDistinctKeepsEachEventOnceInOrderOfFirstArrival(t *testing.T) {
	sent := func(id string) event.Event {
		ev := newEvent()
		ev.SetID(id)
		return ev
	}
	tests := []struct {
		name string
		ids  []string
		want []string
	}{
		{"none", nil, nil},
		{"each once", []string{"a", "b"}, []string{"a", "b"}},
		{"sent again", []string{"a", "b", "a", "a", "c", "b"}, []string{"a", "b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var evs []event.Event
			for _, id := range tt.ids {
				evs = append(evs, sent(id))
			}
			var got []string
			for _, ev := range eventingtest.Distinct(evs) {
				got = append(got, ev.ID())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Distinct(%q) = %q, want %q", tt.ids, got, tt.want)
			}
		})
	}
}

func TestServeServesTheHandlerUntilTheTestEnds(t *testing.T) {
	t.Parallel()
	r := eventingtest.Serve(t, "orders", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	}))
	if r.Function != "orders" || r.TB != t {
		t.Errorf("receiver %+v, want orders' for this test", r)
	}
	if code := r.Deliver(newEvent()); code != http.StatusTeapot {
		t.Errorf("deliver: %d, want the handler's 418", code)
	}
}
