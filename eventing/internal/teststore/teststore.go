// Package teststore runs a test against each store driver: SQLite in a
// temporary folder and Firestore on the emulator that shared/testenv starts.
// A test package that uses it runs its tests through testenv.Main.
package teststore

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/firestore"
	"github.com/buytickets/buytickets/shared/store/sqlite"
	"github.com/buytickets/buytickets/shared/testenv"
)

// Opener opens a fresh, empty store of one driver; the test's cleanup closes
// it. Calling it again opens another handle on the same database, as a
// second replica or a restarted process would.
type Opener func(t *testing.T) store.Store

// Each runs fn as a parallel subtest per driver, named after it, with an
// Opener for one database of its own.
func Each(t *testing.T, fn func(t *testing.T, open Opener)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "store.db")
		fn(t, func(t *testing.T) store.Store {
			t.Helper()
			db, err := sqlite.Open(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		})
	})
	t.Run("firestore", func(t *testing.T) {
		t.Parallel()
		host := testenv.FirestoreEmulator(t)
		// A project of its own isolates the test on the shared emulator.
		project := testenv.UniqueID("eventing")
		fn(t, func(t *testing.T) store.Store {
			t.Helper()
			db, err := firestore.Open(context.Background(), firestore.Config{
				ProjectID:    project,
				Database:     "eventing",
				EmulatorHost: host,
				// The emulator settles contention by lock timeouts, far
				// more slowly than Firestore.
				MaxAttempts: 30,
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		})
	})
}
