package stack_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/buytickets/buytickets/cmd/buytickets/stack"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/sqlite"
)

// The tests look into a function's store only where no API shows what
// they check: orders' replica of tickets, and how many orders a ticket has.

// replicaTicket is the part of orders' replica document the tests read.
type replicaTicket struct {
	Version    int   `store:"version"`
	PriceCents int64 `store:"priceCents"`
}

func functionStore(t *testing.T, s *stack.Stack, function string) store.Store {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(s.DataDir(), function+".db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// ordersReplica returns orders' copy of a ticket, and whether it has one.
func ordersReplica(t *testing.T, db store.Store, ticketID string) (replicaTicket, bool) {
	t.Helper()
	var rt replicaTicket
	err := db.Get(context.Background(), "tickets", ticketID, &rt)
	if errors.Is(err, store.ErrNotFound) {
		return rt, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return rt, true
}

func ordersKnows(t *testing.T, s *stack.Stack, ticketID string) bool {
	t.Helper()
	_, ok := ordersReplica(t, functionStore(t, s, "orders"), ticketID)
	return ok
}

// ordersFor counts the orders stored for a ticket.
func ordersFor(t *testing.T, s *stack.Stack, ticketID string) int {
	t.Helper()
	docs, err := functionStore(t, s, "orders").Query(context.Background(), "orders",
		store.Query{Filters: []store.Filter{store.Where("ticket.id", store.Eq, ticketID)}})
	if err != nil {
		t.Fatal(err)
	}
	return len(docs)
}
