package storetest_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/firestore"
	"github.com/buytickets/buytickets/shared/store/storetest"
	"github.com/buytickets/buytickets/shared/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestEachOpenedStoreStartsEmptyAndKeepsItsOwnData(t *testing.T) {
	dir := t.TempDir()
	openers := map[string]func(name string) store.Store{
		"sqlite":    func(name string) store.Store { return storetest.OpenSQLite(t, filepath.Join(dir, name+".db")) },
		"firestore": func(name string) store.Store { return storetest.OpenFirestore(t, firestore.Config{Database: "shared"}) },
	}
	for driver, open := range openers {
		t.Run(driver, func(t *testing.T) {
			first, second := open(driver+"-first"), open(driver+"-second")
			err := first.RunTransaction(context.Background(), func(_ context.Context, tx store.Tx) error {
				return tx.Create("items", "a", doc{1})
			})
			if err != nil {
				t.Fatal(err)
			}
			var got doc
			if err := first.Get(context.Background(), "items", "a", &got); err != nil || got.N != 1 {
				t.Errorf("the store written to reads %+v, %v", got, err)
			}
			if err := second.Get(context.Background(), "items", "a", &got); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("another store opened alike reads the document: %v", err)
			}
		})
	}
}

func TestEachRunsOnBothDriversWithOneDatabaseEachThatEveryHandleShares(t *testing.T) {
	var mu sync.Mutex
	var ran []string
	t.Run("each", func(t *testing.T) {
		storetest.Each(t, "shared", func(t *testing.T, open func(testing.TB) store.Store) {
			mu.Lock()
			ran = append(ran, t.Name())
			mu.Unlock()
			first, again := open(t), open(t)
			err := first.RunTransaction(context.Background(), func(_ context.Context, tx store.Tx) error {
				return tx.Create("items", "a", doc{7})
			})
			if err != nil {
				t.Fatal(err)
			}
			var got doc
			if err := again.Get(context.Background(), "items", "a", &got); err != nil || got.N != 7 {
				t.Errorf("a second handle reads %+v, %v; want what the first wrote", got, err)
			}
		})
	})
	if len(ran) != 2 {
		t.Errorf("ran on %v, want sqlite and firestore", ran)
	}
}

func TestEachStoreRunsOnBothDriversWithAnEmptyDatabase(t *testing.T) {
	var mu sync.Mutex
	var ran []string
	t.Run("each", func(t *testing.T) {
		storetest.EachStore(t, "shared", func(t *testing.T, db store.Store) {
			mu.Lock()
			ran = append(ran, t.Name())
			mu.Unlock()
			if n := storetest.Count(t, db, "items"); n != 0 {
				t.Errorf("a new database holds %d items, want none", n)
			}
		})
	})
	if len(ran) != 2 {
		t.Errorf("ran on %v, want sqlite and firestore", ran)
	}
}

func TestOpenTempSQLiteOpensAnEmptyStoreEachTime(t *testing.T) {
	t.Parallel()
	first, second := storetest.OpenTempSQLite(t, "shared"), storetest.OpenTempSQLite(t, "shared")
	err := first.RunTransaction(context.Background(), func(_ context.Context, tx store.Tx) error {
		return tx.Create("items", "a", doc{1})
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := storetest.Count(t, second, "items"); n != 0 {
		t.Errorf("a second temporary store holds %d items, want none", n)
	}
}
