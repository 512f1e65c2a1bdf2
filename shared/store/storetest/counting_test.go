package storetest_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/sqlite"
	"github.com/buytickets/buytickets/shared/store/storetest"
)

type doc struct {
	N int `store:"n"`
}

func TestCountingStoreCountsWhatCommittedTransactionsWrote(t *testing.T) {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "count.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := &storetest.CountingStore{Store: db, Background: func(collection string) bool { return collection == "outbox" }}
	run := func(fn func(tx store.Tx) error) error {
		return c.RunTransaction(context.Background(), func(_ context.Context, tx store.Tx) error { return fn(tx) })
	}

	steps := []struct {
		name string
		fn   func(tx store.Tx) error
		want int
	}{
		{"a create, a set and a delete", func(tx store.Tx) error {
			return errors.Join(tx.Create("items", "a", doc{1}), tx.Set("items", "b", doc{2}), tx.Delete("items", "c"))
		}, 3},
		{"a rolled back write", func(tx store.Tx) error {
			tx.Set("items", "a", doc{3})
			return errors.New("refused")
		}, 3},
		{"a background entry's create", func(tx store.Tx) error { return tx.Create("outbox", "e1", doc{1}) }, 4},
		{"a background entry marked and deleted", func(tx store.Tx) error {
			return errors.Join(tx.Set("outbox", "e1", doc{2}), tx.Delete("outbox", "e1"))
		}, 4},
	}
	for _, s := range steps {
		run(s.fn)
		if got := c.Writes(); got != s.want {
			t.Fatalf("after %s: Writes() = %d, want %d", s.name, got, s.want)
		}
	}
}
