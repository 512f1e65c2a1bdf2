package embedded_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/buytickets/buytickets/shared/logging"
	"github.com/buytickets/buytickets/shared/scheduler"
	"github.com/buytickets/buytickets/shared/scheduler/embedded"
	"github.com/buytickets/buytickets/shared/scheduler/schedulertest"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/firestore"
	"github.com/buytickets/buytickets/shared/store/storetest"
	"github.com/buytickets/buytickets/shared/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// fast keeps retries and polling quick enough for tests.
var fast = embedded.Options{
	PollEvery:  200 * time.Millisecond,
	MinBackoff: 10 * time.Millisecond,
	MaxBackoff: 100 * time.Millisecond,
	Client:     &http.Client{Timeout: 5 * time.Second},
}

// newScheduler returns a Scheduler on db with opts.
func newScheduler(tb testing.TB, db store.Store, opts embedded.Options) *embedded.Scheduler {
	tb.Helper()
	s, err := embedded.New(db, opts)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// run runs s until the returned stop is called or the test ends.
func run(tb testing.TB, s *embedded.Scheduler) (stop func()) {
	tb.Helper()
	ctx, cancel := context.WithCancel(logging.WithLogger(context.Background(), slog.New(slog.DiscardHandler)))
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	tb.Cleanup(stop)
	return stop
}

func TestConformanceOnSQLite(t *testing.T) {
	schedulertest.Run(t, func(t *testing.T) scheduler.Scheduler {
		s := newScheduler(t, storetest.OpenSQLite(t, filepath.Join(t.TempDir(), "tasks.db")), fast)
		run(t, s)
		return s
	})
}

func TestConformanceOnFirestore(t *testing.T) {
	testenv.FirestoreEmulator(t)
	schedulertest.Run(t, func(t *testing.T) scheduler.Scheduler {
		db := storetest.OpenFirestore(t, firestore.Config{Database: "tasks", MaxAttempts: 30})
		s := newScheduler(t, db, fast)
		// The emulator takes seconds over a new database's first
		// transaction: that wait is paid here, before a test counts on time.
		if err := s.Cancel(context.Background(), "warm-up"); err != nil {
			t.Fatal(err)
		}
		run(t, s)
		return s
	})
}

// task returns a task named afresh, calling tg at at.
func task(tg *schedulertest.Target, at time.Time) scheduler.Task {
	name := testenv.UniqueID("task")
	return scheduler.Task{Name: name, URL: tg.URL(name), Body: []byte(`{"orderId":"o1"}`), At: at}
}

func TestTaskDueWhileStoppedIsCalledWhenRestarted(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "tasks.db")
	tg := schedulertest.NewTarget(t)
	ctx := context.Background()

	db := storetest.OpenSQLite(t, path)
	s := newScheduler(t, db, fast)
	stop := run(t, s)
	tk := task(tg, time.Now().Add(time.Second))
	if err := s.Schedule(ctx, tk); err != nil {
		t.Fatal(err)
	}
	stop()
	db.Close()
	if time.Now().After(tk.At) {
		t.Fatal("the scheduler was stopped after the task fell due; the test proves nothing")
	}
	time.Sleep(time.Until(tk.At.Add(100 * time.Millisecond)))
	if n := len(tg.Calls(tk.Name)); n != 0 {
		t.Fatalf("task called %d times with no scheduler running", n)
	}

	run(t, newScheduler(t, storetest.OpenSQLite(t, path), fast))
	calls := tg.Wait(t, tk.Name, 1)
	if calls[0].Arrived.Before(tk.At) {
		t.Errorf("task called before its time")
	}
}

func TestCallUnderWayWhenStoppedIsMadeAgainAfterRestart(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "tasks.db")
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	var mu sync.Mutex
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		first := calls == 1
		mu.Unlock()
		if first {
			arrived <- struct{}{}
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })

	// A lease far longer than the test: only the abandoned call's release
	// can make the task due again so soon.
	opts := fast
	opts.Lease = time.Hour
	db := storetest.OpenSQLite(t, path)
	s := newScheduler(t, db, opts)
	stop := run(t, s)
	if err := s.Schedule(context.Background(), scheduler.Task{Name: "under-way", URL: srv.URL, Body: []byte(`{}`), At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	<-arrived
	stop()
	db.Close()

	run(t, newScheduler(t, storetest.OpenSQLite(t, path), opts))
	deadline := time.Now().Add(schedulertest.Deadline)
	for {
		mu.Lock()
		n := calls
		mu.Unlock()
		if n >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the abandoned call was not made again: %d calls", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestReplicasOnOneStoreCallEachTaskOnce(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "tasks.db")
	tg := schedulertest.NewTarget(t)
	var replicas []*embedded.Scheduler
	for range 3 {
		s := newScheduler(t, storetest.OpenSQLite(t, path), fast)
		run(t, s)
		replicas = append(replicas, s)
	}
	at := time.Now().Add(500 * time.Millisecond)
	var tasks []scheduler.Task
	for i := range 60 {
		tk := task(tg, at)
		if err := replicas[i%len(replicas)].Schedule(context.Background(), tk); err != nil {
			t.Fatal(err)
		}
		tasks = append(tasks, tk)
	}
	sentinel := task(tg, at.Add(500*time.Millisecond))
	if err := replicas[0].Schedule(context.Background(), sentinel); err != nil {
		t.Fatal(err)
	}
	tg.Wait(t, sentinel.Name, 1)
	for _, tk := range tasks {
		if n := len(tg.Wait(t, tk.Name, 1)); n != 1 {
			t.Errorf("task %s called %d times by 3 replicas, want once", tk.Name, n)
		}
	}
}

func TestTaskGivenUpAfterMaxAttemptsIsKeptAndNotCalledAgain(t *testing.T) {
	t.Parallel()
	tg := schedulertest.NewTarget(t)
	db := storetest.OpenSQLite(t, filepath.Join(t.TempDir(), "tasks.db"))
	opts := fast
	opts.MaxAttempts = 2
	s := newScheduler(t, db, opts)
	run(t, s)
	tk := task(tg, time.Now())
	tg.FailFirst(tk.Name, 1000)
	if err := s.Schedule(context.Background(), tk); err != nil {
		t.Fatal(err)
	}
	tg.Wait(t, tk.Name, 2)
	sentinel := task(tg, time.Now().Add(500*time.Millisecond))
	if err := s.Schedule(context.Background(), sentinel); err != nil {
		t.Fatal(err)
	}
	tg.Wait(t, sentinel.Name, 1)
	if n := len(tg.Calls(tk.Name)); n != 2 {
		t.Errorf("task called %d times, want MaxAttempts = 2", n)
	}
	var kept struct {
		Attempts   int       `store:"attempts"`
		LastStatus int       `store:"lastStatus"`
		FailedAt   time.Time `store:"failedAt"`
		Due        *string   `store:"due"`
	}
	if err := db.Get(context.Background(), embedded.Collection, tk.Name, &kept); err != nil {
		t.Fatalf("given-up task not kept: %v", err)
	}
	if kept.Attempts != 2 || kept.LastStatus != http.StatusServiceUnavailable || kept.FailedAt.IsZero() || kept.Due != nil {
		t.Errorf("given-up task %+v, want 2 attempts, last status 503, failedAt and no due", kept)
	}
}

func TestAPathIsCalledOnTheBaseURLOfTheRunningScheduler(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "tasks.db")
	old, current := schedulertest.NewTarget(t), schedulertest.NewTarget(t)
	opts := fast
	opts.BaseURL = old.URL("")
	s := newScheduler(t, storetest.OpenSQLite(t, path), opts)
	if err := s.Schedule(context.Background(), scheduler.Task{Name: "by-path", URL: "/by-path", Body: []byte(`{}`), At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	// Started again on another port, as the embedded stack is.
	opts.BaseURL = current.URL("")
	run(t, newScheduler(t, storetest.OpenSQLite(t, path), opts))
	current.Wait(t, "by-path", 1)
	if n := len(old.Calls("by-path")); n != 0 {
		t.Errorf("the old base URL was called %d times", n)
	}
}

func TestScheduleTxAndCancelTxCommitWithTheCallersTransaction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tg := schedulertest.NewTarget(t)
	db := storetest.OpenSQLite(t, filepath.Join(t.TempDir(), "tasks.db"))
	s := newScheduler(t, db, fast)
	kept, rolledBack := task(tg, time.Now().Add(time.Hour)), task(tg, time.Now().Add(time.Hour))
	if err := db.RunTransaction(ctx, func(_ context.Context, tx store.Tx) error {
		return s.ScheduleTx(tx, kept)
	}); err != nil {
		t.Fatal(err)
	}
	refused := errors.New("refused")
	if err := db.RunTransaction(ctx, func(_ context.Context, tx store.Tx) error {
		if err := s.ScheduleTx(tx, rolledBack); err != nil {
			return err
		}
		return refused
	}); !errors.Is(err, refused) {
		t.Fatal(err)
	}
	if got := names(t, db); len(got) != 1 || got[0] != kept.Name {
		t.Fatalf("tasks %v after one committed and one rolled-back ScheduleTx, want [%s]", got, kept.Name)
	}
	if err := db.RunTransaction(ctx, func(_ context.Context, tx store.Tx) error {
		return s.CancelTx(tx, kept.Name)
	}); err != nil {
		t.Fatal(err)
	}
	if got := names(t, db); len(got) != 0 {
		t.Errorf("tasks %v after CancelTx, want none", got)
	}
	bad := kept
	bad.URL = "relative/without/base"
	if err := db.RunTransaction(ctx, func(_ context.Context, tx store.Tx) error { return s.ScheduleTx(tx, bad) }); err == nil {
		t.Error("ScheduleTx of a task with a relative URL and no base URL succeeded")
	}
}

func names(tb testing.TB, db store.Store) []string {
	tb.Helper()
	docs, err := db.Query(context.Background(), embedded.Collection, store.Query{})
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, d := range docs {
		out = append(out, d.ID)
	}
	return out
}
