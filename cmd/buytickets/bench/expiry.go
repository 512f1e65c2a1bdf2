package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"time"

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
	heading(w, "Embedded scheduler: lateness",
		fmt.Sprintf("%d tasks due in the same second on the embedded scheduler (SQLite, default options: batches of 100 claimed per transaction, 16 calls at once), scheduled ahead of time; each calls a local HTTP endpoint answering 200 at once. Lateness is the call's arrival minus the task's due time; the scheduler never calls early.", tasks),
		"due", "p50 lateness", "p99 lateness", "max lateness")
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
	arrived := newArrivals(n)
	target := httptest.NewServer(arrived.handler(http.StatusOK, func(r *http.Request) string {
		return strings.TrimPrefix(r.URL.Path, "/")
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
	defer background(ctx, s.Run)()

	if err := arrived.wait(2*time.Minute, "tasks were called"); err != nil {
		return nil, err
	}
	late := make([]time.Duration, n)
	for i := range late {
		late[i] = arrived.at[i].Sub(due[i])
		if late[i] < 0 {
			return nil, fmt.Errorf("task %d called %v before its time", i, -late[i])
		}
	}
	return late, nil
}
