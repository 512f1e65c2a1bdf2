package deadletters_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/cloudevents/sdk-go/v2/event"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/eventing/identity"
	"github.com/buytickets/buytickets/functions/deadletters"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/storetest"
	"github.com/buytickets/buytickets/shared/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// t0 is when the first dead letter of every test arrives.
var t0 = testenv.Epoch

// ticker is a test clock that moves a second on every reading, so dead
// letters arrive in the order they are sent.
type ticker struct {
	mu sync.Mutex
	n  int
}

func (c *ticker) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return t0.Add(time.Duration(c.n-1) * time.Second)
}

// openSQLite returns an empty SQLite store in a temporary folder.
func openSQLite(tb testing.TB) store.Store { return storetest.OpenTempSQLite(tb, "deadletters") }

// sink is the dead-letter function under test, served over HTTP.
type sink struct {
	eventingtest.Receiver // delivers events to its /events

	tb testing.TB

	mu          sync.Mutex
	subscribers map[string]*url.URL // where the Triggers' functions are, by name
}

// subscriber serves a subscriber answering status (newSubscriber) where
// the Triggers deliver to function.
func (s *sink) subscriber(function string, status int) *subscriber {
	s.tb.Helper()
	sub := newSubscriber(s.tb, status)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.subscribers[function], _ = url.Parse(sub.URL)
	return sub
}

func (s *sink) resolve(function string) *url.URL {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u, ok := s.subscribers[function]; ok {
		return u
	}
	return eventingtest.Plane(s.tb).ClusterAddress(function)
}

// newSink serves the function on db, a fresh SQLite store when nil.
func newSink(tb testing.TB, db store.Store) *sink {
	tb.Helper()
	if db == nil {
		db = openSQLite(tb)
	}
	c := &ticker{}
	s := &sink{tb: tb, subscribers: map[string]*url.URL{}}
	replayer := eventingtest.Key().Signer(eventingtest.Plane(tb).Replayer())
	f, err := deadletters.New(deadletters.Config{}, deadletters.Deps{
		Store: db, Now: c.Now, Logger: slog.New(slog.DiscardHandler),
		Events: eventingtest.Member(tb, "deadletters"), Resolve: s.resolve,
		ReplayTokens: func(string) identity.TokenSource { return replayer },
	})
	if err != nil {
		tb.Fatal(err)
	}
	s.Receiver = eventingtest.Serve(tb, "deadletters", f.Handler())
	return s
}

// response is an answer, read whole.
type response = httpxtest.Response

func (s *sink) do(req *http.Request) response {
	s.tb.Helper()
	return httpxtest.Do(s.tb, req)
}

func (s *sink) request(method, path string, body io.Reader) *http.Request {
	s.tb.Helper()
	req, err := http.NewRequest(method, s.URL+path, body)
	if err != nil {
		s.tb.Fatal(err)
	}
	if path == "/events" {
		return eventingtest.Authorize(req, eventingtest.ReplayToken(s.tb, "deadletters"))
	}
	return eventingtest.Authorize(req, operatorToken(s.tb))
}

// operatorToken is what an operator presents to list and replay.
func operatorToken(tb testing.TB) string {
	p := eventingtest.Plane(tb)
	return eventingtest.Sign(tb, p.Operator(), p.Audience("deadletters"))
}

// record is a dead letter as the listing shows it.
type record struct {
	ID         string    `json:"id"`
	EventType  string    `json:"eventType"`
	EventID    string    `json:"eventId"`
	Source     string    `json:"source"`
	Subject    string    `json:"subject"`
	ErrorCode  int       `json:"errorCode"`
	ErrorDest  string    `json:"errorDest"`
	ErrorData  string    `json:"errorData"`
	ReceivedAt time.Time `json:"receivedAt"`
}

// list gets path (/deadletters with a query) and decodes the page,
// refusing any field a record does not have.
func (s *sink) list(path string) ([]record, response) {
	s.tb.Helper()
	res := s.do(s.request(http.MethodGet, path, nil))
	if res.Code != http.StatusOK {
		s.tb.Fatalf("GET %s: %d %s", path, res.Code, res.Body)
	}
	var page []record
	dec := json.NewDecoder(bytes.NewReader(res.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&page); err != nil || page == nil {
		s.tb.Fatalf("GET %s: body %s is not an array of dead letters: %v", path, res.Body, err)
	}
	return page, res
}

// all lists every dead letter on one page.
func (s *sink) all() []record {
	s.tb.Helper()
	page, _ := s.list("/deadletters?limit=500")
	return page
}

// replay asks the sink to replay dead letter id.
func (s *sink) replay(id string) response {
	s.tb.Helper()
	return s.do(s.request(http.MethodPost, "/deadletters/"+id+"/replay", nil))
}

// orderCreated is an event as the orders function sends it.
func orderCreated(id string) event.Event {
	ev := event.New()
	ev.SetID(id)
	ev.SetSource("/functions/orders")
	ev.SetType("dev.buytickets.order.created")
	ev.SetSubject("order-" + id)
	ev.SetExtension("entityversion", 3)
	if err := ev.SetData(event.ApplicationJSON, map[string]any{"id": "order-" + id, "version": 3}); err != nil {
		panic(err)
	}
	return ev
}

// failedAt is ev as the Broker dead-letters it after the subscriber at dest
// answered code with answer.
func failedAt(ev event.Event, dest string, code int, answer string) event.Event {
	ev = ev.Clone()
	ev.SetExtension("knativeerrorcode", strconv.Itoa(code))
	ev.SetExtension("knativeerrordest", dest)
	ev.SetExtension("knativeerrordata", base64.StdEncoding.EncodeToString([]byte(answer)))
	return ev
}

// subscriber is a function the Broker delivers to, standing in for one
// whose delivery failed; it answers what it is told and keeps what it got.
type subscriber struct {
	*httptest.Server
	mu       sync.Mutex
	status   int
	requests []received
}

// received is one request a subscriber got.
type received struct {
	Header http.Header
	Body   []byte
	Event  *event.Event
}

// newSubscriber serves a subscriber answering status until told otherwise.
func newSubscriber(tb testing.TB, status int) *subscriber {
	tb.Helper()
	s := &subscriber{status: status}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		ev, _ := binding.ToEvent(r.Context(), cehttp.NewMessageFromHttpRequest(r))
		s.mu.Lock()
		s.requests = append(s.requests, received{Header: r.Header.Clone(), Body: body, Event: ev})
		status := s.status
		s.mu.Unlock()
		w.WriteHeader(status)
		io.WriteString(w, "subscriber says "+http.StatusText(status))
	}))
	tb.Cleanup(s.Close)
	return s
}

// events is the address the Broker delivered to.
func (s *subscriber) events() string { return s.URL + "/events" }

func (s *subscriber) answer(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status = status
}

func (s *subscriber) got() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}
