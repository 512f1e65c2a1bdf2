package storetest

import (
	"context"
	"testing"

	"github.com/buytickets/buytickets/shared/store"
)

// Counts returns how many documents db holds in each of collections,
// leaving out those that hold none, so that an empty store counts as an
// empty map; the test fails when a collection cannot be read.
func Counts(tb testing.TB, db store.Store, collections []string) map[string]int {
	tb.Helper()
	got := map[string]int{}
	for _, c := range collections {
		docs, err := db.Query(context.Background(), c, store.Query{})
		if err != nil {
			tb.Fatal(err)
		}
		if len(docs) > 0 {
			got[c] = len(docs)
		}
	}
	return got
}
