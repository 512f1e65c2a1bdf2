package ticket_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/buytickets/buytickets/functions/tickets/internal/ticket"
)

var listedAt = time.Date(2027, 5, 1, 12, 0, 0, 0, time.UTC)

func TestAnEventIsNamedAndStartsAfterItIsListed(t *testing.T) {
	t.Parallel()
	e, err := ticket.ParseEvent(ticket.EventInput{
		Name: " Spring Gala ", Venue: "Salle Pleyel", City: "Paris", StartsAt: "2027-06-01T20:00:00+02:00",
	}, listedAt)
	want := ticket.Event{Name: "Spring Gala", Venue: "Salle Pleyel", City: "Paris", StartsAt: time.Date(2027, 6, 1, 18, 0, 0, 0, time.UTC)}
	if err != nil || e != want {
		t.Fatalf("ParseEvent = %+v, %v; want %+v", e, err, want)
	}
	if e, err := ticket.ParseEvent(ticket.EventInput{Name: "Gig", StartsAt: "2027-05-01T12:00:01Z"}, listedAt); err != nil || e.Venue != "" || e.City != "" {
		t.Errorf("an event with neither venue nor city: %+v, %v", e, err)
	}
	tests := []struct {
		name string
		in   ticket.EventInput
		want []string
	}{
		{"nothing", ticket.EventInput{}, []string{"event.name: Event name is required", "event.startsAt: Start time is required"}},
		{"a start in the past", ticket.EventInput{Name: "Gig", StartsAt: "2027-04-30T12:00:00Z"}, []string{"event.startsAt: Start time must be in the future"}},
		{"a start that is now", ticket.EventInput{Name: "Gig", StartsAt: "2027-05-01T12:00:00Z"}, []string{"event.startsAt: Start time must be in the future"}},
		{"a date without a time", ticket.EventInput{Name: "Gig", StartsAt: "2027-06-01"}, []string{"event.startsAt: Start time must be a date and time such as 2027-06-01T20:00:00+02:00"}},
		{"a time without a zone", ticket.EventInput{Name: "Gig", StartsAt: "2027-06-01T20:00:00"}, []string{"event.startsAt: Start time must be a date and time such as 2027-06-01T20:00:00+02:00"}},
		{"a long venue and a hidden city", ticket.EventInput{Name: "Gig", Venue: strings.Repeat("v", ticket.MaxPlaceLen+1), City: "\u200b", StartsAt: "2027-06-01T20:00:00Z"}, []string{
			"event.venue: Venue must be between 1 and 100 characters", "event.city: City must not contain invisible formatting characters",
		}},
		{"a name of marks alone", ticket.EventInput{Name: "\u0301", StartsAt: "2027-06-01T20:00:00Z"}, []string{"event.name: Event name must contain a visible character"}},
	}
	for _, tc := range tests {
		_, err := ticket.ParseEvent(tc.in, listedAt)
		if got := fieldErrors(t, err); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestASeatIsAnyOfSectionRowAndNumber(t *testing.T) {
	t.Parallel()
	if s, err := ticket.ParseSeat(ticket.SeatInput{Section: " Balcony ", Number: "12"}); err != nil || s != (ticket.Seat{Section: "Balcony", Number: "12"}) {
		t.Errorf("ParseSeat = %+v, %v", s, err)
	}
	_, err := ticket.ParseSeat(ticket.SeatInput{Row: strings.Repeat("R", ticket.MaxSeatPartLen+1), Number: "1\n2"})
	want := []string{"seat.row: Row must be between 1 and 20 characters", "seat.number: Seat number must not contain control characters"}
	if got := fieldErrors(t, err); !slices.Equal(got, want) {
		t.Errorf("ParseSeat = %q, want %q", got, want)
	}
}

func TestAnEventHasStartedFromItsStartOn(t *testing.T) {
	t.Parallel()
	e := ticket.Event{Name: "Gig", StartsAt: listedAt}
	for _, tc := range []struct {
		at   time.Time
		want bool
	}{{listedAt.Add(-time.Millisecond), false}, {listedAt, true}, {listedAt.Add(time.Hour), true}} {
		if got := e.StartedAt(tc.at); got != tc.want {
			t.Errorf("StartedAt(%v) = %v, want %v", tc.at, got, tc.want)
		}
	}
	if (ticket.Event{}).StartedAt(listedAt) {
		t.Error("a ticket naming no event counts as started")
	}
}
