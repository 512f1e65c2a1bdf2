// Package storetest is the store's conformance suite: every driver runs it,
// so code written against store.Store behaves the same on each.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/buytickets/buytickets/shared/apperr"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/testenv"
)

// Opener returns a fresh, empty store for one test; the test closes it.
type Opener func(t *testing.T) store.Store

type ticketRef struct {
	ID    string  `store:"id"`
	Price float64 `store:"price"`
}

type item struct {
	Name   string            `store:"name"`
	N      int               `store:"n"`
	Price  float64           `store:"price"`
	Sold   bool              `store:"sold"`
	At     time.Time         `store:"at"`
	Ticket ticketRef         `store:"ticket"`
	Tags   []string          `store:"tags,omitempty"`
	Meta   map[string]string `store:"meta,omitempty"`
	Note   *string           `store:"note"`            // stored as null when nil
	Extra  *string           `store:"extra,omitempty"` // left out when nil
	Ignore string            `store:"-"`
}

type counter struct {
	N int `store:"n"`
}

// Run runs the whole suite against the stores open returns.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"CreatedDocumentReadsBackEqual", testRoundTrip},
		{"SetReplacesTheWholeDocument", testSetReplaces},
		{"DeleteRemovesAndIgnoresMissing", testDelete},
		{"MissingOrMalformedIDIsNotFound", testNotFound},
		{"CreateOfExistingDocumentConflictsAndWritesNothing", testCreateConflict},
		{"ErrorInTransactionRollsBackEverything", testRollback},
		{"ReadAfterWriteIsRefused", testReadAfterWrite},
		{"EqualityFiltersIncludingNestedFields", testEqualityFilters},
		{"RangeFiltersCompareOnlyTheSameType", testRangeFilters},
		{"OrderLimitAndCursorPageThroughEverything", testPaging},
		{"UnknownCursorIsRefused", testBadCursor},
		{"KeysOnlySelectsTheSameDocumentsWithoutFields", testKeysOnly},
		{"RangeFilterNeedsItsFieldAsOrder", testRangeNeedsOrder},
		{"ContainsMatchesAnArrayHoldingTheValue", testContains},
		{"NullAndMissingFieldsDiffer", testNullVersusMissing},
		{"TimesAreUTCMilliseconds", testTimes},
		{"TransactionReadsAndQueries", testTransactionQuery},
		{"ConcurrentIncrementsAllCount", testConcurrentIncrements},
		{"ConcurrentCreatesHaveOneWinner", testConcurrentCreates},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s)
		})
	}
}

func ptr[T any](v T) *T { return &v }

func create(t *testing.T, s store.Store, coll, id string, doc any) {
	t.Helper()
	err := s.RunTransaction(context.Background(), func(_ context.Context, tx store.Tx) error {
		return tx.Create(coll, id, doc)
	})
	if err != nil {
		t.Fatalf("create %s/%s: %v", coll, id, err)
	}
}

// wantName fails t unless coll's document id is an item named name; what
// names the document in the failure.
func wantName(t *testing.T, s store.Store, coll, id, name, what string) {
	t.Helper()
	var got item
	if err := s.Get(context.Background(), coll, id, &got); err != nil || got.Name != name {
		t.Errorf("%s = %+v, %v", what, got, err)
	}
}

// wantAbsent fails t unless coll holds no document id; what says in the
// failure what its presence means.
func wantAbsent(t *testing.T, s store.Store, coll, id, what string) {
	t.Helper()
	if err := s.Get(context.Background(), coll, id, &item{}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("%s: %v", what, err)
	}
}

// wantQuery fails t unless q of coll answers the documents want, in
// order; name names the query in the failure.
func wantQuery(t *testing.T, s store.Store, coll, name string, q store.Query, want []string) {
	t.Helper()
	docs, err := s.Query(context.Background(), coll, q)
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return
	}
	if got := ids(docs); !slices.Equal(got, want) {
		t.Errorf("%s: got %v, want %v", name, got, want)
	}
}

func ids(docs []store.Doc) []string {
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = d.ID
	}
	return out
}

func testRoundTrip(t *testing.T, s store.Store) {
	coll := testenv.UniqueID("items")
	at := time.Date(2026, 11, 26, 19, 6, 4, 123_000_000, time.UTC)
	want := item{
		Name: "Concert", N: -7, Price: 19.99, Sold: true, At: at,
		Ticket: ticketRef{ID: "t1", Price: 5}, Tags: []string{"a", "b"},
		Meta: map[string]string{"k": "v"}, Note: ptr("note"), Extra: ptr("extra"),
	}
	create(t, s, coll, "a", want)
	var got item
	if err := s.Get(context.Background(), coll, "a", &got); err != nil {
		t.Fatalf("Get: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("read back\n got %+v\nwant %+v", got, want)
	}
	// Decoding into a used struct leaves nothing of its old contents.
	used := item{Ignore: "old", Extra: ptr("old")}
	create(t, s, coll, "b", item{Name: "b"})
	if err := s.Get(context.Background(), coll, "b", &used); err != nil {
		t.Fatalf("Get: %v", err)
	}
	if used.Ignore != "" || used.Extra != nil {
		t.Errorf("decode kept old fields: %+v", used)
	}
}

func testSetReplaces(t *testing.T, s store.Store) {
	coll := testenv.UniqueID("items")
	create(t, s, coll, "a", item{Name: "first", Extra: ptr("x"), Tags: []string{"t"}})
	err := s.RunTransaction(context.Background(), func(_ context.Context, tx store.Tx) error {
		return tx.Set(coll, "a", item{Name: "second"})
	})
	if err != nil {
		t.Fatalf("Set: %v", err)
	}
	var got item
	if err := s.Get(context.Background(), coll, "a", &got); err != nil {
		t.Fatalf("Get: %v", err)
	}
	if got.Name != "second" || got.Extra != nil || got.Tags != nil {
		t.Errorf("Set merged instead of replacing: %+v", got)
	}
	// Set also creates.
	err = s.RunTransaction(context.Background(), func(_ context.Context, tx store.Tx) error {
		return tx.Set(coll, "new", item{Name: "new"})
	})
	if err != nil {
		t.Fatalf("Set new: %v", err)
	}
	if err := s.Get(context.Background(), coll, "new", &got); err != nil || got.Name != "new" {
		t.Errorf("Set did not create: %+v, %v", got, err)
	}
}

func testDelete(t *testing.T, s store.Store) {
	coll := testenv.UniqueID("items")
	create(t, s, coll, "a", item{Name: "a"})
	err := s.RunTransaction(context.Background(), func(_ context.Context, tx store.Tx) error {
		if err := tx.Delete(coll, "a"); err != nil {
			return err
		}
		return tx.Delete(coll, "never-existed")
	})
	if err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantAbsent(t, s, coll, "a", "Get after delete, want ErrNotFound")
}

func testNotFound(t *testing.T, s store.Store) {
	coll := testenv.UniqueID("items")
	for _, id := range []string{"missing", "a/b", "", "..", "__reserved__", "tab\tid"} {
		err := s.Get(context.Background(), coll, id, &item{})
		if !errors.Is(err, store.ErrNotFound) || apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("Get(%q) = %v, want ErrNotFound", id, err)
		}
		err = s.RunTransaction(context.Background(), func(_ context.Context, tx store.Tx) error {
			return tx.Get(coll, id, &item{})
		})
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("tx.Get(%q) = %v, want ErrNotFound", id, err)
		}
	}
}

func testCreateConflict(t *testing.T, s store.Store) {
	coll := testenv.UniqueID("items")
	create(t, s, coll, "a", item{Name: "original"})
	err := s.RunTransaction(context.Background(), func(_ context.Context, tx store.Tx) error {
		if err := tx.Create(coll, "other", item{Name: "other"}); err != nil {
			return err
		}
		return tx.Create(coll, "a", item{Name: "duplicate"})
	})
	if !errors.Is(err, store.ErrConflict) || apperr.KindOf(err) != apperr.Conflict {
		t.Fatalf("duplicate Create = %v, want ErrConflict", err)
	}
	wantName(t, s, coll, "a", "original", "original document")
	wantAbsent(t, s, coll, "other", "the conflicting transaction's other write was kept")
}

func testRollback(t *testing.T, s store.Store) {
	coll := testenv.UniqueID("items")
	create(t, s, coll, "a", item{Name: "kept"})
	boom := errors.New("boom")
	err := s.RunTransaction(context.Background(), func(_ context.Context, tx store.Tx) error {
		tx.Set(coll, "a", item{Name: "changed"})
		tx.Create(coll, "b", item{Name: "b"})
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("RunTransaction = %v, want fn's error", err)
	}
	wantName(t, s, coll, "a", "kept", "document changed by a failed transaction")
	wantAbsent(t, s, coll, "b", "document created by a failed transaction")
}

func testReadAfterWrite(t *testing.T, s store.Store) {
	coll := testenv.UniqueID("items")
	err := s.RunTransaction(context.Background(), func(_ context.Context, tx store.Tx) error {
		if err := tx.Set(coll, "a", item{Name: "a"}); err != nil {
			return err
		}
		if _, err := tx.Query(coll, store.Query{}); !errors.Is(err, store.ErrReadAfterWrite) {
			return fmt.Errorf("tx.Query after write = %v, want ErrReadAfterWrite", err)
		}
		return tx.Get(coll, "a", &item{})
	})
	if !errors.Is(err, store.ErrReadAfterWrite) {
		t.Fatalf("Get after write = %v, want ErrReadAfterWrite", err)
	}
	wantAbsent(t, s, coll, "a", "a refused transaction wrote")
}

func seed(t *testing.T, s store.Store, coll string, docs map[string]item) {
	t.Helper()
	err := s.RunTransaction(context.Background(), func(_ context.Context, tx store.Tx) error {
		for id, d := range docs {
			if err := tx.Create(coll, id, d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
}

func testEqualityFilters(t *testing.T, s store.Store) {
	coll := testenv.UniqueID("items")
	seed(t, s, coll, map[string]item{
		"a": {Name: "x", N: 1, Sold: true, Ticket: ticketRef{ID: "t1", Price: 5}},
		"b": {Name: "x", N: 2, Ticket: ticketRef{ID: "t2", Price: 5.5}},
		"c": {Name: "1", N: 1, Ticket: ticketRef{ID: "t1", Price: 5}},
	})
	tests := []struct {
		name    string
		filters []store.Filter
		want    []string
	}{
		{"string", []store.Filter{store.Where("name", store.Eq, "x")}, []string{"a", "b"}},
		{"int", []store.Filter{store.Where("n", store.Eq, 1)}, []string{"a", "c"}},
		{"a number never equals a string", []store.Filter{store.Where("name", store.Eq, 1)}, nil},
		{"bool true", []store.Filter{store.Where("sold", store.Eq, true)}, []string{"a"}},
		{"bool false", []store.Filter{store.Where("sold", store.Eq, false)}, []string{"b", "c"}},
		{"nested", []store.Filter{store.Where("ticket.id", store.Eq, "t1")}, []string{"a", "c"}},
		{"nested float equals int", []store.Filter{store.Where("ticket.price", store.Eq, 5)}, []string{"a", "c"}},
		{"nested float", []store.Filter{store.Where("ticket.price", store.Eq, 5.5)}, []string{"b"}},
		{"two filters", []store.Filter{store.Where("name", store.Eq, "x"), store.Where("ticket.id", store.Eq, "t1")}, []string{"a"}},
		{"no match", []store.Filter{store.Where("name", store.Eq, "nothing")}, nil},
		{"missing field", []store.Filter{store.Where("nope", store.Eq, "x")}, nil},
	}
	for _, tc := range tests {
		wantQuery(t, s, coll, tc.name, store.Query{Filters: tc.filters}, tc.want)
	}
}

func testRangeFilters(t *testing.T, s store.Store) {
	coll := testenv.UniqueID("items")
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	seed(t, s, coll, map[string]item{
		"a": {Name: "apple", N: 1, At: base},
		"b": {Name: "banana", N: 5, At: base.Add(time.Second)},
		"c": {Name: "cherry", N: 10, At: base.Add(time.Hour)},
	})
	tests := []struct {
		name   string
		filter store.Filter
		want   []string
	}{
		{"less than", store.Where("n", store.Lt, 5), []string{"a"}},
		{"at most", store.Where("n", store.Le, 5), []string{"a", "b"}},
		{"more than", store.Where("n", store.Gt, 5), []string{"c"}},
		{"at least", store.Where("n", store.Ge, 5.0), []string{"b", "c"}},
		{"strings", store.Where("name", store.Ge, "b"), []string{"b", "c"}},
		{"times", store.Where("at", store.Lt, base.Add(time.Minute)), []string{"a", "b"}},
		{"a number range skips strings", store.Where("name", store.Gt, 0), nil},
	}
	for _, tc := range tests {
		wantQuery(t, s, coll, tc.name, store.Query{Filters: []store.Filter{tc.filter}, OrderBy: tc.filter.Field}, tc.want)
	}
}

func testPaging(t *testing.T, s store.Store) {
	coll := testenv.UniqueID("items")
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	docs := map[string]item{}
	var wantDesc []string
	// Ten documents over five distinct times, so pages cut through ties.
	for i := range 10 {
		id := fmt.Sprintf("d%02d", i)
		docs[id] = item{Name: "p", N: i, At: base.Add(time.Duration(i/2) * time.Minute)}
	}
	for i := 9; i >= 0; i-- {
		wantDesc = append(wantDesc, fmt.Sprintf("d%02d", i))
	}
	docs["other"] = item{Name: "q", At: base}
	seed(t, s, coll, docs)

	q := store.Query{Filters: []store.Filter{store.Where("name", store.Eq, "p")}, OrderBy: "at", Desc: true, Limit: 3}
	var got []string
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		page, err := s.Query(context.Background(), coll, q)
		if err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		got = append(got, ids(page)...)
		if len(page) < q.Limit {
			break
		}
		q.After = page[len(page)-1].ID
	}
	if !slices.Equal(got, wantDesc) {
		t.Errorf("pages newest first = %v, want %v", got, wantDesc)
	}

	asc, err := s.Query(context.Background(), coll, store.Query{OrderBy: "n", Limit: 4, After: "d02"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(asc), []string{"d03", "d04", "d05", "d06"}; !slices.Equal(got, want) {
		t.Errorf("ascending after d02 = %v, want %v", got, want)
	}
	byID, err := s.Query(context.Background(), coll, store.Query{After: "d08"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(byID), []string{"d09", "other"}; !slices.Equal(got, want) {
		t.Errorf("by id after d08 = %v, want %v", got, want)
	}
}

func testKeysOnly(t *testing.T, s store.Store) {
	coll := testenv.UniqueID("items")
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	docs := map[string]item{}
	for i := range 6 {
		docs[fmt.Sprintf("d%02d", i)] = item{Name: "p", N: i, At: base.Add(time.Duration(i%3) * time.Minute)}
	}
	docs["other"] = item{Name: "q", At: base}
	seed(t, s, coll, docs)
	for _, q := range []store.Query{
		{Filters: []store.Filter{store.Where("name", store.Eq, "p")}, OrderBy: "at", Desc: true, Limit: 4, After: "d04"},
		{Filters: []store.Filter{store.Where("at", store.Le, base.Add(time.Minute))}, OrderBy: "at", Limit: 5},
		{After: "d01"},
	} {
		full, err := s.Query(context.Background(), coll, q)
		if err != nil {
			t.Fatal(err)
		}
		k := q
		k.KeysOnly = true
		keys, err := s.Query(context.Background(), coll, k)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(keys), ids(full)) || len(keys) == 0 {
			t.Errorf("%+v: keys only %v, whole documents %v", q, ids(keys), ids(full))
		}
		for _, d := range keys {
			if d.Fields != nil {
				t.Errorf("%+v: keys only gave %s's fields %v", q, d.ID, d.Fields)
			}
		}
		err = s.RunTransaction(context.Background(), func(_ context.Context, tx store.Tx) error {
			inTx, err := tx.Query(coll, k)
			if err == nil && !slices.Equal(ids(inTx), ids(full)) {
				t.Errorf("%+v: keys only in a transaction %v, want %v", q, ids(inTx), ids(full))
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func testBadCursor(t *testing.T, s store.Store) {
	coll := testenv.UniqueID("items")
	seed(t, s, coll, map[string]item{"a": {Name: "a"}})
	for _, after := range []string{"missing", "a/b"} {
		_, err := s.Query(context.Background(), coll, store.Query{OrderBy: "name", After: after})
		if !errors.Is(err, store.ErrBadCursor) || apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("After %q = %v, want ErrBadCursor", after, err)
		}
	}
}

func testNullVersusMissing(t *testing.T, s store.Store) {
	coll := testenv.UniqueID("items")
	seed(t, s, coll, map[string]item{
		"null":    {Name: "n"},                                  // note: null, extra: missing
		"present": {Name: "p", Note: ptr("x"), Extra: ptr("y")}, // both present
	})
	got, err := s.Query(context.Background(), coll, store.Query{Filters: []store.Filter{store.Where("note", store.Eq, nil)}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(got), []string{"null"}) {
		t.Errorf("note == null matched %v, want [null]", ids(got))
	}
	got, err = s.Query(context.Background(), coll, store.Query{Filters: []store.Filter{store.Where("extra", store.Eq, nil)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Errorf("extra == null matched %v: a missing field is not null", ids(got))
	}
	got, err = s.Query(context.Background(), coll, store.Query{OrderBy: "extra"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(got), []string{"present"}) {
		t.Errorf("order by extra = %v, want only the document that has it", ids(got))
	}
	got, err = s.Query(context.Background(), coll, store.Query{OrderBy: "note"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids(got), []string{"null", "present"}) {
		t.Errorf("order by note = %v, want null first", ids(got))
	}
	var doc item
	if err := got[0].DataTo(&doc); err != nil || doc.Note != nil {
		t.Errorf("null decoded as %v, %v", doc.Note, err)
	}
}

func testTimes(t *testing.T, s store.Store) {
	coll := testenv.UniqueID("items")
	paris := time.FixedZone("Paris", 3600)
	at := time.Date(2026, 6, 1, 12, 30, 15, 987_654_321, paris)
	create(t, s, coll, "a", item{At: at})
	var got item
	if err := s.Get(context.Background(), coll, "a", &got); err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 6, 1, 11, 30, 15, 987_000_000, time.UTC)
	if !got.At.Equal(want) || got.At.Location() != time.UTC || got.At.Nanosecond() != 987_000_000 {
		t.Errorf("time read back as %v, want %v in UTC at millisecond precision", got.At, want)
	}
	docs, err := s.Query(context.Background(), coll, store.Query{Filters: []store.Filter{store.Where("at", store.Eq, at)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 {
		t.Errorf("equality on the time it was stored with matched %d documents", len(docs))
	}
}

func testTransactionQuery(t *testing.T, s store.Store) {
	coll := testenv.UniqueID("items")
	seed(t, s, coll, map[string]item{"a": {Name: "open", N: 1}, "b": {Name: "open", N: 2}, "c": {Name: "done"}})
	// Close every open item in one transaction: a read-modify-write over a query.
	err := s.RunTransaction(context.Background(), func(_ context.Context, tx store.Tx) error {
		docs, err := tx.Query(coll, store.Query{Filters: []store.Filter{store.Where("name", store.Eq, "open")}, OrderBy: "n"})
		if err != nil {
			return err
		}
		var first item
		if err := tx.Get(coll, "a", &first); err != nil {
			return err
		}
		for _, d := range docs {
			var it item
			if err := d.DataTo(&it); err != nil {
				return err
			}
			it.Name = "done"
			if err := tx.Set(coll, d.ID, it); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	docs, err := s.Query(context.Background(), coll, store.Query{Filters: []store.Filter{store.Where("name", store.Eq, "done")}})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(docs); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("done after the transaction: %v", got)
	}
}

func testConcurrentIncrements(t *testing.T, s store.Store) {
	coll := testenv.UniqueID("counters")
	create(t, s, coll, "c", counter{})
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			errs <- s.RunTransaction(context.Background(), func(_ context.Context, tx store.Tx) error {
				var c counter
				if err := tx.Get(coll, "c", &c); err != nil {
					return err
				}
				c.N++
				return tx.Set(coll, "c", c)
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("increment: %v", err)
		}
	}
	var c counter
	if err := s.Get(context.Background(), coll, "c", &c); err != nil {
		t.Fatal(err)
	}
	if c.N != n {
		t.Errorf("counter = %d after %d concurrent increments", c.N, n)
	}
}

func testConcurrentCreates(t *testing.T, s store.Store) {
	coll := testenv.UniqueID("claims")
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			errs <- s.RunTransaction(context.Background(), func(_ context.Context, tx store.Tx) error {
				return tx.Create(coll, "only", counter{N: i})
			})
		})
	}
	wg.Wait()
	close(errs)
	wins := 0
	for err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("losing create = %v, want ErrConflict", err)
		}
	}
	if wins != 1 {
		t.Errorf("%d creates of one id won, want exactly 1", wins)
	}
}

func testContains(t *testing.T, s store.Store) {
	coll := testenv.UniqueID("items")
	seed(t, s, coll, map[string]item{
		"a": {Name: "x", N: 1, Tags: []string{"rock", "paris"}},
		"b": {Name: "x", N: 2, Tags: []string{"jazz", "1"}},
		"c": {Name: "y", N: 3, Tags: []string{"rock"}},
		"d": {Name: "rock", N: 4},
	})
	tests := []struct {
		name string
		q    store.Query
		want []string
	}{
		{"a string", store.Query{Filters: []store.Filter{store.Where("tags", store.Contains, "rock")}}, []string{"a", "c"}},
		{"a number never matches a string", store.Query{Filters: []store.Filter{store.Where("tags", store.Contains, 1)}}, nil},
		{"a field that is not an array", store.Query{Filters: []store.Filter{store.Where("name", store.Contains, "rock")}}, nil},
		{"with an equality", store.Query{Filters: []store.Filter{store.Where("tags", store.Contains, "rock"), store.Where("name", store.Eq, "y")}}, []string{"c"}},
		{"ordered and paged", store.Query{Filters: []store.Filter{store.Where("tags", store.Contains, "rock")}, OrderBy: "n", Desc: true, After: "c"}, []string{"a"}},
	}
	for _, tc := range tests {
		wantQuery(t, s, coll, tc.name, tc.q, tc.want)
	}
	twice := store.Query{Filters: []store.Filter{store.Where("tags", store.Contains, "rock"), store.Where("tags", store.Contains, "jazz")}}
	if _, err := s.Query(context.Background(), coll, twice); err == nil {
		t.Error("a query with two array-contains filters ran; Firestore refuses it")
	}
}

func testRangeNeedsOrder(t *testing.T, s store.Store) {
	coll := testenv.UniqueID("items")
	for _, q := range []store.Query{
		{Filters: []store.Filter{store.Where("n", store.Gt, 1)}},
		{Filters: []store.Filter{store.Where("n", store.Gt, 1)}, OrderBy: "name"},
	} {
		if _, err := s.Query(context.Background(), coll, q); err == nil {
			t.Errorf("query %+v ran; a range filter must order by its own field", q)
		}
	}
}
