package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/buytickets/buytickets/cmd/buytickets/stack"
	"github.com/buytickets/buytickets/shared/logging"
)

// quiet is the logger of everything a section runs: what it measures is
// the work, not the logging of it, but the records are still formatted.
var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// percentile returns the p-th percentile (0–100) of ds, nearest rank.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(p/100*float64(len(s))+0.5) - 1
	return s[max(0, min(rank, len(s)-1))]
}

// ms formats d in milliseconds with enough precision for fast calls.
func ms(d time.Duration) string {
	f := float64(d) / float64(time.Millisecond)
	switch {
	case f < 1:
		return fmt.Sprintf("%.2f ms", f)
	case f < 100:
		return fmt.Sprintf("%.1f ms", f)
	default:
		return fmt.Sprintf("%.0f ms", f)
	}
}

// heading writes a section of the report up to its table's first row: the
// title, what is measured and how, and the table's header.
func heading(w *bytes.Buffer, title, about string, columns ...string) {
	fmt.Fprintf(w, "\n## %s\n\n%s\n\n", title, about)
	fmt.Fprintf(w, "| %s |\n", strings.Join(columns, " | "))
	fmt.Fprintf(w, "|%s\n", strings.Repeat("---|", len(columns)))
}

// startStack starts the embedded default on the data folder dir with opts,
// logging nowhere.
func startStack(ctx context.Context, dir string, opts stack.Options) (*stack.Stack, error) {
	opts.DataDir = dir
	opts.Logger = quiet
	return stack.Start(ctx, opts)
}

// background runs run in a goroutine with a context that logs nowhere,
// and returns what stops it: cancel the context and wait for run to return.
func background(ctx context.Context, run func(context.Context)) (stop func()) {
	rctx, cancel := context.WithCancel(logging.WithLogger(ctx, quiet))
	done := make(chan struct{})
	go func() { run(rctx); close(done) }()
	return func() { cancel(); <-done }
}

// arrivals records when each of n numbered deliveries first arrives at a
// local endpoint; a duplicate keeps the first arrival.
type arrivals struct {
	mu  sync.Mutex
	at  []time.Time
	got int
	all chan struct{} // closed once every delivery has arrived
}

func newArrivals(n int) *arrivals {
	return &arrivals{at: make([]time.Time, n), all: make(chan struct{})}
}

// arrive records delivery i arriving now, and reports false for an i out
// of range.
func (a *arrivals) arrive(i int) bool {
	now := time.Now()
	if i < 0 || i >= len(a.at) {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.at[i].IsZero() {
		a.at[i] = now
		if a.got++; a.got == len(a.at) {
			close(a.all)
		}
	}
	return true
}

// handler records the arrival of the delivery that index names (its
// number, in decimal) and answers status, or 400 when index names none.
func (a *arrivals) handler(status int, index func(*http.Request) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i, err := strconv.Atoi(index(r))
		if err != nil || !a.arrive(i) {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.WriteHeader(status)
	})
}

// wait returns once every delivery has arrived, or an error saying how
// many of them did ("only 3 of 10 " + what) after timeout. Once it has
// returned nil, a.at holds every arrival and changes no more.
func (a *arrivals) wait(timeout time.Duration, what string) error {
	select {
	case <-a.all:
		return nil
	case <-time.After(timeout):
		a.mu.Lock()
		defer a.mu.Unlock()
		return fmt.Errorf("only %d of %d %s", a.got, len(a.at), what)
	}
}

// throughput waits for every delivery, sent[i] being when delivery i was
// sent and start when the first was, and returns the deliveries per second
// since start and the p50 and p99 of their delays; a delivery that arrived
// before its sending was recorded counts as no delay. what says what
// arrived in the error after timeout.
func (a *arrivals) throughput(start time.Time, sent []time.Time, timeout time.Duration, what string) (rate float64, p50, p99 time.Duration, err error) {
	if err := a.wait(timeout, what); err != nil {
		return 0, 0, 0, err
	}
	elapsed := time.Since(start)
	delays := make([]time.Duration, len(a.at))
	for i := range delays {
		delays[i] = max(0, a.at[i].Sub(sent[i]))
	}
	return float64(len(delays)) / elapsed.Seconds(), percentile(delays, 50), percentile(delays, 99), nil
}
