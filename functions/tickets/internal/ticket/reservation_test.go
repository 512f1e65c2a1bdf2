package ticket_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/buytickets/buytickets/functions/tickets/internal/ticket"
)

// orderEvent is one order event as the lock rules take it: "C1" is
// order.created of reservation 1, "X1" its order.cancelled, "P1" its
// order.completed (paid); order n holds reservation n. "W" is the
// seller's ban, which withdraws the listing.
type orderEvent string

func (e orderEvent) apply(t *ticket.Ticket) ticket.Outcome {
	if e == "W" {
		return t.Withdraw()
	}
	var n int
	fmt.Sscanf(string(e[1:]), "%d", &n)
	r, err := ticket.NewReservation(n, fmt.Sprintf("order-%d", n))
	if err != nil {
		panic(err)
	}
	switch e[0] {
	case 'C':
		return t.Lock(r)
	case 'X':
		return t.Unlock(r)
	case 'P':
		return t.Sell(r)
	}
	panic("unknown event " + e)
}

func newTicket() ticket.Ticket {
	return ticket.New("seller", ticket.Details{Title: "Concert", Price: 2000}, time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
}

// run applies events in order to a new ticket and returns it.
func run(events ...orderEvent) ticket.Ticket {
	t := newTicket()
	for _, e := range events {
		e.apply(&t)
	}
	return t
}

func events(s string) []orderEvent {
	var out []orderEvent
	for f := range strings.FieldsSeq(s) {
		out = append(out, orderEvent(f))
	}
	return out
}

// history is one history of a ticket's events and how the ticket ends.
type history struct {
	name    string
	events  string
	status  ticket.Status
	order   string
	version int
}

// runHistories applies each history's events in order to a new ticket,
// in a parallel subtest, and checks how it ends.
func runHistories(t *testing.T, histories []history) {
	t.Helper()
	for _, tc := range histories {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := run(events(tc.events)...)
			if got.Status() != tc.status || got.OrderID() != tc.order || got.Version() != tc.version {
				t.Errorf("%s: status %s, order %q, version %d; want %s, %q, %d",
					tc.events, got.Status(), got.OrderID(), got.Version(), tc.status, tc.order, tc.version)
			}
		})
	}
}

func TestOrderEventsLockUnlockAndSellInAnyOrder(t *testing.T) {
	t.Parallel()
	runHistories(t, []history{
		{"created locks", "C1", ticket.Reserved, "order-1", 1},
		{"created twice locks once", "C1 C1", ticket.Reserved, "order-1", 1},
		{"cancelled unlocks its own reservation", "C1 X1", ticket.Available, "", 2},
		{"cancelled twice unlocks once", "C1 X1 X1", ticket.Available, "", 2},
		{"created again after its cancel is ignored", "C1 X1 C1", ticket.Available, "", 2},
		{"cancel before created leaves the ticket available", "X1", ticket.Available, "", 0},
		{"created after its cancel is a tombstone", "X1 C1", ticket.Available, "", 0},
		{"completed sells", "C1 P1", ticket.Sold, "order-1", 2},
		{"completed sells without its created", "P1", ticket.Sold, "order-1", 1},
		{"created after completed changes nothing", "P1 C1", ticket.Sold, "order-1", 1},
		{"cancelled after completed changes nothing", "P1 X1", ticket.Sold, "order-1", 1},
		{"sold is final", "C1 P1 X1 C2 X2 P2", ticket.Sold, "order-1", 2},
		{"completed twice sells once", "C1 P1 P1", ticket.Sold, "order-1", 2},
		{"a new reservation after a cancel locks", "C1 X1 C2", ticket.Reserved, "order-2", 3},
		{"a newer created takes over an older lock", "C1 C2", ticket.Reserved, "order-2", 2},
		{"a late cancel of an older reservation keeps the newer lock", "C1 C2 X1", ticket.Reserved, "order-2", 2},
		{"an older created after a newer one is ignored", "C2 C1 X1", ticket.Reserved, "order-2", 1},
		{"an older cancel before a newer created", "X1 C2 C1", ticket.Reserved, "order-2", 1},
		{"both reservations cancelled, newest first", "C2 X2 C1 X1", ticket.Available, "", 2},
		{"a newer tombstone ignores its created", "X2 C2", ticket.Available, "", 0},
		{"a newer tombstone ignores an older created", "X2 C1", ticket.Available, "", 0},
		{"a newer cancel releases an older lock", "C1 X2", ticket.Available, "", 2},
		{"the second reservation sells", "C1 X1 C2 P2", ticket.Sold, "order-2", 4},
		{"the second reservation sells whatever came first", "P2 C1 X1 C2 X2", ticket.Sold, "order-2", 1},
		{"a newer completed sells over an older lock", "C1 P2", ticket.Sold, "order-2", 2},
		{"completed over a tombstone", "X1 P2", ticket.Sold, "order-2", 1},
		{"duplicates around a sale", "C2 C2 P2 P2 X2 C2", ticket.Sold, "order-2", 2},
	})
}

// TestEveryOrderingOfEveryHistoryEndsTheSame delivers each history orders
// can make of a ticket's reservations 1 and 2 in every order, with every
// event once or twice: the ticket always ends as the history says, its
// version counts exactly the changes a client saw, and an event delivered
// again right away is ignored.
func TestEveryOrderingOfEveryHistoryEndsTheSame(t *testing.T) {
	t.Parallel()
	histories := []struct {
		events string
		status ticket.Status
		order  string
	}{
		{"C1", ticket.Reserved, "order-1"},
		{"C1 X1", ticket.Available, ""},
		{"C1 P1", ticket.Sold, "order-1"},
		{"C1 X1 C2", ticket.Reserved, "order-2"},
		{"C1 X1 C2 X2", ticket.Available, ""},
		{"C1 X1 C2 P2", ticket.Sold, "order-2"},
	}
	for _, h := range histories {
		t.Run(h.events, func(t *testing.T) {
			t.Parallel()
			distinct := events(h.events)
			orderings := 0
			for mask := range 1 << len(distinct) {
				counts := map[orderEvent]int{}
				for i, e := range distinct {
					counts[e] = 1 + (mask>>i)&1
				}
				for perm := range permutations(counts, len(distinct)+popcount(mask)) {
					orderings++
					checkOrdering(t, perm, h.status, h.order)
				}
			}
			t.Logf("%d orderings", orderings)
		})
	}
}

func checkOrdering(t *testing.T, perm []orderEvent, status ticket.Status, order string) {
	t.Helper()
	tk := newTicket()
	changes := 0
	for _, e := range perm {
		before := tk
		out := e.apply(&tk)
		switch out {
		case ticket.Changed:
			changes++
		case ticket.Noted:
			if tk.Status() != before.Status() || tk.OrderID() != before.OrderID() || tk.Version() != before.Version() {
				t.Fatalf("%v: %s noted but changed what a client sees", perm, e)
			}
		case ticket.Ignored:
			if tk != before {
				t.Fatalf("%v: %s ignored but changed the ticket", perm, e)
			}
		}
		again := tk
		if out := e.apply(&again); out != ticket.Ignored || again != tk {
			t.Fatalf("%v: %s applied twice in a row did %v the second time", perm, e, out)
		}
	}
	if tk.Status() != status || tk.OrderID() != order || tk.Version() != changes {
		t.Fatalf("%v: status %s, order %q, version %d; want %s, %q, %d",
			perm, tk.Status(), tk.OrderID(), tk.Version(), status, order, changes)
	}
}

// permutations yields every distinct ordering of the multiset counts, of n
// events in all.
func permutations(counts map[orderEvent]int, n int) func(func([]orderEvent) bool) {
	return func(yield func([]orderEvent) bool) {
		keys := make([]orderEvent, 0, len(counts))
		for k := range counts {
			keys = append(keys, k)
		}
		perm := make([]orderEvent, 0, n)
		var walk func() bool
		walk = func() bool {
			if len(perm) == n {
				return yield(perm)
			}
			for _, k := range keys {
				if counts[k] == 0 {
					continue
				}
				counts[k]--
				perm = append(perm, k)
				ok := walk()
				perm = perm[:len(perm)-1]
				counts[k]++
				if !ok {
					return false
				}
			}
			return true
		}
		walk()
	}
}

func popcount(n int) int {
	c := 0
	for ; n > 0; n >>= 1 {
		c += n & 1
	}
	return c
}

func TestAReservationNeedsANumberAndAnOrder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		number int
		order  string
		ok     bool
	}{
		{1, "order-1", true},
		{7, "o", true},
		{0, "order-1", false},
		{-1, "order-1", false},
		{1, "", false},
	}
	for _, tc := range tests {
		_, err := ticket.NewReservation(tc.number, tc.order)
		if (err == nil) != tc.ok {
			t.Errorf("NewReservation(%d, %q) = %v, want ok %v", tc.number, tc.order, err, tc.ok)
		}
	}
}
