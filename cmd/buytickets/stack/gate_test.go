package stack

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"
)

// held is a handler that signals when a request has come in and answers
// once released.
type held struct {
	in      chan struct{}
	release chan struct{}
}

func newHeld() *held { return &held{in: make(chan struct{}, 8), release: make(chan struct{})} }

func (h *held) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.in <- struct{}{}
	<-h.release
	w.WriteHeader(http.StatusNoContent)
}

// serveAsync serves a request through g to h on its own goroutine; the
// answer arrives on the returned channel.
func serveAsync(ctx context.Context, g *gate, h http.Handler) <-chan int {
	done := make(chan int, 1)
	go func() {
		rec := httptest.NewRecorder()
		g.serve(rec, httptest.NewRequestWithContext(ctx, http.MethodGet, "/api/tickets", nil), h)
		done <- rec.Code
	}()
	return done
}

func TestTheGateQueuesRequestsBeyondItsPlacesUntilOneIsFree(t *testing.T) {
	t.Parallel()
	g := newGate(1)
	g.lease = time.Hour
	first, second := newHeld(), newHeld()
	firstDone := serveAsync(t.Context(), g, first)
	<-first.in
	secondDone := serveAsync(t.Context(), g, second)
	select {
	case <-second.in:
		t.Fatal("a second request ran while the only place was taken")
	case <-time.After(50 * time.Millisecond):
	}
	close(first.release)
	if code := <-firstDone; code != http.StatusNoContent {
		t.Fatalf("first answered %d", code)
	}
	<-second.in
	close(second.release)
	if code := <-secondDone; code != http.StatusNoContent {
		t.Fatalf("second answered %d", code)
	}
}

func TestARequestPastItsLeaseNoLongerHoldsItsPlace(t *testing.T) {
	t.Parallel()
	g := newGate(1)
	g.lease = 10 * time.Millisecond
	slow, quick := newHeld(), newHeld()
	defer close(slow.release)
	serveAsync(t.Context(), g, slow)
	<-slow.in
	close(quick.release)
	if code := <-serveAsync(t.Context(), g, quick); code != http.StatusNoContent {
		t.Fatalf("a request behind one past its lease answered %d", code)
	}
}

func TestAClientThatGivesUpWhileQueuedIsAnswered503AndLeavesNoPlaceTaken(t *testing.T) {
	t.Parallel()
	g := newGate(1)
	g.lease = time.Hour
	first := newHeld()
	firstDone := serveAsync(t.Context(), g, first)
	<-first.in
	ctx, cancel := context.WithCancel(t.Context())
	gaveUp := serveAsync(ctx, g, newHeld())
	cancel()
	if code := <-gaveUp; code != http.StatusServiceUnavailable {
		t.Errorf("a client that gave up while queued: %d, want 503", code)
	}
	close(first.release)
	<-firstDone
	next := newHeld()
	close(next.release)
	if code := <-serveAsync(t.Context(), g, next); code != http.StatusNoContent {
		t.Fatalf("the request after them answered %d", code)
	}
}

func TestTheRouterLetsStorefrontPagesPastAFullGate(t *testing.T) {
	t.Parallel()
	api, page := newHeld(), newHeld()
	close(page.release)
	defer close(api.release)
	backends := map[string]*backend{}
	for name, h := range map[string]http.Handler{"tickets": api, "web": page} {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		u, err := url.Parse(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		backends[name] = &backend{name: name, addr: u, replicas: []*url.URL{u}}
	}
	s := &Stack{backends: backends, logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	g := newGate(1)
	g.lease = time.Hour
	router := httptest.NewServer(s.routerWith(g))
	t.Cleanup(router.Close)

	go http.Get(router.URL + "/api/tickets") //nolint:errcheck // held until the test ends
	<-api.in
	res, err := http.Get(router.URL + "/tickets/new")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Errorf("a page while the API's only place is taken: %d", res.StatusCode)
	}
}
