package storetest

import (
	"context"
	"maps"
	"testing"

	"github.com/buytickets/buytickets/shared/store"
)

// Count returns how many documents db holds in collection; the test fails
// when the collection cannot be read.
func Count(tb testing.TB, db store.Store, collection string) int {
	tb.Helper()
	docs, err := db.Query(context.Background(), collection, store.Query{})
	if err != nil {
		tb.Fatal(err)
	}
	return len(docs)
}

// Counts returns how many documents db holds in each of collections,
// leaving out those that hold none, so that an empty store counts as an
// empty map; the test fails when a collection cannot be read.
func Counts(tb testing.TB, db store.Store, collections []string) map[string]int {
	tb.Helper()
	got := map[string]int{}
	for _, c := range collections {
		if n := Count(tb, db, c); n > 0 {
			got[c] = n
		}
	}
	return got
}

// WantCounts fails tb, naming each, unless every one of collections holds
// as many documents in db as want says (none where want has no entry).
func WantCounts(tb testing.TB, db store.Store, collections []string, want map[string]int) {
	tb.Helper()
	for _, c := range collections {
		if got := Count(tb, db, c); got != want[c] {
			tb.Errorf("%s holds %d documents, want %d", c, got, want[c])
		}
	}
}

// WantSameCounts fails tb unless after holds, collection by collection,
// as many documents as before (both as Counts returns them), leaving out
// the collections ignored; the failure says that what changed the store.
func WantSameCounts(tb testing.TB, what string, before, after map[string]int, ignoring ...string) {
	tb.Helper()
	before, after = maps.Clone(before), maps.Clone(after)
	for _, c := range ignoring {
		delete(before, c)
		delete(after, c)
	}
	if !maps.Equal(after, before) {
		tb.Errorf("%s changed the store from %v to %v", what, before, after)
	}
}
