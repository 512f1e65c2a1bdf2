package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/buytickets/buytickets/shared/logging"
	"github.com/buytickets/buytickets/shared/scheduler"
	"github.com/buytickets/buytickets/shared/scheduler/embedded"
	"github.com/buytickets/buytickets/shared/store/sqlite"
)

// schedulerLateness schedules 1,000 tasks due within one second on the
// embedded scheduler, on SQLite with its default options, and times each
// from when it was due to its call's arrival at a local endpoint answering
// 200 at once: all due at one instant, then spread evenly over the second.
func schedulerLateness(ctx context.Context, w *bytes.Buffer, tmp string) error {
	const tasks = 1000
	fmt.Fprintf(w, "\n## Embedded scheduler: lateness\n\n")
	fmt.Fprintf(w, "%d tasks due in the same second on the embedded scheduler (SQLite, default options: batches of 100 claimed per transaction, 16 calls at once), scheduled ahead of time; each calls a local HTTP endpoint answering 200 at once. Lateness is the call's arrival minus the task's due time; the scheduler never calls early.\n\n", tasks)
	fmt.Fprintln(w, "| due | p50 lateness | p99 lateness | max lateness |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, run := range []struct {
		label  string
		spread time.Duration // between consecutive tasks' due times
	}{{"all at one instant", 0}, {"spread evenly over the second", time.Second / tasks}} {
		path := filepath.Join(tmp, fmt.Sprintf("scheduler-%v.db", run.spread))
		late, err := runScheduler(ctx, path, tasks, run.spread)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", run.label, ms(percentile(late, 50)), ms(percentile(late, 99)), ms(percentile(late, 100)))
	}
	return nil
}

// runScheduler schedules n tasks, the i-th due spread×i after a common
// start, runs the scheduler until all of them arrived, and returns each
// one's lateness.
func runScheduler(ctx context.Context, path string, n int, spread time.Duration) ([]time.Duration, error) {
	var mu sync.Mutex
	arrived := make([]time.Time, n)
	got := 0
	all := make(chan struct{})
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		i, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		if err != nil || i < 0 || i >= n {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		if arrived[i].IsZero() {
			arrived[i] = now
			if got++; got == n {
				close(all)
			}
		}
		mu.Unlock()
	}))
	defer target.Close()

	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	s, err := embedded.New(db, embedded.Options{})
	if err != nil {
		return nil, err
	}
	// Far enough ahead for every Schedule to have returned.
	start := time.Now().Add(3 * time.Second)
	due := make([]time.Time, n)
	for i := range n {
		due[i] = start.Add(time.Duration(i) * spread)
		t := scheduler.Task{Name: fmt.Sprintf("task-%d", i), URL: target.URL + "/" + strconv.Itoa(i), Body: []byte(`{}`), At: due[i]}
		if err := s.Schedule(ctx, t); err != nil {
			return nil, err
		}
	}
	if time.Now().After(start) {
		return nil, fmt.Errorf("scheduling %d tasks took longer than the lead of 3 s", n)
	}
	rctx, cancel := context.WithCancel(logging.WithLogger(ctx, slog.New(slog.NewTextHandler(io.Discard, nil))))
	done := make(chan struct{})
	go func() { s.Run(rctx); close(done) }()
	defer func() { cancel(); <-done }()

	select {
	case <-all:
	case <-time.After(2 * time.Minute):
		mu.Lock()
		defer mu.Unlock()
		return nil, fmt.Errorf("only %d of %d tasks were called", got, n)
	}
	mu.Lock()
	defer mu.Unlock()
	late := make([]time.Duration, n)
	for i := range late {
		late[i] = arrived[i].Sub(due[i])
		if late[i] < 0 {
			return nil, fmt.Errorf("task %d called %v before its time", i, -late[i])
		}
	}
	return late, nil
}
