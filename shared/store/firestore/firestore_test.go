package firestore_test

import (
	"context"
	"testing"

	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/firestore"
	"github.com/buytickets/buytickets/shared/store/storetest"
	"github.com/buytickets/buytickets/shared/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestConformance(t *testing.T) {
	host := testenv.FirestoreEmulator(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		// A project of its own isolates each test on the shared emulator.
		db, err := firestore.Open(context.Background(), firestore.Config{
			ProjectID:    testenv.UniqueID("test"),
			Database:     "conformance",
			EmulatorHost: host,
			MaxAttempts:  30,
		})
		if err != nil {
			t.Fatal(err)
		}
		return db
	})
}
