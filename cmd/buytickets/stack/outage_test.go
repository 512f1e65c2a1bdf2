package stack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/buytickets/buytickets/cmd/buytickets/stack"
	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/broker"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/sqlite"
)

// The outage tests take one function down with StopFunction, use the
// marketplace meanwhile, and bring it back with StartFunction: whatever
// happened while it was down reaches it once it is back.

func TestTicketsSoldWhileOrdersIsDownCanAllBeOrderedOnceItIsBack(t *testing.T) {
	t.Parallel()
	s := market(t, map[string]int{"orders": 2}, broker.Chaos{})
	seller, buyer := signUp(t, s, "seller"), signUp(t, s, "buyer")
	if err := s.StopFunction("orders"); err != nil {
		t.Fatal(err)
	}

	const n = 4
	sold := make([]ticket, n)
	for i := range sold {
		sold[i] = seller.sell(fmt.Sprintf("Gig %d", i), float64(10+i))
	}
	// Round robin would reach both replicas: none may answer, or hang.
	for range 2 {
		buyer.mustBeDown("POST", "/api/orders", map[string]string{"ticketId": sold[0].ID})
		buyer.mustBeDown("GET", "/api/orders", nil)
	}
	eventually(t, "the broker has tried to hand every new ticket to orders, and failed", func() bool {
		return failedEvents(t, s, "orders-ticket-created") == n
	})

	if err := s.StartFunction("orders"); err != nil {
		t.Fatal(err)
	}
	for _, tk := range sold {
		o := buyer.order(tk.ID)
		if o.Ticket.ID != tk.ID || o.Ticket.Price != tk.Price || o.Ticket.Title != tk.Title {
			t.Errorf("order of %+v = %+v", tk, o)
		}
	}
	var mine []order
	buyer.must(http.StatusOK, "GET", "/api/orders", nil, &mine)
	if len(mine) != n {
		t.Errorf("the buyer has %d orders, want %d", len(mine), n)
	}
	noDeadLetters(t, s)
}

func TestTicketOrderedWhileTicketsIsDownShowsReservedOnceItIsBack(t *testing.T) {
	t.Parallel()
	s := market(t, map[string]int{"tickets": 2}, broker.Chaos{})
	seller, buyer := signUp(t, s, "seller"), signUp(t, s, "buyer")
	tk := seller.sell("Ballet", 50)
	eventually(t, "orders knows the ticket", func() bool { return ordersKnows(t, s, tk.ID) })
	if err := s.StopFunction("tickets"); err != nil {
		t.Fatal(err)
	}

	for range 2 {
		seller.mustBeDown("GET", "/api/tickets/"+tk.ID, nil)
		seller.mustBeDown("POST", "/api/tickets", map[string]any{"title": "Encore", "price": 5})
	}
	// Orders owns reservations, so buying goes on while tickets is down.
	o := buyer.order(tk.ID)
	eventually(t, "the broker has tried to tell tickets of the order, and failed", func() bool {
		return failedEvents(t, s, "tickets-order-created") == 1
	})

	if err := s.StartFunction("tickets"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the ticket shows reserved", func() bool { return seller.ticket(tk.ID).Status == "reserved" })
	if got := seller.ticket(tk.ID); got.OrderID != o.ID || got.Version != 1 {
		t.Errorf("ticket once tickets is back = %+v, want reserved to %s at version 1", got, o.ID)
	}
	var listed []ticket
	buyer.must(http.StatusOK, "GET", "/api/tickets", nil, &listed)
	if len(listed) != 0 {
		t.Errorf("the reserved ticket is listed for sale: %+v", listed)
	}
	replica := functionStore(t, s, "orders")
	eventually(t, "orders' replica learns of the lock", func() bool {
		rt, ok := ordersReplica(t, replica, tk.ID)
		return ok && rt.Version == 1
	})
	noDeadLetters(t, s)
}

func TestTicketSoldWhileTheBrokerIsDownReachesOrdersAfterTicketsRestarts(t *testing.T) {
	t.Parallel()
	s := market(t, nil, broker.Chaos{})
	seller, buyer := signUp(t, s, "seller"), signUp(t, s, "buyer")
	s.StopBroker()
	tk := seller.sell("Jazz night", 20)
	tickets := functionStore(t, s, "tickets")
	if !unsent(t, tickets, eventing.TypeTicketCreated, tk.ID) {
		t.Fatal("with the broker down, tickets' outbox does not hold the ticket's ticket.created")
	}
	// The relay that held the event stops with tickets; only the one that
	// starts with it can send the event.
	if err := s.StopFunction("tickets"); err != nil {
		t.Fatal(err)
	}
	if err := s.StartBroker(); err != nil {
		t.Fatal(err)
	}
	if err := s.StartFunction("tickets"); err != nil {
		t.Fatal(err)
	}
	o := buyer.order(tk.ID)
	if o.Ticket.ID != tk.ID {
		t.Errorf("order = %+v, want one for %s", o, tk.ID)
	}
	eventually(t, "the ticket shows reserved", func() bool { return seller.ticket(tk.ID).Status == "reserved" })
	noDeadLetters(t, s)
}

func TestOnlyTheStacksFunctionsCanBeStoppedAndStarted(t *testing.T) {
	t.Parallel()
	s := market(t, nil, broker.Chaos{})
	if err := s.StopFunction("invoices"); err == nil || !strings.Contains(err.Error(), "invoices") {
		t.Errorf("StopFunction(invoices) = %v, want an error naming it", err)
	}
	if err := s.StartFunction("invoices"); err == nil || !strings.Contains(err.Error(), "invoices") {
		t.Errorf("StartFunction(invoices) = %v, want an error naming it", err)
	}
	// Stopping or starting twice is as good as once.
	for range 2 {
		if err := s.StopFunction("auth"); err != nil {
			t.Fatal(err)
		}
	}
	anon := &user{t: t, base: s.URL(), http: &http.Client{Timeout: 30 * time.Second}}
	anon.mustBeDown("GET", "/api/users/currentuser", nil)
	for range 2 {
		if err := s.StartFunction("auth"); err != nil {
			t.Fatal(err)
		}
	}
	signUp(t, s, "back")
}

// mustBeDown sends a request and fails the test unless it is answered as
// by a service that is down: 503 with Retry-After, in the error shape.
func (u *user) mustBeDown(method, path string, body any) {
	u.t.Helper()
	resp, raw := u.send(method, path, body)
	msg := errorMessage(string(raw))
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || msg == "" {
		u.t.Errorf("%s %s = %d, Retry-After %q, %s; want 503 with Retry-After in the error shape",
			method, path, resp.StatusCode, resp.Header.Get("Retry-After"), raw)
	}
}

// failedEvents counts the events whose pending delivery for trigger has
// been tried, refused with 503 and waits for a retry. An event counts once
// however many deliveries it has: the outbox that publishes it may send it
// again, and the broker stores each copy. The broker has no API for its
// deliveries, so this reads its store.
func failedEvents(t *testing.T, s *stack.Stack, trigger string) int {
	t.Helper()
	db, err := sqlite.Open(context.Background(), stack.BrokerFile(s.DataDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	docs, err := db.Query(context.Background(), "deliveries",
		store.Query{Filters: []store.Filter{store.Where("trigger", store.Eq, trigger)}})
	if err != nil {
		t.Fatal(err)
	}
	failed := map[string]bool{}
	for _, d := range docs {
		var pending struct {
			Attempts  int    `store:"attempts"`
			LastError string `store:"lastError"`
			Event     string `store:"event"`
		}
		if err := d.DataTo(&pending); err != nil {
			t.Fatal(err)
		}
		var ev struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal([]byte(pending.Event), &ev); err != nil {
			t.Fatalf("delivery %s holds no event: %v", d.ID, err)
		}
		if pending.Attempts > 0 && strings.Contains(pending.LastError, "503") {
			failed[ev.ID] = true
		}
	}
	return len(failed)
}
