package stack

import (
	"net/http"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/buytickets/buytickets/shared/httpx"
)

// gateLease is the longest a request counts against the gate. Most API
// requests finish well within it; one that waits on something other than
// the processor (a sign-in's password hash, an order waiting for a
// listing) stops holding a place when it passes it, so that a few slow
// requests cannot hold the whole API up.
const gateLease = 100 * time.Millisecond

// gate bounds how many API requests run at once in the one process, and
// queues the rest in arrival order. Every function of the marketplace
// shares the same few cores: with no bound, each of a crowd of clients'
// requests gets a sliver of them, and so does every event on its way
// between functions, which then waits behind the whole crowd at each of
// its hops. With a bound near the number of cores, requests wait their
// turn at the door instead, and events, which never pass through it, move
// at once. In a cluster each function's own replicas and Knative's
// containerConcurrency do this; here the router does.
type gate struct {
	places *semaphore.Weighted
	lease  time.Duration
}

// newGate returns a gate of n places (2 × GOMAXPROCS when n is 0); nil,
// which lets every request through, when n is negative.
func newGate(n int) *gate {
	switch {
	case n < 0:
		return nil
	case n == 0:
		n = 2 * runtime.GOMAXPROCS(0)
	}
	return &gate{places: semaphore.NewWeighted(int64(n)), lease: gateLease}
}

// serve serves r with h once a place is free, and frees it when h returns
// or when the lease ends, whichever comes first. A client that gives up
// while waiting leaves the queue.
func (g *gate) serve(w http.ResponseWriter, r *http.Request, h http.Handler) {
	if g == nil {
		h.ServeHTTP(w, r)
		return
	}
	if err := g.places.Acquire(r.Context(), 1); err != nil {
		w.Header().Set("Retry-After", httpx.RetryAfterSeconds)
		httpx.JSON(w, http.StatusServiceUnavailable, httpx.ErrorBody{Errors: []httpx.ErrorItem{{Message: "Service unavailable"}}})
		return
	}
	var once sync.Once
	release := func() { once.Do(func() { g.places.Release(1) }) }
	lease := time.AfterFunc(g.lease, release)
	defer func() {
		lease.Stop()
		release()
	}()
	h.ServeHTTP(w, r)
}
