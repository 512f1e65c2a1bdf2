package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/buytickets/buytickets/shared/store"
)

type order struct {
	UserID    string    `store:"userId"`
	Status    string    `store:"status"`
	CreatedAt time.Time `store:"createdAt"`
	Ticket    struct {
		ID string `store:"id"`
	} `store:"ticket"`
}

// Queries of every shape the functions use are answered from an index
// built for the shape, in the query's order, not by reading and parsing
// each document of the collection; inside a transaction too.
func TestQueriesAreServedByTheirShapesIndex(t *testing.T) {
	ctx := context.Background()
	d, err := Open(ctx, filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	err = d.RunTransaction(ctx, func(_ context.Context, tx store.Tx) error {
		for i := range 50 {
			o := order{UserID: fmt.Sprintf("u%d", i%5), Status: "created", CreatedAt: time.Now()}
			o.Ticket.ID = fmt.Sprintf("t%d", i)
			if err := tx.Create("orders", fmt.Sprintf("o%02d", i), o); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	for _, tc := range []struct {
		name string
		q    store.Query
		inTx bool
	}{
		{"one equality", store.Query{Filters: []store.Filter{store.Where("userId", store.Eq, "u1")}}, false},
		{"two equalities, in a transaction", store.Query{Filters: []store.Filter{
			store.Where("userId", store.Eq, "u1"), store.Where("status", store.Eq, "created")}}, true},
		{"nested field", store.Query{Filters: []store.Filter{store.Where("ticket.id", store.Eq, "t3")}}, false},
		{"equality in order, newest first", store.Query{Filters: []store.Filter{store.Where("userId", store.Eq, "u1")},
			OrderBy: "createdAt", Desc: true, Limit: 5}, false},
		{"range in order", store.Query{Filters: []store.Filter{store.Where("createdAt", store.Le, at)},
			OrderBy: "createdAt", Limit: 5}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The first query builds the index; the second runs on it.
			for range 2 {
				if tc.inTx {
					err = d.RunTransaction(ctx, func(_ context.Context, tx store.Tx) error {
						_, err := tx.Query("orders", tc.q)
						return err
					})
				} else {
					_, err = d.Query(ctx, "orders", tc.q)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			ix, _ := indexFor("orders", tc.q)
			if _, known := d.indexes.Load(ix.name); !known {
				t.Fatalf("no index %s after the query", ix.name)
			}
			stmt, args, err := selectSQL("orders", tc.q, nil, ix.name)
			if err != nil {
				t.Fatal(err)
			}
			rows, err := d.db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+stmt, args...)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			got := strings.Join(plan, "; ")
			if !strings.Contains(got, "USING INDEX query_") || strings.Contains(got, "TEMP B-TREE") {
				t.Errorf("plan %q: want the shape's index, in order", got)
			}
		})
	}
}
