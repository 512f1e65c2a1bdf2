package storetest_test

import (
	"context"
	"errors"
	"maps"
	"path/filepath"
	"slices"
	"testing"

	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/storetest"
	"github.com/buytickets/buytickets/shared/testenv"
)

func TestCountsCountsTheDocumentsOfEachCollectionThatHasAny(t *testing.T) {
	t.Parallel()
	db := storetest.OpenSQLite(t, filepath.Join(t.TempDir(), "counts.db"))
	if got := storetest.Counts(t, db, []string{"a", "b"}); len(got) != 0 {
		t.Errorf("empty store counts %v, want nothing", got)
	}
	err := db.RunTransaction(context.Background(), func(_ context.Context, tx store.Tx) error {
		for _, id := range []string{"1", "2"} {
			if err := tx.Create("a", id, doc{N: 1}); err != nil {
				return err
			}
		}
		return tx.Create("c", "1", doc{N: 1})
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := storetest.Counts(t, db, []string{"a", "b"}), map[string]int{"a": 2}; !maps.Equal(got, want) {
		t.Errorf("counts %v, want %v: only the collections asked for, and none empty", got, want)
	}
}

func TestCountsFailsWhenACollectionCannotBeRead(t *testing.T) {
	t.Parallel()
	failures := testenv.Record(t, func(tb testing.TB) {
		storetest.Counts(tb, storetest.Unavailable{}, []string{"a"})
	})
	if want := []string{store.ErrUnavailable.Error()}; !slices.Equal(failures, want) {
		t.Errorf("failures %q, want %q", failures, want)
	}
}

func TestUnavailableFailsEveryCallAsUnavailable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var db store.Store = storetest.Unavailable{}
	ran := false
	if err := db.RunTransaction(ctx, func(context.Context, store.Tx) error { ran = true; return nil }); !errors.Is(err, store.ErrUnavailable) || ran {
		t.Errorf("RunTransaction = %v, ran %v; want ErrUnavailable without running", err, ran)
	}
	if err := db.Get(ctx, "things", "a", &doc{}); !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Get = %v, want ErrUnavailable", err)
	}
	if docs, err := db.Query(ctx, "things", store.Query{}); !errors.Is(err, store.ErrUnavailable) || docs != nil {
		t.Errorf("Query = %v, %v; want ErrUnavailable", docs, err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
}

func TestWantCountsNamesEveryCollectionThatDiffers(t *testing.T) {
	t.Parallel()
	db := storetest.OpenSQLite(t, filepath.Join(t.TempDir(), "want.db"))
	err := db.RunTransaction(context.Background(), func(_ context.Context, tx store.Tx) error {
		return tx.Create("a", "1", doc{N: 1})
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := storetest.Count(t, db, "a"); n != 1 {
		t.Errorf("Count(a) = %d, want 1", n)
	}
	if failures := testenv.Record(t, func(tb testing.TB) {
		storetest.WantCounts(tb, db, []string{"a", "b"}, map[string]int{"a": 1})
	}); len(failures) != 0 {
		t.Errorf("matching counts: failures %q, want none", failures)
	}
	failures := testenv.Record(t, func(tb testing.TB) {
		storetest.WantCounts(tb, db, []string{"a", "b"}, map[string]int{"b": 2})
	})
	if want := []string{"a holds 1 documents, want 0", "b holds 0 documents, want 2"}; !slices.Equal(failures, want) {
		t.Errorf("failures %q, want %q", failures, want)
	}
}

func TestWantSameCountsIgnoresOnlyWhatItIsTold(t *testing.T) {
	t.Parallel()
	before := map[string]int{"orders": 1, "receipts": 1}
	for _, tc := range []struct {
		name     string
		after    map[string]int
		ignoring []string
		want     []string
	}{
		{"the same", map[string]int{"orders": 1, "receipts": 1}, nil, nil},
		{"a receipt more, ignored", map[string]int{"orders": 1, "receipts": 2}, []string{"receipts"}, nil},
		{"a receipt more", map[string]int{"orders": 1, "receipts": 2}, nil,
			[]string{"the test changed the store from map[orders:1 receipts:1] to map[orders:1 receipts:2]"}},
		{"an order more", map[string]int{"orders": 2, "receipts": 2}, []string{"receipts"},
			[]string{"the test changed the store from map[orders:1] to map[orders:2]"}},
	} {
		failures := testenv.Record(t, func(tb testing.TB) {
			storetest.WantSameCounts(tb, "the test", before, tc.after, tc.ignoring...)
		})
		if !slices.Equal(failures, tc.want) {
			t.Errorf("%s: failures %q, want %q", tc.name, failures, tc.want)
		}
	}
	if len(before) != 2 {
		t.Errorf("WantSameCounts changed the counts it was given: %v", before)
	}
}
