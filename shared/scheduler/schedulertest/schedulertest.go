// Package schedulertest is the scheduler's conformance suite: every driver
// runs it, so code written against scheduler.Scheduler behaves the same on
// each. Its tasks call a real HTTP endpoint (Target) that records every
// call.
//
// No assertion is timed: "not before its time" is checked on the arrival
// times the target records (and by looking shortly before the time, while
// it has not come), "on time" by waiting for the call within a generous
// deadline, and "never" or "only once" by waiting for a sentinel task due
// after the one under test, so that the driver has provably moved past it.
package schedulertest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/buytickets/buytickets/shared/scheduler"
	"github.com/buytickets/buytickets/shared/testenv"
)

// Opener returns the scheduler one test runs against, working until the
// test ends (its cleanup stops whatever the opener started).
type Opener func(t *testing.T) scheduler.Scheduler

// Deadline is how long a test waits for a call that is due: generous, since
// shared machines stall and Cloud Tasks' emulator backs off as Cloud Tasks
// does.
const Deadline = 30 * time.Second

// lead is how far ahead the suite schedules a task it looks at before its
// time: long enough for Schedule and Cancel to return first.
const lead = 2 * time.Second

// gap separates a task under test from its sentinel.
const gap = 500 * time.Millisecond

// Run runs the whole suite against the schedulers open returns.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, scheduler.Scheduler)
	}{
		{"TaskIsCalledOnceNotBeforeItsTime", testOnTime},
		{"OverdueTaskIsCalledAtOnce", testOverdue},
		{"CancelledTaskIsNeverCalled", testCancel},
		{"CancelOfAnUnknownOrFiredTaskSucceeds", testCancelUnknown},
		{"DuplicateScheduleSucceedsAndTheFirstWins", testDuplicate},
		{"FailedCallIsRetriedUntilItSucceeds", testRetry},
		{"TasksDueTogetherAreEachCalledOnce", testTogether},
		{"InvalidNameIsRefused", testInvalidName},
		{"CallContinuesTheTraceThatScheduledIt", testTrace},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

// Call is one call a Target received.
type Call struct {
	Method  string
	Header  http.Header
	Body    []byte
	Arrived time.Time
}

// Target is an HTTP endpoint that records the calls of each task, which
// it tells apart by path (URL), and answers 200 unless told to fail.
type Target struct {
	url string

	mu    sync.Mutex
	calls map[string][]Call
	fails map[string]int // answers still to fail, by task
}

// NewTarget serves a Target until the test ends.
func NewTarget(tb testing.TB) *Target {
	tb.Helper()
	tg := &Target{calls: map[string][]Call{}, fails: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(tg.serve))
	tb.Cleanup(srv.Close)
	tg.url = srv.URL
	return tg
}

func (tg *Target) serve(w http.ResponseWriter, r *http.Request) {
	arrived := time.Now()
	body, _ := io.ReadAll(r.Body)
	name := strings.TrimPrefix(r.URL.Path, "/")
	tg.mu.Lock()
	tg.calls[name] = append(tg.calls[name], Call{Method: r.Method, Header: r.Header.Clone(), Body: body, Arrived: arrived})
	fail := tg.fails[name] > 0
	if fail {
		tg.fails[name]--
	}
	tg.mu.Unlock()
	if fail {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// URL is where a task named name calls.
func (tg *Target) URL(name string) string { return tg.url + "/" + name }

// FailFirst makes the target answer 503 to the first n calls of name.
func (tg *Target) FailFirst(name string, n int) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	tg.fails[name] = n
}

// Calls returns the calls of name received so far.
func (tg *Target) Calls(name string) []Call {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return append([]Call(nil), tg.calls[name]...)
}

// Wait returns the calls of name once there are at least n, failing the
// test if Deadline passes first.
func (tg *Target) Wait(tb testing.TB, name string, n int) []Call {
	tb.Helper()
	deadline := time.Now().Add(Deadline)
	for {
		if calls := tg.Calls(name); len(calls) >= n {
			return calls
		}
		if time.Now().After(deadline) {
			tb.Fatalf("task %s: %d calls after %v, want %d", name, len(tg.Calls(name)), Deadline, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// task returns a task named afresh from prefix, calling tg at at.
func (tg *Target) task(prefix string, at time.Time) scheduler.Task {
	name := testenv.UniqueID(prefix)
	return scheduler.Task{Name: name, URL: tg.URL(name), Body: fmt.Appendf(nil, `{"task":%q}`, name), At: at}
}

func schedule(tb testing.TB, s scheduler.Scheduler, t scheduler.Task) {
	tb.Helper()
	if err := s.Schedule(context.Background(), t); err != nil {
		tb.Fatalf("Schedule %s: %v", t.Name, err)
	}
}

// inTime runs setup, which schedules tasks lead ahead and returns the
// earliest time it set, until setup returns before that time: a test that
// must act before a task is due starts again, with twice the lead (up to
// eight times), on a machine that stalled for longer than the lead.
func inTime(tb testing.TB, setup func(lead time.Duration) time.Time) {
	tb.Helper()
	for l := lead; ; l *= 2 {
		if due := setup(l); time.Now().Before(due) {
			return
		}
		if l >= 8*lead {
			tb.Fatalf("setting up took longer than %v; the test proves nothing", l)
		}
		tb.Logf("setting up took longer than %v; again, with twice the time", l)
	}
}

// notBefore checks that no call of t arrived before t.At, and looks, while
// t.At has not come yet, shortly before it.
func notBefore(tb testing.TB, tg *Target, t scheduler.Task) {
	tb.Helper()
	time.Sleep(time.Until(t.At.Add(-gap / 2)))
	calls := tg.Calls(t.Name)
	if time.Now().Before(t.At) && len(calls) > 0 {
		tb.Errorf("task %s called %v before its time", t.Name, t.At.Sub(calls[0].Arrived))
	}
}

// wantOnce checks that t was called exactly once with its own request, not
// before its time; the driver has passed later, a sentinel due after t.
func wantOnce(tb testing.TB, tg *Target, t scheduler.Task, later scheduler.Task) {
	tb.Helper()
	tg.Wait(tb, t.Name, 1)
	tg.Wait(tb, later.Name, 1)
	calls := tg.Calls(t.Name)
	if len(calls) != 1 {
		tb.Fatalf("task %s called %d times, want once", t.Name, len(calls))
	}
	c := calls[0]
	if c.Arrived.Before(t.At) {
		tb.Errorf("task %s called %v before its time", t.Name, t.At.Sub(c.Arrived))
	}
	if c.Method != http.MethodPost || string(c.Body) != string(t.Body) {
		tb.Errorf("task %s called %s with %q, want POST with %q", t.Name, c.Method, c.Body, t.Body)
	}
	if ct := c.Header.Get("Content-Type"); ct != "application/json" {
		tb.Errorf("task %s called with Content-Type %q, want application/json", t.Name, ct)
	}
	if got := c.Header.Get(scheduler.HeaderTaskName); got != t.Name {
		tb.Errorf("task %s called with %s %q", t.Name, scheduler.HeaderTaskName, got)
	}
}

func testOnTime(t *testing.T, s scheduler.Scheduler) {
	tg := NewTarget(t)
	task := tg.task("ontime", time.Now().Add(lead))
	sentinel := tg.task("sentinel", task.At.Add(gap))
	schedule(t, s, task)
	schedule(t, s, sentinel)
	notBefore(t, tg, task)
	wantOnce(t, tg, task, sentinel)
}

func testTrace(t *testing.T, s scheduler.Scheduler) {
	tg := NewTarget(t)
	traced := tg.task("traced", time.Now().Add(-time.Second))
	traced.Trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	plain := tg.task("plain", time.Now().Add(-time.Second))
	schedule(t, s, traced)
	schedule(t, s, plain)
	if got := tg.Wait(t, traced.Name, 1)[0].Header.Get("traceparent"); got != traced.Trace {
		t.Errorf("task called with traceparent %q, want %q", got, traced.Trace)
	}
	if got := tg.Wait(t, plain.Name, 1)[0].Header.Get("traceparent"); got != "" {
		t.Errorf("task scheduled with no trace called with traceparent %q", got)
	}
}

func testOverdue(t *testing.T, s scheduler.Scheduler) {
	tg := NewTarget(t)
	task := tg.task("overdue", time.Now().Add(-time.Minute))
	sentinel := tg.task("sentinel", time.Now().Add(gap))
	schedule(t, s, task)
	schedule(t, s, sentinel)
	wantOnce(t, tg, task, sentinel)
}

func testCancel(t *testing.T, s scheduler.Scheduler) {
	tg := NewTarget(t)
	ctx := context.Background()
	var task, sentinel scheduler.Task
	inTime(t, func(lead time.Duration) time.Time {
		task = tg.task("cancelled", time.Now().Add(lead))
		sentinel = tg.task("sentinel", task.At.Add(gap))
		schedule(t, s, task)
		schedule(t, s, sentinel)
		if err := s.Cancel(ctx, task.Name); err != nil {
			t.Fatalf("Cancel: %v", err)
		}
		if err := s.Cancel(ctx, task.Name); err != nil {
			t.Errorf("Cancel again: %v, want success", err)
		}
		return task.At
	})
	tg.Wait(t, sentinel.Name, 1)
	if calls := tg.Calls(task.Name); len(calls) > 0 {
		t.Errorf("cancelled task %s was called %d times", task.Name, len(calls))
	}
}

func testCancelUnknown(t *testing.T, s scheduler.Scheduler) {
	tg := NewTarget(t)
	ctx := context.Background()
	if err := s.Cancel(ctx, tg.task("never", time.Now()).Name); err != nil {
		t.Errorf("Cancel of a task never scheduled: %v, want success", err)
	}
	task := tg.task("fired", time.Now())
	schedule(t, s, task)
	tg.Wait(t, task.Name, 1)
	if err := s.Cancel(ctx, task.Name); err != nil {
		t.Errorf("Cancel of a fired task: %v, want success", err)
	}
}

func testDuplicate(t *testing.T, s scheduler.Scheduler) {
	tg := NewTarget(t)
	var task, sentinel scheduler.Task
	inTime(t, func(lead time.Duration) time.Time {
		task = tg.task("twice", time.Now().Add(lead))
		sentinel = tg.task("sentinel", task.At.Add(gap))
		schedule(t, s, task)
		second := task
		second.Body = []byte(`{"second":true}`)
		second.At = task.At.Add(-lead / 2)
		if err := s.Schedule(context.Background(), second); err != nil {
			t.Fatalf("Schedule of a name already scheduled: %v, want success", err)
		}
		schedule(t, s, sentinel)
		return second.At
	})
	wantOnce(t, tg, task, sentinel)
}

func testRetry(t *testing.T, s scheduler.Scheduler) {
	tg := NewTarget(t)
	task := tg.task("retried", time.Now())
	tg.FailFirst(task.Name, 2)
	schedule(t, s, task)
	calls := tg.Wait(t, task.Name, 3)
	for i, c := range calls[:3] {
		if got := c.Header.Get(scheduler.HeaderRetryCount); got != strconv.Itoa(i) {
			t.Errorf("call %d of %s: %s %q, want %d", i, task.Name, scheduler.HeaderRetryCount, got, i)
		}
		if string(c.Body) != string(task.Body) {
			t.Errorf("call %d of %s with %q, want %q", i, task.Name, c.Body, task.Body)
		}
	}
	sentinel := tg.task("sentinel", calls[2].Arrived.Add(gap))
	schedule(t, s, sentinel)
	tg.Wait(t, sentinel.Name, 1)
	if n := len(tg.Calls(task.Name)); n != 3 {
		t.Errorf("task %s called %d times, want 3: two answered 503, then 200", task.Name, n)
	}
}

func testTogether(t *testing.T, s scheduler.Scheduler) {
	const n = 30
	tg := NewTarget(t)
	at := time.Now().Add(lead)
	tasks := make([]scheduler.Task, n)
	var wg sync.WaitGroup
	for i := range tasks {
		tasks[i] = tg.task(fmt.Sprintf("together%d", i), at)
		wg.Go(func() {
			if err := s.Schedule(context.Background(), tasks[i]); err != nil {
				t.Errorf("Schedule %s: %v", tasks[i].Name, err)
			}
		})
	}
	wg.Wait()
	sentinel := tg.task("sentinel", at.Add(gap))
	schedule(t, s, sentinel)
	for _, task := range tasks {
		wantOnce(t, tg, task, sentinel)
	}
}

func testInvalidName(t *testing.T, s scheduler.Scheduler) {
	tg := NewTarget(t)
	ctx := context.Background()
	for _, name := range []string{"", "a/b", "a b", "ä", strings.Repeat("n", scheduler.MaxNameLen+1)} {
		task := scheduler.Task{Name: name, URL: tg.URL("x"), Body: []byte(`{}`), At: time.Now()}
		if err := s.Schedule(ctx, task); err == nil {
			t.Errorf("Schedule of name %q succeeded, want an error", name)
		}
		if err := s.Cancel(ctx, name); err == nil {
			t.Errorf("Cancel of name %q succeeded, want an error", name)
		}
	}
}
