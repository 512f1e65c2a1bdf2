package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/sqlite"
	"github.com/buytickets/buytickets/shared/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "store.db"))
		if err != nil {
			t.Fatal(err)
		}
		return db
	})
}

func TestDataSurvivesReopening(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "store.db")
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	type named struct {
		Name string `store:"name"`
	}
	err = db.RunTransaction(ctx, func(_ context.Context, tx store.Tx) error {
		return tx.Create("docs", "a", named{Name: "kept"})
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var got named
	if err := db.Get(ctx, "docs", "a", &got); err != nil || got.Name != "kept" {
		t.Errorf("after reopening: %+v, %v", got, err)
	}
}

type doc struct {
	N int `store:"n"`
}

// holding starts a write transaction on db that holds its turn until
// release is closed; it returns once the transaction runs.
func holding(t *testing.T, db *sqlite.DB, release <-chan struct{}) <-chan error {
	t.Helper()
	started, done := make(chan struct{}), make(chan error, 1)
	go func() {
		done <- db.RunTransaction(context.Background(), func(_ context.Context, tx store.Tx) error {
			close(started)
			<-release
			return tx.Set("docs", "holder", doc{N: 1})
		})
	}()
	<-started
	return done
}

func open(t *testing.T, opts sqlite.Options) *sqlite.DB {
	t.Helper()
	db, err := sqlite.OpenWith(context.Background(), filepath.Join(t.TempDir(), "store.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Writers queued behind a transaction that holds the lock longer than
// SQLite's own busy timeout (5s) all commit, none is told to retry, and
// they commit in the order they arrived.
func TestWritersBehindALongHolderAllCommitInArrivalOrder(t *testing.T) {
	t.Parallel()
	db := open(t, sqlite.Options{})
	release := make(chan struct{})
	holder := holding(t, db, release)

	const writers = 40
	var mu sync.Mutex
	var order []int
	errs := make(chan error, writers)
	for i := range writers {
		go func() {
			errs <- db.RunTransaction(context.Background(), func(_ context.Context, tx store.Tx) error {
				mu.Lock()
				order = append(order, i)
				mu.Unlock()
				return tx.Set("docs", fmt.Sprintf("w%d", i), doc{N: i})
			})
		}()
		// The next writer arrives once this one waits in the queue.
		for {
			time.Sleep(time.Millisecond)
			if sqlite.Waiting(db) == i+1 {
				break
			}
		}
	}
	time.Sleep(5500 * time.Millisecond)
	close(release)
	if err := <-holder; err != nil {
		t.Fatalf("holder: %v", err)
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Errorf("writer: %v", err)
		}
	}
	if !slices.IsSorted(order) || len(order) != writers {
		t.Errorf("writers ran in the order %v, want arrival order", order)
	}
}

// A writer that waits past WriteWait is told the store is busy, without
// its transaction running; the holder commits.
func TestWriterPastTheWaitIsToldToRetry(t *testing.T) {
	t.Parallel()
	db := open(t, sqlite.Options{WriteWait: 100 * time.Millisecond})
	release := make(chan struct{})
	holder := holding(t, db, release)
	ran := false
	err := db.RunTransaction(context.Background(), func(context.Context, store.Tx) error {
		ran = true
		return nil
	})
	close(release)
	if !errors.Is(err, store.ErrUnavailable) || ran {
		t.Errorf("writer past the wait = %v (ran: %v), want ErrUnavailable without running", err, ran)
	}
	if err := <-holder; err != nil {
		t.Errorf("holder: %v", err)
	}
}

// A writer whose request is cancelled while it waits leaves the queue at
// once, and the writer behind it still gets its turn.
func TestCancelledWriterLeavesTheQueue(t *testing.T) {
	t.Parallel()
	db := open(t, sqlite.Options{})
	release := make(chan struct{})
	holder := holding(t, db, release)

	ctx, cancel := context.WithCancel(context.Background())
	cancelled := make(chan error, 1)
	go func() {
		cancelled <- db.RunTransaction(ctx, func(context.Context, store.Tx) error {
			return errors.New("a cancelled writer ran")
		})
	}()
	time.Sleep(10 * time.Millisecond)
	behind := make(chan error, 1)
	go func() {
		behind <- db.RunTransaction(context.Background(), func(_ context.Context, tx store.Tx) error {
			return tx.Set("docs", "behind", doc{N: 2})
		})
	}()
	cancel()
	if err := <-cancelled; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled writer = %v, want context.Canceled", err)
	}
	close(release)
	if err := <-holder; err != nil {
		t.Errorf("holder: %v", err)
	}
	if err := <-behind; err != nil {
		t.Errorf("writer behind the cancelled one: %v", err)
	}
}

// Under steady writes with readers reading without pause, as under load,
// the write-ahead log is emptied from time to time rather than growing
// without end.
func TestWriteAheadLogStaysSmallUnderSteadyReadsAndWrites(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "store.db")
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, stop := context.WithCancel(context.Background())
	var readers sync.WaitGroup
	for range 4 {
		readers.Go(func() {
			for ctx.Err() == nil {
				db.Query(ctx, "docs", store.Query{Filters: []store.Filter{store.Where("n", store.Ge, 0)}, OrderBy: "n", Limit: 50})
			}
		})
	}
	largest := int64(0)
	for i := range 4000 {
		err := db.RunTransaction(context.Background(), func(_ context.Context, tx store.Tx) error {
			return tx.Set("docs", fmt.Sprintf("d%d", i%200), doc{N: i})
		})
		if err != nil {
			t.Fatal(err)
		}
		if info, err := os.Stat(path + "-wal"); err == nil {
			largest = max(largest, info.Size())
		}
	}
	stop()
	readers.Wait()
	if largest > 8<<20 {
		t.Errorf("the write-ahead log grew to %d MB over 4,000 commits", largest>>20)
	}
	t.Logf("largest write-ahead log: %.1f MB", float64(largest)/(1<<20))
}
