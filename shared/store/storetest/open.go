package storetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/firestore"
	"github.com/buytickets/buytickets/shared/store/sqlite"
	"github.com/buytickets/buytickets/shared/testenv"
)

// OpenSQLite opens the SQLite store in the file at path, the embedded
// default's driver, and closes it when tb ends.
func OpenSQLite(tb testing.TB, path string) store.Store {
	tb.Helper()
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// OpenTempSQLite opens an empty SQLite store, name.db in a temporary
// folder of tb's (OpenSQLite).
func OpenTempSQLite(tb testing.TB, name string) store.Store {
	tb.Helper()
	return OpenSQLite(tb, filepath.Join(tb.TempDir(), name+".db"))
}

// OpenFirestore opens cfg's database on the Firestore emulator of this test
// binary, production's driver, and closes it when tb ends. Unless cfg names
// one, the project is new (testenv.UniqueID), so the database starts empty
// and no other test sees it.
func OpenFirestore(tb testing.TB, cfg firestore.Config) store.Store {
	tb.Helper()
	if cfg.ProjectID == "" {
		cfg.ProjectID = testenv.UniqueID(cfg.Database)
	}
	cfg.EmulatorHost = testenv.FirestoreEmulator(tb)
	db, err := firestore.Open(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// Each runs fn as a parallel subtest per driver, named after it: "sqlite"
// (the embedded default's, in a temporary folder) and "firestore"
// (production's, on the emulator). The subtest's open returns a handle on
// one database of its own, named database, and each call another handle on
// the same one, as a second replica or a restarted process would have.
// Firestore transactions there are tried 30 times: the emulator settles
// contention by lock timeouts, far more slowly than Firestore.
func Each(t *testing.T, database string, fn func(t *testing.T, open func(testing.TB) store.Store)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), database+".db")
		fn(t, func(tb testing.TB) store.Store { return OpenSQLite(tb, path) })
	})
	t.Run("firestore", func(t *testing.T) {
		t.Parallel()
		cfg := firestore.Config{ProjectID: testenv.UniqueID(database), Database: database, MaxAttempts: 30}
		fn(t, func(tb testing.TB) store.Store { return OpenFirestore(tb, cfg) })
	})
}

// EachStore runs fn as Each does, a parallel subtest per driver, with one
// handle on the subtest's database: for tests that need no second handle.
func EachStore(t *testing.T, database string, fn func(t *testing.T, db store.Store)) {
	t.Helper()
	Each(t, database, func(t *testing.T, open func(testing.TB) store.Store) { fn(t, open(t)) })
}
