package eventingtest

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
)

// Post sends ev to target as NewRequest writes it, over the network with
// http.DefaultClient, and returns the answer read whole, for a test that
// checks what a receiver answers; the test fails when target cannot be
// reached.
func Post(tb testing.TB, target string, ev event.Event) httpxtest.Response {
	tb.Helper()
	return httpxtest.Do(tb, NewRequest(tb, target, ev))
}

// MustPost posts ev to target as Post does and fails tb unless target
// answers 200, as a receiver does for an event it took.
func MustPost(tb testing.TB, target string, ev event.Event) {
	tb.Helper()
	if res := Post(tb, target, ev); res.Code != http.StatusOK {
		tb.Fatalf("deliver %s %s about %s: %d %s, want 200", ev.Type(), ev.ID(), ev.Subject(), res.Code, res.Body)
	}
}

// Receiver is a function's receiver as a test delivers to it: the /events
// of Function served at URL, posted to in binary mode with the token the
// broker presents (DeliveryToken, or Issuer's when set). A test's fixture
// embeds it to deliver events.
type Receiver struct {
	TB       testing.TB
	URL      string
	Function string

	// Issuer, when set, signs the deliveries as a cluster's issuer does,
	// for a command started with ClusterEnv.
	Issuer *Issuer
}

// Serve serves h, function's handler, over HTTP until the test ends and
// returns the receiver at it.
func Serve(tb testing.TB, function string, h http.Handler) Receiver {
	tb.Helper()
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return Receiver{TB: tb, URL: srv.URL, Function: function}
}

// Post posts ev to the receiver as the broker does and returns the answer.
func (r Receiver) Post(ev event.Event) httpxtest.Response {
	r.TB.Helper()
	req := NewRequest(r.TB, r.URL+"/events", ev)
	token := ""
	if r.Issuer != nil {
		token = r.Issuer.DeliveryToken(r.TB, r.Function, ev)
	} else {
		token = DeliveryToken(r.TB, r.Function, ev)
	}
	return httpxtest.Do(r.TB, Authorize(req, token))
}

// PostNonEvent posts body, declared as JSON but no CloudEvent, to the
// receiver's /events with the token a dead letter's replay presents (it
// may carry any type), and returns the answer.
func (r Receiver) PostNonEvent(body string) httpxtest.Response {
	r.TB.Helper()
	req := httpxtest.NewJSONPost(r.TB, r.URL+"/events", body)
	return httpxtest.Do(r.TB, Authorize(req, ReplayToken(r.TB, r.Function)))
}

// Deliver posts ev to the receiver (Post) and returns the status.
func (r Receiver) Deliver(ev event.Event) int {
	r.TB.Helper()
	return r.Post(ev).Code
}

// MustDeliver posts ev to the receiver and fails unless it answers 200.
func (r Receiver) MustDeliver(ev event.Event) {
	r.TB.Helper()
	if res := r.Post(ev); res.Code != http.StatusOK {
		r.TB.Fatalf("deliver %s %s about %s: %d %s, want 200", ev.Type(), ev.ID(), ev.Subject(), res.Code, res.Body)
	}
}

// TakeEach delivers each of events, in no order, and fails the test,
// naming the event, for each that the receiver does not take with 200:
// for events a receiver must take even when it ignores them.
func (r Receiver) TakeEach(events map[string]event.Event) {
	r.TB.Helper()
	for name, ev := range events {
		if code := r.Deliver(ev); code != http.StatusOK {
			r.TB.Errorf("%s: %d, want 200", name, code)
		}
	}
}
