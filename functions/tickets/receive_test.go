package tickets_test

import (
	"net/http"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/store/storetest"
)

// wantTicket checks what GET shows of ticket id.
func (f *fn) wantTicket(id, status, order string, version int) {
	f.tb.Helper()
	got := f.ticket(id)
	if got.Status != status || got.OrderID != order || got.Version != version {
		f.tb.Errorf("ticket is %s for %q at version %d, want %s for %q at %d", got.Status, got.OrderID, got.Version, status, order, version)
	}
}

// onSale reports whether the public listing shows ticket id.
func (f *fn) onSale(id string) bool {
	f.tb.Helper()
	for _, t := range ticketsOf(f.tb, f.anon().get("/api/tickets")) {
		if t.ID == id {
			return true
		}
	}
	return false
}

func TestOrderCreatedLocksTheTicketAndItsCancelUnlocksIt(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	tk := f.as("seller").create("Concert", 19.99)

	f.mustDeliver(orderCreated(t, "order-1", tk.ID, 1))
	f.wantTicket(tk.ID, "reserved", "order-1", 1)
	if f.onSale(tk.ID) {
		t.Error("a reserved ticket is listed for sale")
	}
	want := eventing.TicketUpdated{ID: tk.ID, Version: 1, Title: "Concert", Price: 19.99, UserID: "seller", Status: "reserved"}
	if p := f.updated(tk.ID, 1); p != want {
		t.Errorf("ticket.updated %+v, want %+v", p, want)
	}

	f.mustDeliver(orderCancelled(t, "order-1", tk.ID, 1))
	f.wantTicket(tk.ID, "available", "", 2)
	if !f.onSale(tk.ID) {
		t.Error("an unlocked ticket is not listed for sale")
	}
	want.Version, want.Status = 2, "available"
	if p := f.updated(tk.ID, 2); p != want {
		t.Errorf("ticket.updated %+v, want %+v", p, want)
	}

	// The next reservation locks it again.
	f.mustDeliver(orderCreated(t, "order-2", tk.ID, 2))
	f.wantTicket(tk.ID, "reserved", "order-2", 3)
	f.updated(tk.ID, 3)
}

func TestALateCancelOfAnOldReservationNeverUnlocksANewerLock(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	tk := f.as("seller").create("Concert", 10)
	f.mustDeliver(
		orderCreated(t, "order-1", tk.ID, 1),
		orderCreated(t, "order-2", tk.ID, 2), // order 1 expired, and order 2 took the ticket
		orderCancelled(t, "order-1", tk.ID, 1),
	)
	f.wantTicket(tk.ID, "reserved", "order-2", 2)
	f.updated(tk.ID, 2)
	f.wantRecorded(3, "created, two locks")
}

func TestACancelBeforeItsCreatedLeavesTheTicketAvailable(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	tk := f.as("seller").create("Concert", 10)
	f.mustDeliver(orderCancelled(t, "order-1", tk.ID, 1), orderCreated(t, "order-1", tk.ID, 1))
	f.wantTicket(tk.ID, "available", "", 0)
	if !f.onSale(tk.ID) {
		t.Error("the ticket is not for sale after a cancelled reservation")
	}
	f.wantRecorded(1, "the creation's only: no client saw a change")
	// The next reservation still locks it.
	f.mustDeliver(orderCreated(t, "order-2", tk.ID, 2))
	f.wantTicket(tk.ID, "reserved", "order-2", 1)
	f.updated(tk.ID, 1)
}

func TestACompletedOrderSellsTheTicketForGood(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	seller := f.as("seller")
	tk := seller.create("Concert", 10)
	// Its order.created has not arrived yet: the sale does not wait for it.
	f.mustDeliver(orderCompleted(t, "order-1", tk.ID, 1))
	f.wantTicket(tk.ID, "sold", "order-1", 1)
	if p := f.updated(tk.ID, 1); p.Status != "sold" {
		t.Errorf("ticket.updated %+v, want sold", p)
	}
	f.mustDeliver(
		orderCreated(t, "order-1", tk.ID, 1),
		orderCancelled(t, "order-1", tk.ID, 1),
		orderCreated(t, "order-2", tk.ID, 2),
	)
	f.wantTicket(tk.ID, "sold", "order-1", 1)
	if f.onSale(tk.ID) {
		t.Error("a sold ticket is listed for sale")
	}
	httpxtest.WantErrors(t, seller.put("/api/tickets/"+tk.ID, details("Opera", 20)), http.StatusBadRequest, item("Cannot edit a reserved ticket", ""))
	f.wantRecorded(2, "created and sold")
}

func TestTheSameEventTwiceChangesTheTicketOnce(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	tk := f.as("seller").create("Concert", 10)
	created := orderCreated(t, "order-1", tk.ID, 1)
	f.mustDeliver(created, created)
	f.wantTicket(tk.ID, "reserved", "order-1", 1)
	// The same reservation under another event id: ignored by its number.
	f.mustDeliver(orderCreated(t, "order-1", tk.ID, 1))
	cancelled := orderCancelled(t, "order-1", tk.ID, 1)
	f.mustDeliver(cancelled, cancelled, orderCancelled(t, "order-1", tk.ID, 1))
	f.wantTicket(tk.ID, "available", "", 2)
	got := f.counts()
	if got["outbox"] != 3 || got["receipts"] != 4 {
		t.Errorf("stored %v, want 3 events (created, locked, unlocked) and 4 receipts (one per event id)", got)
	}
	f.updated(tk.ID, 2)
}

func TestEventsTicketsCannotTakeAreRefused400(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	tk := f.as("seller").create("Concert", 10)
	noData := orderCreated(t, "order-1", tk.ID, 1)
	noData.DataEncoded = nil
	badData := eventingtest.WithData(orderCreated(t, "order-1", tk.ID, 1), `{"id":"order-1","ticket":{"id":5}}`)
	notJSON := orderCreated(t, "order-1", tk.ID, 1)
	if err := notJSON.SetData("text/plain", "order-1"); err != nil {
		t.Fatal(err)
	}
	other := eventingtest.Event(t, eventing.NewTicketCreated, eventing.TicketCreated{ID: tk.ID, Title: "x", Price: 1, UserID: "u"})
	tests := []struct {
		name    string
		ev      event.Event
		message string
	}{
		{"no data", noData, "Undecodable event"},
		{"data of the wrong shape", badData, "Undecodable event"},
		{"data not JSON", notJSON, "Undecodable event"},
		{"reservation 0", orderCreated(t, "order-1", tk.ID, 0), "Undecodable event"},
		{"negative reservation", orderCancelled(t, "order-1", tk.ID, -1), "Undecodable event"},
		{"no order id", orderCompleted(t, "", tk.ID, 1), "Undecodable event"},
		{"unknown ticket", orderCreated(t, "order-1", "0123456789abcdef01234567", 1), "Unknown ticket"},
		{"malformed ticket id", orderCancelled(t, "order-1", "../tickets", 1), "Unknown ticket"},
		{"no ticket id", orderCompleted(t, "order-1", "", 1), "Unknown ticket"},
		{"a type tickets has no Trigger for", other, "Unexpected event type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			httpxtest.WantErrors(t, f.Post(tc.ev), http.StatusBadRequest, item(tc.message, ""))
		})
	}
	t.Run("not a CloudEvent", func(t *testing.T) {
		httpxtest.WantErrors(t, f.PostNonEvent(`{"id":"x"}`), http.StatusBadRequest, item("Invalid CloudEvent", ""))
	})
	f.wantTicket(tk.ID, "available", "", 0)
	if got := f.counts(); got["receipts"] != 0 || got["outbox"] != 1 {
		t.Errorf("stored %v, want no receipt and the creation's event only", got)
	}
}

func TestABusyStoreIsAnswered503WithRetryAfter(t *testing.T) {
	t.Parallel()
	f := newFn(t, withStore(storetest.Unavailable{}))
	res := f.as("seller").post("/api/tickets", details("Concert", 10))
	httpxtest.WantErrors(t, res, http.StatusServiceUnavailable, item("Service is busy, please try again", ""))
	if res.Header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	res = f.Post(orderCreated(t, "order-1", "0123456789abcdef01234567", 1))
	if res.Code != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Errorf("delivery to a busy store: %d %s, want 503 with Retry-After, so the broker retries", res.Code, res.Body)
	}
	res = f.as("seller").put("/api/tickets/0123456789abcdef01234567", details("Concert", 10))
	httpxtest.WantErrors(t, res, http.StatusServiceUnavailable, item("Service is busy, please try again", ""))
}

func TestEventsSentWhileTheBrokerIsDownArriveWhenItIsBack(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	f.sink.Answer(http.StatusServiceUnavailable)
	tk := f.as("seller").create("Concert", 10)
	f.mustDeliver(orderCreated(t, "order-1", tk.ID, 1))
	f.sink.Answer(http.StatusAccepted)
	f.sink.await(t, eventing.TypeTicketCreated, tk.ID, 0)
	f.updated(tk.ID, 1)
}
