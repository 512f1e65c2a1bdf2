package expiration_test

import (
	"context"
	"testing"
	"time"

	"github.com/buytickets/buytickets/shared/scheduler"
	"github.com/buytickets/buytickets/shared/scheduler/cloudtasks"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/firestore"
	"github.com/buytickets/buytickets/shared/store/storetest"
	"github.com/buytickets/buytickets/shared/testenv"
)

// openFirestore returns an empty database on the Firestore emulator.
func openFirestore(tb testing.TB) store.Store {
	tb.Helper()
	return storetest.OpenFirestore(tb, firestore.Config{Database: "expiration", MaxAttempts: 30})
}

// openCloudTasks returns a scheduler on a fresh queue of the Cloud Tasks
// emulator, which the test creates as the deploy creates production's.
func openCloudTasks(tb testing.TB) scheduler.Scheduler {
	tb.Helper()
	host, queue := testenv.CloudTasksQueue(tb, "expiration")
	s, err := cloudtasks.Open(context.Background(), cloudtasks.Config{Queue: queue, EmulatorHost: host})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// TestExpiryLifeOnEveryDriver runs orders' lives through events and the
// scheduler's calls on the embedded default's store and scheduler, on
// production's (the Firestore and Cloud Tasks emulators), and across.
func TestExpiryLifeOnEveryDriver(t *testing.T) {
	t.Parallel()
	drivers := []struct {
		name  string
		store func(testing.TB) store.Store
		tasks func(testing.TB) scheduler.Scheduler // nil: the embedded scheduler
	}{
		{"sqlite+embedded", openSQLite, nil},
		{"firestore+embedded", openFirestore, nil},
		{"sqlite+cloudtasks", openSQLite, openCloudTasks},
		{"firestore+cloudtasks", openFirestore, openCloudTasks},
	}
	for _, d := range drivers {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			opts := []fnOption{withStore(d.store(t))}
			if d.tasks != nil {
				opts = append(opts, withScheduler(d.tasks(t)))
			}
			f := newFn(t, opts...)
			// The Firestore emulator takes seconds over a new database's
			// first transaction: that wait is paid before the window starts.
			f.MustDeliver(orderCompleted(t, newOrderID()))
			at := time.Now().Add(4 * time.Second)
			open, cancelled, sentinel := newOrderID(), newOrderID(), newOrderID()
			f.MustDeliver(orderCreated(t, open, at))
			f.MustDeliver(orderCreated(t, open, at)) // the same order again
			f.MustDeliver(orderCreated(t, cancelled, at))
			f.MustDeliver(orderCreated(t, sentinel, at.Add(500*time.Millisecond)))
			f.MustDeliver(orderCancelled(t, cancelled))
			if time.Now().After(at) {
				t.Fatal("the events took longer than the window; the test proves nothing")
			}
			f.sink.waitExpired(t, sentinel)
			f.sink.waitExpired(t, open)
			if n := len(f.sink.expired(cancelled)) + f.outboxed(cancelled); n != 0 {
				t.Error("the cancelled order expired")
			}
			if n := f.outboxed(open); n != 1 {
				t.Errorf("%d expiration.completed recorded for the open order, want 1", n)
			}
			for id, want := range map[string]string{open: "expired", cancelled: "closed", sentinel: "expired"} {
				if got := f.state(id); got != want {
					t.Errorf("expiry of %s %q, want %q", id, got, want)
				}
			}
		})
	}
}
