package stack_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/buytickets/buytickets/cmd/buytickets/stack"
	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/broker"
)

// market starts a stack for one test with the given replicas and chaos.
func market(t *testing.T, replicas map[string]int, chaos broker.Chaos) *stack.Stack {
	t.Helper()
	return marketWith(t, stack.Options{Replicas: replicas, Chaos: chaos})
}

// marketWith starts a stack for one test with opts, a data folder of its
// own, a cheap password cost and shortened broker backoff.
func marketWith(t *testing.T, opts stack.Options) *stack.Stack {
	t.Helper()
	opts.DataDir = t.TempDir()
	opts.PasswordCost = 1 << 10
	opts.BackoffScale = 0.2
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := stack.Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// inOrderAndInChaos runs test in parallel subtests, each on a market of
// its own: one whose broker delivers in order, and one whose broker
// duplicates and reorders deliveries.
func inOrderAndInChaos(t *testing.T, test func(t *testing.T, s *stack.Stack)) {
	t.Helper()
	for _, tc := range []struct {
		name  string
		chaos broker.Chaos
	}{
		{"deliveries in order", broker.Chaos{}},
		{"deliveries duplicated and reordered", broker.Chaos{Duplicate: 0.5, MaxDelay: 30 * time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			test(t, marketWith(t, stack.Options{Chaos: tc.chaos}))
		})
	}
}

func noDeadLetters(t *testing.T, s *stack.Stack) {
	t.Helper()
	dls, err := s.DeadLetters(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, dl := range dls {
		t.Errorf("dead letter: %s %s to %s: %s", dl.EventType, dl.EventID, dl.Trigger, dl.Reason)
	}
}

func TestSellerListsEditsAndFindsTheirTickets(t *testing.T) {
	t.Parallel()
	s := market(t, nil, broker.Chaos{})
	seller, other := signUp(t, s, "seller"), signUp(t, s, "other")

	tk := seller.sell("Concert", 19.99)
	if tk.Status != "available" || tk.Version != 0 || tk.Price != 19.99 || tk.Title != "Concert" {
		t.Fatalf("new ticket = %+v", tk)
	}
	var edited ticket
	seller.must(http.StatusOK, "PUT", "/api/tickets/"+tk.ID, map[string]any{"title": "Concert, row A", "price": 25}, &edited)
	if edited.Version != 1 || edited.Price != 25 || edited.Title != "Concert, row A" {
		t.Errorf("edited ticket = %+v", edited)
	}
	raw := other.must(http.StatusUnauthorized, "PUT", "/api/tickets/"+tk.ID, map[string]any{"title": "Mine now", "price": 1}, nil)
	if errorMessage(raw) != "Not authorized" {
		t.Errorf("a stranger's edit answered %s", raw)
	}

	var listed []ticket
	other.must(http.StatusOK, "GET", "/api/tickets", nil, &listed)
	if len(listed) != 1 || listed[0].ID != tk.ID {
		t.Errorf("list = %+v, want the one ticket", listed)
	}
	var mine []ticket
	seller.must(http.StatusOK, "GET", "/api/tickets?seller=me", nil, &mine)
	if len(mine) != 1 || mine[0].ID != tk.ID {
		t.Errorf("seller=me = %+v", mine)
	}
	other.must(http.StatusOK, "GET", "/api/tickets?seller=me", nil, &mine)
	if len(mine) != 0 {
		t.Errorf("another user's seller=me = %+v, want none", mine)
	}
	seller.must(http.StatusNotFound, "GET", "/api/tickets/no-such-ticket", nil, nil)
}

func TestReservationLocksTheTicketAndCancellationFreesIt(t *testing.T) {
	t.Parallel()
	s := market(t, nil, broker.Chaos{})
	seller, buyer := signUp(t, s, "seller"), signUp(t, s, "buyer")
	tk := seller.sell("Opera", 40)

	o := buyer.order(tk.ID)
	if o.Status != "created" || o.Ticket.ID != tk.ID || o.Ticket.Price != 40 || o.Ticket.Title != "Opera" || o.Version != 0 {
		t.Fatalf("order = %+v", o)
	}
	if left := time.Until(o.ExpiresAt); left < 14*time.Minute || left > 16*time.Minute {
		t.Errorf("order expires in %v, want the 15 minute window", left)
	}
	eventually(t, "tickets locks the ticket", func() bool { return seller.ticket(tk.ID).Status == "reserved" })
	locked := seller.ticket(tk.ID)
	if locked.OrderID != o.ID || locked.Version != 1 {
		t.Errorf("locked ticket = %+v, want reserved to %s at version 1", locked, o.ID)
	}
	raw := seller.must(http.StatusBadRequest, "PUT", "/api/tickets/"+tk.ID, map[string]any{"title": "Opera", "price": 99}, nil)
	if errorMessage(raw) != "Cannot edit a reserved ticket" {
		t.Errorf("editing a reserved ticket answered %s", raw)
	}
	var listed []ticket
	buyer.must(http.StatusOK, "GET", "/api/tickets", nil, &listed)
	if len(listed) != 0 {
		t.Errorf("a reserved ticket is still listed: %+v", listed)
	}
	third := signUp(t, s, "third")
	if raw := third.must(http.StatusBadRequest, "POST", "/api/orders", map[string]string{"ticketId": tk.ID}, nil); errorMessage(raw) != "Ticket is already reserved" {
		t.Errorf("ordering a reserved ticket answered %s", raw)
	}

	buyer.must(http.StatusNoContent, "DELETE", "/api/orders/"+o.ID, nil, nil)
	buyer.must(http.StatusNoContent, "DELETE", "/api/orders/"+o.ID, nil, nil) // idempotent
	var cancelled order
	buyer.must(http.StatusOK, "GET", "/api/orders/"+o.ID, nil, &cancelled)
	if cancelled.Status != "cancelled" || cancelled.CancelReason != "buyer" {
		t.Errorf("cancelled order = %+v", cancelled)
	}
	eventually(t, "tickets unlocks the ticket", func() bool { return seller.ticket(tk.ID).Status == "available" })
	seller.must(http.StatusOK, "PUT", "/api/tickets/"+tk.ID, map[string]any{"title": "Opera", "price": 45}, nil)
	buyer.must(http.StatusOK, "GET", "/api/tickets", nil, &listed)
	if len(listed) != 1 {
		t.Errorf("the freed ticket is not listed again: %+v", listed)
	}
	noDeadLetters(t, s)
}

func TestOrdersBelongToTheirBuyer(t *testing.T) {
	t.Parallel()
	s := market(t, nil, broker.Chaos{})
	seller, buyer, stranger := signUp(t, s, "seller"), signUp(t, s, "buyer"), signUp(t, s, "stranger")
	first := buyer.order(seller.sell("First", 10).ID)
	second := buyer.order(seller.sell("Second", 20).ID)

	var mine []order
	buyer.must(http.StatusOK, "GET", "/api/orders", nil, &mine)
	if len(mine) != 2 || mine[0].ID != second.ID || mine[1].ID != first.ID {
		t.Errorf("orders newest first = %+v", mine)
	}
	stranger.must(http.StatusOK, "GET", "/api/orders", nil, &mine)
	if len(mine) != 0 {
		t.Errorf("a stranger sees orders: %+v", mine)
	}
	for _, req := range [][2]string{{"GET", "/api/orders/" + first.ID}, {"DELETE", "/api/orders/" + first.ID}} {
		if raw := stranger.must(http.StatusUnauthorized, req[0], req[1], nil, nil); errorMessage(raw) != "Not authorized" {
			t.Errorf("%s by a stranger answered %s", req, raw)
		}
	}
	buyer.must(http.StatusNotFound, "GET", "/api/orders/no-such-order", nil, nil)
	own := seller.sell("Own", 5)
	eventually(t, "orders knows the seller's ticket", func() bool {
		status, raw := seller.do("POST", "/api/orders", map[string]string{"ticketId": own.ID}, nil)
		return status == http.StatusBadRequest && contains(raw, "own ticket")
	})
	signedOut := &user{t: t, base: s.URL(), http: http.DefaultClient}
	signedOut.must(http.StatusUnauthorized, "GET", "/api/orders", nil, nil)
	signedOut.must(http.StatusUnauthorized, "POST", "/api/tickets", map[string]any{"title": "x", "price": 1}, nil)
}

func TestBuyerHoldsAtMostTenOpenOrders(t *testing.T) {
	t.Parallel()
	s := market(t, nil, broker.Chaos{})
	seller, buyer := signUp(t, s, "seller"), signUp(t, s, "buyer")
	for i := range 10 {
		buyer.order(seller.sell(fmt.Sprintf("Ticket %d", i), 10).ID)
	}
	eleventh := seller.sell("Eleventh", 10)
	eventually(t, "the eleventh order is refused", func() bool {
		status, raw := buyer.do("POST", "/api/orders", map[string]string{"ticketId": eleventh.ID}, nil)
		return status == http.StatusBadRequest && errorMessage(raw) == "Too many open orders"
	})
}

func TestLateCancelOfAnOldReservationNeverUnlocksANewerOne(t *testing.T) {
	t.Parallel()
	s := market(t, nil, broker.Chaos{})
	seller, first, second := signUp(t, s, "seller"), signUp(t, s, "first"), signUp(t, s, "second")
	tk := seller.sell("Match", 30)

	old := first.order(tk.ID)
	first.must(http.StatusNoContent, "DELETE", "/api/orders/"+old.ID, nil, nil)
	eventually(t, "the first reservation is released", func() bool { return seller.ticket(tk.ID).Status == "available" })
	newer := second.order(tk.ID)
	eventually(t, "the second reservation locks", func() bool { return seller.ticket(tk.ID).OrderID == newer.ID })

	// The broker redelivers the first reservation's cancellation late, as
	// Knative may: it must not free the ticket the second buyer holds.
	late, err := eventing.NewOrderCancelled(eventing.OrderCancelled{
		ID: old.ID, Version: 1, Reason: "buyer",
		Ticket: eventing.OrderCancelledTicket{ID: tk.ID, Reservation: 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	publishTaken(t, s, late, "tickets", "the late cancellation")
	if got := seller.ticket(tk.ID); got.Status != "reserved" || got.OrderID != newer.ID {
		t.Errorf("after a late cancel of the old reservation the ticket is %+v, want still reserved to %s", got, newer.ID)
	}
	noDeadLetters(t, s)
}

// TestFiftyBuyersRaceForOneTicket is the race of DESIGN §8: across four
// replicas of orders, exactly one buyer wins.
func TestFiftyBuyersRaceForOneTicket(t *testing.T) {
	t.Parallel()
	s := market(t, map[string]int{"orders": 4}, broker.Chaos{})
	seller := signUp(t, s, "seller")
	tk := seller.sell("Final", 100)
	probe := signUp(t, s, "probe")
	eventually(t, "orders knows the ticket", func() bool {
		status, _ := probe.do("GET", "/api/tickets/"+tk.ID, nil, nil)
		return status == http.StatusOK && ordersKnows(t, s, tk.ID)
	})

	const buyers = 50
	users := make([]*user, buyers)
	for i := range users {
		users[i] = signUp(t, s, fmt.Sprintf("buyer%d", i))
	}
	statuses := make([]int, buyers)
	messages := make([]string, buyers)
	var start, done sync.WaitGroup
	start.Add(1)
	for i, u := range users {
		done.Go(func() {
			start.Wait()
			statuses[i], messages[i] = u.do("POST", "/api/orders", map[string]string{"ticketId": tk.ID}, nil)
		})
	}
	start.Done()
	done.Wait()
	wins := 0
	for i, status := range statuses {
		switch {
		case status == http.StatusCreated:
			wins++
		case status != http.StatusBadRequest || errorMessage(messages[i]) != "Ticket is already reserved":
			t.Errorf("buyer %d: %d %s, want 201 or 400 Ticket is already reserved", i, status, messages[i])
		}
	}
	if wins != 1 {
		t.Errorf("%d buyers won the ticket, want exactly 1", wins)
	}
	if n := ordersFor(t, s, tk.ID); n != 1 {
		t.Errorf("%d orders stored for the ticket, want 1", n)
	}
}
