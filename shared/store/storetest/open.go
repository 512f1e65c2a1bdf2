package storetest

import (
	"context"
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
