package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

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
	type doc struct {
		Name string `store:"name"`
	}
	err = db.RunTransaction(ctx, func(_ context.Context, tx store.Tx) error {
		return tx.Create("docs", "a", doc{Name: "kept"})
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
	var got doc
	if err := db.Get(ctx, "docs", "a", &got); err != nil || got.Name != "kept" {
		t.Errorf("after reopening: %+v, %v", got, err)
	}
}
