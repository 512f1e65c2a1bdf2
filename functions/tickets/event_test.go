package tickets_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
)

// gala is a listing for an event a day after t0, in Paris, row C seat 12.
const gala = `{"title":"Gala night","price":80,
	"event":{"name":"Spring Gala","venue":"Salle Pleyel","city":"Paris","startsAt":"2030-01-03T20:00:00+01:00"},
	"seat":{"section":"Balcony","row":"C","number":"12"}}`

var galaStarts = time.Date(2030, 1, 3, 19, 0, 0, 0, time.UTC)

func TestAListingSaysWhatWhereAndWhenAndTicketCreatedCarriesIt(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	got := ticketOf(t, f.as("seller-1").post("/api/tickets", gala), http.StatusCreated)
	wantEvent := eventJSON{Name: "Spring Gala", Venue: "Salle Pleyel", City: "Paris", StartsAt: galaStarts}
	wantSeat := seatJSON{Section: "Balcony", Row: "C", Number: "12"}
	if got.Event != wantEvent || got.Seat != wantSeat {
		t.Errorf("created event %+v seat %+v, want %+v %+v", got.Event, got.Seat, wantEvent, wantSeat)
	}
	if read := f.ticket(got.ID); read != got {
		t.Errorf("GET = %+v, want %+v", read, got)
	}
	p := eventingtest.Decode[eventing.TicketCreated](t, f.sink.await(t, eventing.TypeTicketCreated, got.ID, 0))
	if p.Event == nil || *p.Event != (eventing.TicketEvent{Name: "Spring Gala", Venue: "Salle Pleyel", City: "Paris", StartsAt: galaStarts}) ||
		p.Seat == nil || *p.Seat != (eventing.TicketSeat{Section: "Balcony", Row: "C", Number: "12"}) {
		t.Errorf("ticket.created carries event %+v seat %+v", p.Event, p.Seat)
	}

	// An edit that says nothing of the event keeps it; one that does
	// replaces it, and ticket.updated says so.
	edited := ticketOf(t, f.as("seller-1").put("/api/tickets/"+got.ID, `{"title":"Gala night","price":75}`), http.StatusOK)
	if edited.Event != wantEvent || edited.Seat != wantSeat {
		t.Errorf("an edit of the price alone left event %+v seat %+v", edited.Event, edited.Seat)
	}
	moved := ticketOf(t, f.as("seller-1").put("/api/tickets/"+got.ID,
		`{"title":"Gala night","price":75,"event":{"name":"Spring Gala","city":"Lyon","startsAt":"2030-01-04T20:00:00Z"}}`), http.StatusOK)
	if moved.Event.City != "Lyon" || moved.Event.Venue != "" || moved.Seat != wantSeat {
		t.Errorf("an edit of the event gave event %+v seat %+v", moved.Event, moved.Seat)
	}
	if u := f.updated(got.ID, 2); u.Event == nil || u.Event.City != "Lyon" {
		t.Errorf("ticket.updated carries event %+v", u.Event)
	}
}

func TestAListingWithoutAnEventShowsNone(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	res := f.as("seller-1").post("/api/tickets", `{"title":"Concert","price":10}`)
	got := ticketOf(t, res, http.StatusCreated)
	if got.Event != (eventJSON{}) || got.Seat != (seatJSON{}) {
		t.Errorf("a listing naming no event shows event %+v seat %+v", got.Event, got.Seat)
	}
	p := eventingtest.Decode[eventing.TicketCreated](t, f.sink.await(t, eventing.TypeTicketCreated, got.ID, 0))
	if p.Event != nil || p.Seat != nil {
		t.Errorf("ticket.created carries event %+v seat %+v", p.Event, p.Seat)
	}
}

func TestBadEventDescriptionsAreRefusedNamingTheFieldAndNothingIsStored(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	tests := []struct {
		name, body string
		want       []httpx.ErrorItem
	}{
		{"a start before the listing", `{"title":"Gig","price":10,"event":{"name":"Gig","startsAt":"2030-01-01T00:00:00Z"}}`,
			[]httpx.ErrorItem{item("Start time must be in the future", "event.startsAt")}},
		{"a start without a zone", `{"title":"Gig","price":10,"event":{"name":"Gig","startsAt":"2030-02-01T20:00"}}`,
			[]httpx.ErrorItem{item("Start time must be a date and time such as 2027-06-01T20:00:00+02:00", "event.startsAt")}},
		{"an event without a name, and a bad title", `{"title":"","price":10,"event":{"startsAt":"2030-02-01T20:00:00Z"}}`,
			[]httpx.ErrorItem{item("Title is required", "title"), item("Event name is required", "event.name")}},
		{"a seat row too long", `{"title":"Gig","price":10,"seat":{"row":"123456789012345678901"}}`,
			[]httpx.ErrorItem{item("Row must be between 1 and 20 characters", "seat.row")}},
		{"an event that is not an object", `{"title":"Gig","price":10,"event":"tomorrow"}`, nil},
	}
	for _, tc := range tests {
		res := f.as("seller-1").post("/api/tickets", tc.body)
		if res.Code != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", tc.name, res.Code, res.Body)
			continue
		}
		if got := httpxtest.Errors(t, res); tc.want != nil && !slices.Equal(got, tc.want) {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
	f.wantNothingStored()
}

func TestATicketForAnEventThatHasStartedCannotBeEdited(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	got := ticketOf(t, f.as("seller-1").post("/api/tickets", gala), http.StatusCreated)
	f.clock.Advance(galaStarts.Sub(f.clock.Now()))
	res := f.as("seller-1").put("/api/tickets/"+got.ID, `{"title":"Gala night","price":10}`)
	httpxtest.WantErrors(t, res, http.StatusBadRequest, item("This event has already started", ""))
	if read := f.ticket(got.ID); read.Price != "80" || read.Version != 0 {
		t.Errorf("the refused edit changed the ticket: %+v", read)
	}
}

func TestAListingLeavesTheShopWhenItsEventStartsAndPagesReadOnPastIt(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	seller := f.as("seller-1")
	var listed []string
	for i, body := range []string{
		`{"title":"Later show","price":10,"event":{"name":"Later","startsAt":"2030-02-01T20:00:00Z"}}`,
		gala,
		gala,
		`{"title":"No date","price":10}`,
	} {
		listed = append(listed, ticketOf(t, seller.post("/api/tickets", body), http.StatusCreated).ID)
		f.clock.Advance(time.Duration(i+1) * time.Second)
	}
	if got := ids(ticketsOf(t, f.anon().get("/api/tickets"))); !slices.Equal(got, []string{listed[3], listed[2], listed[1], listed[0]}) {
		t.Fatalf("before the gala the shop lists %v", got)
	}

	f.clock.Advance(galaStarts.Sub(f.clock.Now()))
	var got []string
	for _, p := range f.anon().pages("/api/tickets?limit=1") {
		got = append(got, ids(p)...)
	}
	if want := []string{listed[3], listed[0]}; !slices.Equal(got, want) {
		t.Errorf("once the gala started the shop lists %v, want %v", got, want)
	}
	// The seller still sees them, and anyone can still read them.
	if mine := ticketsOf(t, f.as("seller-1").get("/api/tickets?seller=me")); len(mine) != 4 {
		t.Errorf("the seller's own list holds %d tickets, want 4", len(mine))
	}
	if read := f.ticket(listed[1]); read.Status != "available" {
		t.Errorf("a started event's ticket reads %+v", read)
	}
}

func TestAResaleSaysItsListingsEventAndIsRefusedOnceItStarted(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	listed := ticketOf(t, f.as("seller-1").post("/api/tickets", gala), http.StatusCreated)
	issuedFor := func(code string) {
		f.mustDeliver(eventingtest.Event(t, eventing.NewETicketIssued, eventing.ETicketIssued{
			Code: code, OrderID: "o-" + code[:8], TicketID: listed.ID, HolderID: "buyer", IssuerID: "seller-1",
			Title: "Gala night", FaceValue: 8000,
		}))
	}
	before, after := newCode(), newCode()
	issuedFor(before)
	issuedFor(after)

	resold := ticketOf(t, f.as("buyer").post("/api/tickets", resale(before, 80)), http.StatusCreated)
	if resold.Event != listed.Event || resold.Seat != listed.Seat {
		t.Errorf("the resale says event %+v seat %+v, want its listing's %+v %+v", resold.Event, resold.Seat, listed.Event, listed.Seat)
	}
	f.clock.Advance(galaStarts.Sub(f.clock.Now()))
	httpxtest.WantErrors(t, f.as("buyer").post("/api/tickets", resale(after, 80)), http.StatusBadRequest,
		item("This event has already started", ""))
}
