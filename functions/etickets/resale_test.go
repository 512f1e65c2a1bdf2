package etickets_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/storetest"
)

// listed is the ticket.created of the resale listing ticketID of code, by
// the buyer who holds it.
func listed(tb testing.TB, ticketID, code string) event.Event {
	return eventingtest.Event(tb, eventing.NewTicketCreated, eventing.TicketCreated{
		ID: ticketID, Title: "Concert", Price: 20, UserID: "buyer", CreatedAt: t0, FaceValue: 20.5, ResaleOf: code,
	})
}

// relisted is a ticket.updated of that listing at version, in status.
func relisted(tb testing.TB, ticketID, code string, version int, status string) event.Event {
	return eventingtest.Event(tb, eventing.NewTicketUpdated, eventing.TicketUpdated{
		ID: ticketID, Version: version, Title: "Concert", Price: 20, UserID: "buyer", Status: status, FaceValue: 20.5, ResaleOf: code,
	})
}

// resold is the order.completed of orderID: buyer2 bought the listing
// ticketID of code from the buyer for $20.
func resold(tb testing.TB, orderID, ticketID, code string) event.Event {
	return eventingtest.Event(tb, eventing.NewOrderCompleted, eventing.OrderCompleted{
		ID: orderID, Version: 1, UserID: "buyer2", BuyerEmail: "buyer2@example.com", SellerID: "buyer",
		Ticket: eventing.OrderCompletedTicket{ID: ticketID, Title: "Concert", Price: 20, Reservation: 1, ResaleOf: code},
	})
}

// statusOf returns the status of the buyer's e-ticket of orderID.
func (f *fn) statusOf(orderID string) string {
	f.TB.Helper()
	list := f.held("buyer")
	i := slices.IndexFunc(list, func(e eticketBody) bool { return e.OrderID == orderID })
	if i < 0 {
		f.TB.Fatalf("the buyer holds no e-ticket of order %s", orderID)
	}
	return list[i].Status
}

func TestAListedETicketCannotBeCheckedInUntilItsListingIsWithdrawnOnEveryDriver(t *testing.T) {
	t.Parallel()
	storetest.EachStore(t, "etickets", func(t *testing.T, db store.Store) {
		f := newFn(t, db)
		e := f.issue()
		listing := newOrderID()
		f.MustDeliver(listed(t, listing, e.Code))
		if got := f.statusOf(e.OrderID); got != "listed" {
			t.Errorf("status %q, want listed", got)
		}
		httpxtest.WantError(t, f.checkIn("seller", e.Code), http.StatusBadRequest, "This e-ticket is listed for resale", "")

		f.MustDeliver(relisted(t, listing, e.Code, 1, "available")) // a price edit
		if got := f.statusOf(e.OrderID); got != "listed" {
			t.Errorf("after an edit, status %q, want listed", got)
		}
		f.MustDeliver(relisted(t, listing, e.Code, 2, "withdrawn"))
		if got := f.statusOf(e.OrderID); got != "valid" {
			t.Errorf("after the withdrawal, status %q, want valid", got)
		}
		if res := f.checkIn("seller", e.Code); res.Code != http.StatusCreated {
			t.Errorf("check-in after the withdrawal: %d %s", res.Code, res.Body)
		}
	})
}

func TestListingEventsInAnyOrderLeaveTheETicketAsTheLastListingSays(t *testing.T) {
	t.Parallel()
	f := newFn(t, nil)
	tests := []struct {
		name   string
		events func(code, first, second string) []event.Event
		want   string
	}{
		{"the withdrawal before the listing", func(code, first, _ string) []event.Event {
			return []event.Event{relisted(t, first, code, 1, "withdrawn"), listed(t, first, code)}
		}, "valid"},
		{"a second listing before the first's withdrawal", func(code, first, second string) []event.Event {
			return []event.Event{listed(t, first, code), listed(t, second, code), relisted(t, first, code, 1, "withdrawn")}
		}, "listed"},
		{"an old edit after the withdrawal", func(code, first, _ string) []event.Event {
			return []event.Event{listed(t, first, code), relisted(t, first, code, 2, "withdrawn"), relisted(t, first, code, 1, "available")}
		}, "valid"},
		{"duplicates", func(code, first, _ string) []event.Event {
			ev := listed(t, first, code)
			return []event.Event{ev, ev, ev}
		}, "listed"},
	}
	for _, tc := range tests {
		e := f.issue()
		for _, ev := range tc.events(e.Code, newOrderID(), newOrderID()) {
			f.MustDeliver(ev)
		}
		if got := f.statusOf(e.OrderID); got != tc.want {
			t.Errorf("%s: status %q, want %q", tc.name, got, tc.want)
		}
	}
	// An ordinary listing is no business of etickets'.
	plain := eventingtest.Event(t, eventing.NewTicketCreated, eventing.TicketCreated{ID: newOrderID(), Title: "Concert", Price: 20, UserID: "seller", CreatedAt: t0})
	f.MustDeliver(plain)
	if code := f.Deliver(listed(t, newOrderID(), "NOTACODE")); code != http.StatusBadRequest {
		t.Errorf("a listing of a code that is none: %d, want 400", code)
	}
	if code := f.Deliver(listed(t, newOrderID(), f.sign(newOrderID()))); code != http.StatusBadRequest {
		t.Errorf("a listing of a genuine code of no e-ticket: %d, want 400", code)
	}
}

func TestACompletedResaleRevokesTheOldETicketAndTheOriginalIssuerChecksInTheNewOne(t *testing.T) {
	t.Parallel()
	storetest.EachStore(t, "etickets", func(t *testing.T, db store.Store) {
		f := newFn(t, db)
		old := f.issue()
		listing, orderID := newOrderID(), newOrderID()
		f.MustDeliver(listed(t, listing, old.Code))
		f.MustDeliver(resold(t, orderID, listing, old.Code))

		if got := f.statusOf(old.OrderID); got != "revoked" {
			t.Errorf("the resold e-ticket is %q, want revoked", got)
		}
		list := f.held("buyer2")
		if len(list) != 1 || list[0].OrderID != orderID || list[0].Status != "valid" || list[0].Title != "Concert" || list[0].TicketID != listing {
			t.Fatalf("the new buyer holds %+v, want one valid e-ticket of order %s", list, orderID)
		}
		fresh := list[0]
		revokedEv := eventingtest.Decode[eventing.ETicketRevoked](t, f.broker.WaitAbout(t, 10*time.Second, eventing.TypeETicketRevoked, old.OrderID))
		if want := (eventing.ETicketRevoked{Code: old.Code, OrderID: old.OrderID, Reason: "resold"}); revokedEv != want {
			t.Errorf("eticket.revoked %+v, want %+v", revokedEv, want)
		}
		issuedEv := eventingtest.Decode[eventing.ETicketIssued](t, f.broker.WaitAbout(t, 10*time.Second, eventing.TypeETicketIssued, orderID))
		want := eventing.ETicketIssued{Code: fresh.Code, OrderID: orderID, TicketID: listing, HolderID: "buyer2", IssuerID: "seller", Title: "Concert", FaceValue: 2000}
		if issuedEv != want {
			t.Errorf("eticket.issued %+v, want %+v", issuedEv, want)
		}

		httpxtest.WantError(t, f.checkIn("seller", old.Code), http.StatusBadRequest, "This e-ticket has been revoked", "")
		if res := f.checkIn("buyer", fresh.Code); res.Code != http.StatusUnauthorized {
			t.Errorf("the reseller checking the new e-ticket in: %d, want 401", res.Code)
		}
		if res := f.checkIn("seller", fresh.Code); res.Code != http.StatusCreated {
			t.Errorf("the original issuer checking the new e-ticket in: %d %s, want 201", res.Code, res.Body)
		}
	})
}

func TestResaleDeliveriesDuplicatedAndReorderedGiveOneNewETicket(t *testing.T) {
	t.Parallel()
	f := newFn(t, nil)
	old := f.issue()
	listing, orderID := newOrderID(), newOrderID()
	sale := resold(t, orderID, listing, old.Code)
	// The sale comes before the listing that made it, twice, and under
	// another id as orders' outbox may resend it; then the listing's
	// events, late.
	f.MustDeliver(sale)
	f.MustDeliver(sale)
	f.MustDeliver(resold(t, orderID, listing, old.Code))
	f.MustDeliver(relisted(t, listing, old.Code, 2, "sold"))
	f.MustDeliver(listed(t, listing, old.Code))
	f.MustDeliver(relisted(t, listing, old.Code, 1, "reserved"))

	if got := f.statusOf(old.OrderID); got != "revoked" {
		t.Errorf("the resold e-ticket is %q, want revoked", got)
	}
	if list := f.held("buyer2"); len(list) != 1 || list[0].Status != "valid" {
		t.Errorf("the new buyer holds %+v, want one valid e-ticket", list)
	}
	f.broker.WaitAbout(t, 10*time.Second, eventing.TypeETicketIssued, orderID)
	f.broker.WaitAbout(t, 10*time.Second, eventing.TypeETicketRevoked, old.OrderID)
	time.Sleep(200 * time.Millisecond) // a second event would follow at once
	// One of each, however often the outbox sent it.
	if n := len(eventingtest.Distinct(f.broker.About(eventing.TypeETicketIssued, orderID))); n != 1 {
		t.Errorf("%d eticket.issued for the resale, want 1", n)
	}
	if n := len(eventingtest.Distinct(f.broker.About(eventing.TypeETicketRevoked, old.OrderID))); n != 1 {
		t.Errorf("%d eticket.revoked for the resold e-ticket, want 1", n)
	}
	if code := f.Deliver(resold(t, newOrderID(), newOrderID(), f.sign(newOrderID()))); code != http.StatusBadRequest {
		t.Errorf("the resale of an e-ticket never issued: %d, want 400", code)
	}
}
