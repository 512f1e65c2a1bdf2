package tickets_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/buytickets/buytickets/eventing"
)

func TestTheSellerEditsATicketAndTicketUpdatedIsEmitted(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	seller := f.as("seller")
	tk := seller.create("Concert", 10)
	f.clock.Advance(time.Minute)

	got := ticketOf(t, seller.put("/api/tickets/"+tk.ID, details(" Opera ", 25.5)), http.StatusOK)
	want := tk
	want.Title, want.Price, want.Version = "Opera", "25.5", 1
	if got != want {
		t.Errorf("edited %+v, want %+v", got, want)
	}
	if read := f.ticket(tk.ID); read != want {
		t.Errorf("GET after the edit = %+v, want %+v", read, want)
	}
	if p := f.updated(tk.ID, 1); p != (eventing.TicketUpdated{ID: tk.ID, Version: 1, Title: "Opera", Price: 25.5, UserID: "seller", Status: "available"}) {
		t.Errorf("ticket.updated %+v", p)
	}

	again := ticketOf(t, seller.put("/api/tickets/"+tk.ID, details("Opera", 30)), http.StatusOK)
	if again.Version != 2 || again.Price != "30" {
		t.Errorf("second edit = %+v, want version 2 at 30", again)
	}
	f.updated(tk.ID, 2)
}

func TestOnlyTheSellerEditsAnExistingTicket(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	tk := f.as("seller").create("Concert", 10)
	body := details("Mine now", 1)
	wantErrors(t, f.as("other").put("/api/tickets/"+tk.ID, body), http.StatusUnauthorized, item("Not authorized", ""))
	wantErrors(t, f.anon().put("/api/tickets/"+tk.ID, body), http.StatusUnauthorized, item("Not authorized", ""))
	wantErrors(t, f.as("seller").put("/api/tickets/0123456789abcdef01234567", body), http.StatusNotFound, item("Ticket not found", ""))
	wantErrors(t, f.as("seller").put("/api/tickets/nope", body), http.StatusNotFound, item("Ticket not found", ""))
	f.wantUnedited(tk, "refused edits")
}

func TestEditsAreRefusedWhileReservedAndOnceSold(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	seller := f.as("seller")
	tk := seller.create("Concert", 10)
	f.mustDeliver(orderCreated(t, "order-1", tk.ID, 1))
	wantErrors(t, seller.put("/api/tickets/"+tk.ID, details("Opera", 20)), http.StatusBadRequest, item("Cannot edit a reserved ticket", ""))
	// Someone else is still told they are not the owner.
	wantErrors(t, f.as("other").put("/api/tickets/"+tk.ID, details("Opera", 20)), http.StatusUnauthorized, item("Not authorized", ""))

	f.mustDeliver(orderCompleted(t, "order-1", tk.ID, 1))
	wantErrors(t, seller.put("/api/tickets/"+tk.ID, details("Opera", 20)), http.StatusBadRequest, item("Cannot edit a reserved ticket", ""))
	if got := f.ticket(tk.ID); got.Title != "Concert" || got.Status != "sold" || got.Version != 2 {
		t.Errorf("after refused edits the ticket is %+v", got)
	}

	// Unlocked, it can be edited again.
	free := seller.create("Free again", 10)
	f.mustDeliver(orderCreated(t, "order-2", free.ID, 1), orderCancelled(t, "order-2", free.ID, 1))
	if got := ticketOf(t, seller.put("/api/tickets/"+free.ID, details("Edited", 20)), http.StatusOK); got.Version != 3 {
		t.Errorf("edit after an unlock = %+v, want version 3", got)
	}
}

func TestBadEditsAreRefusedAndChangeNothing(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	seller := f.as("seller")
	tk := seller.create("Concert", 10)
	tests := []struct {
		name, body string
		code       int
	}{
		{"missing price", `{"title":"Opera"}`, 400},
		{"missing title", `{"price":10}`, 400},
		{"price a string of words", `{"title":"Opera","price":"ten"}`, 400},
		{"three decimals", `{"title":"Opera","price":10.001}`, 400},
		{"negative", `{"title":"Opera","price":-10}`, 400},
		{"absurd", `{"title":"Opera","price":1e400}`, 400},
		{"huge title", details(strings.Repeat("é", 201), 10), 400},
		{"unknown field", `{"title":"Opera","price":10,"version":7}`, 400},
		{"wrong types", `{"title":["Opera"],"price":10}`, 400},
		{"malformed", `{"title":"Opera",`, 400},
		{"empty", ``, 415},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := seller.put("/api/tickets/"+tk.ID, tc.body)
			if res.Code != tc.code {
				t.Fatalf("%s: %d %s, want %d", tc.body, res.Code, res.Body, tc.code)
			}
			errorsOf(t, res)
		})
	}
	f.wantUnedited(tk, "bad edits")
}

func TestAnEditMayWriteThePriceAsAStringAsTheSeedsFormDoes(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	seller := f.as("seller")
	tk := seller.create("Concert", "10.00")
	got := ticketOf(t, seller.put("/api/tickets/"+tk.ID, `{"title":"Concert","price":"12.50"}`), http.StatusOK)
	if got.Price != "12.5" || got.Version != 1 {
		t.Errorf("edited with price \"12.50\": %+v, want price 12.5 at version 1", got)
	}
	wantErrors(t, seller.put("/api/tickets/"+tk.ID, `{"title":"Concert","price":"-5"}`), http.StatusBadRequest,
		item("Price must be between 0.50 and 999999.99", "price"))
	if read := f.ticket(tk.ID); read != got {
		t.Errorf("after a refused edit the ticket is %+v, want %+v", read, got)
	}
}

// wantUnedited fails unless, after what the test did, ticket tk reads as
// it was created and the outbox holds its creation's event only.
func (f *fn) wantUnedited(tk ticketBody, what string) {
	f.tb.Helper()
	if got := f.ticket(tk.ID); got != tk {
		f.tb.Errorf("after %s the ticket is %+v, want %+v", what, got, tk)
	}
	f.wantRecorded(1, "the creation's only")
}
