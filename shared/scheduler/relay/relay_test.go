package relay_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/buytickets/buytickets/shared/logging"
	"github.com/buytickets/buytickets/shared/scheduler"
	"github.com/buytickets/buytickets/shared/scheduler/relay"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/sqlite"
)

// fakeScheduler records what it is asked, fails when told to, and can hold
// a Schedule until released.
type fakeScheduler struct {
	mu       sync.Mutex
	ops      []string // "schedule NAME" or "cancel NAME"
	tasks    map[string]scheduler.Task
	failures int           // calls still to fail
	hold     chan struct{} // when set, Schedule waits for it to close
	held     chan struct{} // signalled when a Schedule waits
}

var errDown = errors.New("scheduler down")

func (f *fakeScheduler) Schedule(ctx context.Context, t scheduler.Task) error {
	f.mu.Lock()
	hold, held := f.hold, f.held
	f.hold = nil
	f.mu.Unlock()
	if hold != nil {
		held <- struct{}{}
		<-hold
	}
	return f.record("schedule "+t.Name, func() {
		if f.tasks == nil {
			f.tasks = map[string]scheduler.Task{}
		}
		f.tasks[t.Name] = t
	})
}

func (f *fakeScheduler) Cancel(ctx context.Context, name string) error {
	return f.record("cancel "+name, func() {})
}

func (f *fakeScheduler) record(op string, effect func()) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failures > 0 {
		f.failures--
		return errDown
	}
	f.ops = append(f.ops, op)
	effect()
	return nil
}

func (f *fakeScheduler) recorded() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.ops)
}

// waitOps waits until the scheduler has recorded want (and nothing else).
func (f *fakeScheduler) waitOps(tb testing.TB, want ...string) {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !slices.Equal(f.recorded(), want) {
		if time.Now().After(deadline) {
			tb.Fatalf("scheduler was asked %q, want %q", f.recorded(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

var fast = relay.Options{MinBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}

func openSQLite(tb testing.TB) store.Store {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "relay.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func newRelay(tb testing.TB, db store.Store, s scheduler.Scheduler, opts relay.Options) *relay.Relay {
	tb.Helper()
	r, err := relay.New(db, s, opts)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// run runs r until the test ends.
func run(tb testing.TB, r *relay.Relay) {
	tb.Helper()
	ctx, cancel := context.WithCancel(logging.WithLogger(context.Background(), slog.New(slog.DiscardHandler)))
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	tb.Cleanup(func() { cancel(); <-done })
}

func task(name string) scheduler.Task {
	return scheduler.Task{Name: name, URL: "https://buytickets.dev/tasks/expire", Body: []byte(`{"orderId":"` + name + `"}`), At: time.Now().Add(time.Hour)}
}

// commit runs fn in a transaction of db and wakes r after it commits.
func commit(tb testing.TB, db store.Store, r *relay.Relay, fn func(tx store.Tx) error) error {
	tb.Helper()
	err := db.RunTransaction(context.Background(), func(_ context.Context, tx store.Tx) error { return fn(tx) })
	if err == nil {
		r.Notify()
	}
	return err
}

func TestCommittedIntentsAreAppliedAndRolledBackOnesNever(t *testing.T) {
	t.Parallel()
	db := openSQLite(t)
	f := &fakeScheduler{}
	r := newRelay(t, db, f, fast)
	run(t, r)
	refused := errors.New("refused")
	if err := commit(t, db, r, func(tx store.Tx) error {
		if err := r.ScheduleTx(tx, task("rolled-back")); err != nil {
			return err
		}
		return refused
	}); !errors.Is(err, refused) {
		t.Fatal(err)
	}
	want := task("kept")
	if err := commit(t, db, r, func(tx store.Tx) error { return r.ScheduleTx(tx, want) }); err != nil {
		t.Fatal(err)
	}
	f.waitOps(t, "schedule kept")
	f.mu.Lock()
	got := f.tasks["kept"]
	f.mu.Unlock()
	if got.URL != want.URL || string(got.Body) != string(want.Body) || !got.At.Equal(store.CanonicalTime(want.At)) {
		t.Errorf("scheduled %+v, want %+v", got, want)
	}
	if err := commit(t, db, r, func(tx store.Tx) error { return r.CancelTx(tx, "kept") }); err != nil {
		t.Fatal(err)
	}
	f.waitOps(t, "schedule kept", "cancel kept")
}

func TestFailedIntentsAreRetriedUntilApplied(t *testing.T) {
	t.Parallel()
	db := openSQLite(t)
	f := &fakeScheduler{failures: 3}
	r := newRelay(t, db, f, fast)
	run(t, r)
	if err := commit(t, db, r, func(tx store.Tx) error { return r.ScheduleTx(tx, task("retried")) }); err != nil {
		t.Fatal(err)
	}
	f.waitOps(t, "schedule retried")
}

func TestIntentsLeftByAStoppedProcessAreAppliedByTheNextRun(t *testing.T) {
	t.Parallel()
	db := openSQLite(t)
	f := &fakeScheduler{}
	r := newRelay(t, db, f, fast)
	// Committed with no Run going, as when the process died after commit.
	if err := commit(t, db, r, func(tx store.Tx) error { return r.ScheduleTx(tx, task("left")) }); err != nil {
		t.Fatal(err)
	}
	run(t, newRelay(t, db, f, fast))
	f.waitOps(t, "schedule left")
}

func TestAnIntentRewrittenWhileAppliedIsAppliedLast(t *testing.T) {
	t.Parallel()
	db := openSQLite(t)
	f := &fakeScheduler{hold: make(chan struct{}), held: make(chan struct{}, 1)}
	hold := f.hold
	r := newRelay(t, db, f, fast)
	run(t, r)
	if err := commit(t, db, r, func(tx store.Tx) error { return r.ScheduleTx(tx, task("raced")) }); err != nil {
		t.Fatal(err)
	}
	<-f.held // the schedule is on its way
	if err := commit(t, db, r, func(tx store.Tx) error { return r.CancelTx(tx, "raced") }); err != nil {
		t.Fatal(err)
	}
	close(hold)
	f.waitOps(t, "schedule raced", "cancel raced")
}

func TestSweepAppliesOldPendingIntentsAndDeletesOldDoneOnes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openSQLite(t)
	f := &fakeScheduler{}
	opts := fast
	opts.MinAge, opts.Retention = time.Millisecond, time.Millisecond
	r := newRelay(t, db, f, opts)
	if err := commit(t, db, r, func(tx store.Tx) error { return r.ScheduleTx(tx, task("swept")) }); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond) // older than MinAge
	applied, _, err := r.Sweep(ctx)
	if err != nil || applied != 1 {
		t.Fatalf("Sweep: %d applied, %v; want 1", applied, err)
	}
	f.waitOps(t, "schedule swept")
	time.Sleep(5 * time.Millisecond) // done longer than Retention
	_, deleted, err := r.Sweep(ctx)
	if err != nil || deleted != 1 {
		t.Fatalf("Sweep: %d deleted, %v; want 1", deleted, err)
	}
	if docs, err := db.Query(ctx, relay.Collection, store.Query{}); err != nil || len(docs) != 0 {
		t.Errorf("intents left after the sweep: %d, %v", len(docs), err)
	}
	f.waitOps(t, "schedule swept")
}

func TestSweepReportsAScheduleItCouldNotApply(t *testing.T) {
	t.Parallel()
	db := openSQLite(t)
	f := &fakeScheduler{failures: 1}
	opts := fast
	opts.MinAge = time.Millisecond
	r := newRelay(t, db, f, opts)
	if err := commit(t, db, r, func(tx store.Tx) error { return r.ScheduleTx(tx, task("down")) }); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	if _, _, err := r.Sweep(context.Background()); !errors.Is(err, errDown) {
		t.Errorf("Sweep with the scheduler down: %v, want %v", err, errDown)
	}
	if applied, _, err := r.Sweep(context.Background()); err != nil || applied != 1 {
		t.Errorf("Sweep once it is up: %d applied, %v; want 1", applied, err)
	}
}

func TestInvalidIntentsAreRefused(t *testing.T) {
	t.Parallel()
	db := openSQLite(t)
	r := newRelay(t, db, &fakeScheduler{}, fast)
	bad := map[string]scheduler.Task{
		"name":     {Name: "a/b", URL: "https://x.test/", At: time.Now()},
		"relative": {Name: "ok", URL: "/tasks/expire", At: time.Now()},
		"no time":  {Name: "ok", URL: "https://x.test/"},
	}
	for what, tk := range bad {
		err := db.RunTransaction(context.Background(), func(_ context.Context, tx store.Tx) error { return r.ScheduleTx(tx, tk) })
		if err == nil {
			t.Errorf("ScheduleTx with a bad %s succeeded", what)
		}
	}
	if err := db.RunTransaction(context.Background(), func(_ context.Context, tx store.Tx) error { return r.CancelTx(tx, "") }); err == nil {
		t.Error("CancelTx of an empty name succeeded")
	}
}
