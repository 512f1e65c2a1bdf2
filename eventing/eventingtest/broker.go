// Package eventingtest stands in for the broker in tests of functions that
// publish: a real HTTP endpoint, as K_SINK, that takes CloudEvents as the
// broker's ingress does and keeps them for the test to inspect.
package eventingtest

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/cloudevents/sdk-go/v2/event"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/identity"
)

// Broker records every CloudEvent posted to URL, in binary or structured
// mode, by a publisher that presents its token (Key, for the broker's
// audience) and publishes its own source; it answers 202 until told
// otherwise, and what it answers with a non-2xx status it does not keep.
// A request without such a token gets 401, and one with no valid event 400.
type Broker struct {
	// URL is the address to use as a function's sink.
	URL string

	mu     sync.Mutex
	status int
	events []event.Event
}

// NewBroker serves a recording broker until the test ends.
func NewBroker(tb testing.TB) *Broker {
	tb.Helper()
	b := &Broker{status: http.StatusAccepted}
	plane := Plane(tb)
	publishers := eventing.Publishers(plane)
	verify := Key().Verifier(plane.BrokerAudience()).Require(slices.Collect(maps.Keys(publishers))...)
	srv := httptest.NewServer(verify(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ev, err := binding.ToEvent(r.Context(), cehttp.NewMessageFromHttpRequest(r))
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		if subject, _ := identity.SubjectFrom(r.Context()); ev.Source() != publishers[subject] {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.status < 300 {
			b.events = append(b.events, *ev)
		}
		w.WriteHeader(b.status)
	})))
	tb.Cleanup(srv.Close)
	b.URL = srv.URL
	return b
}

// Answer makes the broker answer status from now on, as a broker that is
// down (503) or refusing (400) would.
func (b *Broker) Answer(status int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.status = status
}

// Events returns the events taken so far, in arrival order, duplicates included.
func (b *Broker) Events() []event.Event {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.events)
}

// Wait returns the first event taken that match accepts, polling until one
// arrives; the test fails, naming what, when none has after within.
func (b *Broker) Wait(tb testing.TB, within time.Duration, what string, match func(event.Event) bool) event.Event {
	tb.Helper()
	deadline := time.Now().Add(within)
	for {
		for _, ev := range b.Events() {
			if match(ev) {
				return ev
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("no %s reached the broker within %v; it has %d events", what, within, len(b.Events()))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// About returns the events taken of type typ about subject, in arrival
// order, duplicates included.
func (b *Broker) About(typ, subject string) []event.Event {
	var out []event.Event
	for _, ev := range b.Events() {
		if ev.Type() == typ && ev.Subject() == subject {
			out = append(out, ev)
		}
	}
	return out
}

// Distinct returns evs with each event once, by its id, in order of first
// arrival: what a receiver takes from an outbox that may send an event
// again.
func Distinct(evs []event.Event) []event.Event {
	seen := make(map[string]bool, len(evs))
	var out []event.Event
	for _, ev := range evs {
		if !seen[ev.ID()] {
			seen[ev.ID()] = true
			out = append(out, ev)
		}
	}
	return out
}

// WaitAbout returns the first event taken of type typ about subject,
// polling until one arrives; the test fails when none has after within.
func (b *Broker) WaitAbout(tb testing.TB, within time.Duration, typ, subject string) event.Event {
	tb.Helper()
	return b.Wait(tb, within, typ+" about "+subject, func(ev event.Event) bool {
		return ev.Type() == typ && ev.Subject() == subject
	})
}
