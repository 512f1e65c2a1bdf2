// Package dispatch is the plumbing every delivery loop of the marketplace
// shares: the outbox relay, the task relay, the embedded scheduler, the
// embedded broker and payments' refunds. Each of them waits for work (a
// Waker that commits ring, a poll, a ticker), does a round of it, and
// backs off with jitter while the round fails; Loop is that wait, once.
// Backoff is the delay between failed rounds, InFlight the set of items
// this process is handling right now, so that two rounds do not send one
// item at once, and Each the bounded fan-out of a round's items.
//
// What a round does, and what it stores, stays with each user: dispatch
// knows nothing of events, tasks or stores.
package dispatch

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/buytickets/buytickets/shared/logging"
	"github.com/buytickets/buytickets/shared/store"
)

// The defaults the relays share (the outbox and the task relay), in one
// place so that they cannot drift apart.
const (
	// MinBackoff is the first delay after a failed round.
	MinBackoff = 100 * time.Millisecond
	// MaxBackoff is the longest delay between failed rounds.
	MaxBackoff = 30 * time.Second
	// MinAge is how long an item must have been pending before a sweep
	// takes it, leaving fresh ones to the relay of the replica that wrote
	// them.
	MinAge = 5 * time.Second
	// Retention is how long a finished item is kept before a sweep
	// deletes it.
	Retention = 24 * time.Hour
	// Batch is how many items one round reads and marks.
	Batch = 100
)

// Waker wakes a Loop. Its zero value is not usable: make one with
// NewWaker.
type Waker struct {
	c chan struct{}
}

// NewWaker returns a Waker with no wake-up due.
func NewWaker() *Waker { return &Waker{c: make(chan struct{}, 1)} }

// Notify makes a wake-up due; it never blocks. Wake-ups do not pile up:
// one due wake-up stands for any number of Notify calls, since the round
// it starts sees all their work.
func (w *Waker) Notify() {
	select {
	case w.c <- struct{}{}:
	default: // a wake-up is already due; its round will see this work too
	}
}

// C is the channel a due wake-up is received from.
func (w *Waker) C() <-chan struct{} { return w.c }

// Signal wakes every goroutine waiting for something to have happened,
// each of which then looks for itself. Its zero value is not usable: make
// one with NewSignal.
type Signal struct {
	mu sync.Mutex
	c  chan struct{}
}

// NewSignal returns a Signal nothing waits on yet.
func NewSignal() *Signal { return &Signal{c: make(chan struct{})} }

// C is closed at the next Notify. Take it before looking, so that what
// happens while looking wakes the waiter.
func (s *Signal) C() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.c
}

// Notify wakes every waiter on C; it never blocks.
func (s *Signal) Notify() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.c)
	s.c = make(chan struct{})
}

// Backoff is an exponential backoff with jitter, between Min and Max.
type Backoff struct {
	Min, Max time.Duration
}

// Or returns b with each bound that is zero or less replaced by def's,
// and Max raised to Min when it is below it.
func (b Backoff) Or(def Backoff) Backoff {
	if b.Min <= 0 {
		b.Min = def.Min
	}
	if b.Max <= 0 {
		b.Max = def.Max
	}
	b.Max = max(b.Max, b.Min)
	return b
}

// Delay is the delay before retry number n (from 1): a ceiling that
// doubles from Min up to Max, and a random delay between half the ceiling
// and all of it, so that replicas (or items) failing together spread out.
func (b Backoff) Delay(n int) time.Duration {
	ceiling := b.Min
	for i := 1; i < n && ceiling < b.Max; i++ {
		ceiling *= 2
	}
	ceiling = max(min(ceiling, b.Max), 0)
	return ceiling/2 + rand.N(ceiling/2+1)
}

// RelayDefaults sets, in place, each setting the relays share (the outbox
// and the task relay) that is zero or less to its default: minAge,
// retention, the backoff's bounds (with the maximum raised to the minimum)
// and batch, which it also caps at store.MaxBatch. It returns the backoff.
func RelayDefaults(minAge, retention, minBackoff, maxBackoff *time.Duration, batch *int) Backoff {
	if *minAge <= 0 {
		*minAge = MinAge
	}
	if *retention <= 0 {
		*retention = Retention
	}
	b := Backoff{Min: *minBackoff, Max: *maxBackoff}.Or(Backoff{Min: MinBackoff, Max: MaxBackoff})
	*minBackoff, *maxBackoff = b.Min, b.Max
	*batch = BatchSize(*batch, Batch, store.MaxBatch)
	return b
}

// BatchSize returns n, or def when n is zero or less, and at most most.
func BatchSize(n, def, most int) int {
	if n <= 0 {
		n = def
	}
	return min(n, most)
}

// Idle is what a round returns to wait for the next wake-up or tick only,
// with no timer of its own.
const Idle time.Duration = -1

// Loop runs rounds of work until its context ends: one at once (for what
// an earlier process left), then one whenever Wake wakes it or the delay
// its last round asked for has passed, and one after a backoff while the
// rounds fail.
type Loop struct {
	// Name says what fails in the log line of a failed round, such as
	// "outbox relay".
	Name string
	// Round does one round of work and returns how long the loop may wait
	// before the next one when nothing wakes it (Idle: until woken, 0: at
	// once), or the error that makes the loop back off.
	Round func(ctx context.Context) (time.Duration, error)
	// Wake, when set, starts a round early.
	Wake *Waker
	// WakeWhileFailing lets Wake start a round while the loop backs off.
	// By default a wake-up then waits for the retry, so that a sink that
	// is down is not hammered by every new commit.
	WakeWhileFailing bool
	// Backoff is the delay between failed rounds.
	Backoff Backoff
	// Every, when above 0, runs Tick on a ticker, between rounds.
	Every time.Duration
	// Tick is the work Every runs, such as a sweep; it logs its own errors.
	Tick func(ctx context.Context)
}

// Run runs the loop until ctx ends; a round under way then sees ctx end.
func (l Loop) Run(ctx context.Context) {
	logger := logging.FromContext(ctx)
	var tick <-chan time.Time
	if l.Every > 0 && l.Tick != nil {
		t := time.NewTicker(l.Every)
		defer t.Stop()
		tick = t.C
	}
	timer := time.NewTimer(0) // the first round takes what an earlier process left
	defer timer.Stop()
	failures := 0
	for {
		var wake <-chan struct{}
		if l.Wake != nil && (failures == 0 || l.WakeWhileFailing) {
			wake = l.Wake.C()
		}
		select {
		case <-ctx.Done():
			return
		case <-tick:
			l.Tick(ctx)
			continue
		case <-wake:
		case <-timer.C:
		}
		wait, err := l.Round(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			failures++
			wait = l.Backoff.Delay(failures)
			logger.WarnContext(ctx, l.Name+" failed, retrying",
				slog.Int("failures", failures), slog.Duration("delay", wait), slog.Any("error", err))
		} else {
			failures = 0
		}
		if wait < 0 {
			timer.Stop()
		} else {
			timer.Reset(wait)
		}
	}
}

// InFlight is the set of items (by id) this process is handling right
// now. Its zero value is an empty set.
type InFlight struct {
	mu  sync.Mutex
	ids map[string]bool
}

// Claim marks id in flight, or reports false when it already is.
func (s *InFlight) Claim(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ids[id] {
		return false
	}
	if s.ids == nil {
		s.ids = map[string]bool{}
	}
	s.ids[id] = true
	return true
}

// Has reports whether id is in flight.
func (s *InFlight) Has(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ids[id]
}

// Release ends id's flight, so it may be claimed again.
func (s *InFlight) Release(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.ids, id)
}

// Each calls do(i) for every i from 0 to n-1, each in its own goroutine
// and at most parallel (at least 1) at a time, and returns once every call
// has returned.
func Each(n, parallel int, do func(i int)) {
	sem := make(chan struct{}, max(1, parallel))
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			do(i)
		})
	}
	wg.Wait()
}
