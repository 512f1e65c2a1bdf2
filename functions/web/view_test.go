package web

import (
	"testing"
	"time"

	"github.com/buytickets/buytickets/functions/web/internal/api"
)

func TestPricesShowAsDollarsAndCents(t *testing.T) {
	t.Parallel()
	tests := map[api.Price]string{
		1999:        "$19.99",
		50:          "$0.50",
		2000:        "$20.00",
		125000:      "$1,250.00",
		100_000_000: "$1,000,000.00",
		12345678:    "$123,456.78",
	}
	for p, want := range tests {
		if got := money(p); got != want {
			t.Errorf("money(%d) = %q, want %q", p, got, want)
		}
	}
}

func TestCountdownShowsMinutesAndSecondsLeft(t *testing.T) {
	t.Parallel()
	tests := map[time.Duration]string{
		15 * time.Minute:                      "15:00",
		14*time.Minute + 59*time.Second:       "14:59",
		14*time.Minute + 58*time.Second + 1e8: "14:59", // a part of a second is still a second
		65 * time.Second:                      "1:05",
		time.Second:                           "0:01",
		0:                                     "0:00",
		-time.Minute:                          "0:00",
		90 * time.Minute:                      "90:00",
		10*time.Minute + 30*time.Second + 1e6: "10:31",
	}
	for left, want := range tests {
		if got := countdown(left); got != want {
			t.Errorf("countdown(%v) = %q, want %q", left, got, want)
		}
	}
}

func TestOrdersShowPaidAwaitingCancelledOrExpired(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 20, 40, 0, 0, time.UTC)
	later, earlier := now.Add(5*time.Minute), now.Add(-time.Second)
	tests := []struct {
		name string
		o    api.Order
		want string
	}{
		{"created in its window", api.Order{Status: "created", ExpiresAt: later}, "awaiting-payment"},
		{"created past its window", api.Order{Status: "created", ExpiresAt: earlier}, "expired"},
		{"created at its expiry", api.Order{Status: "created", ExpiresAt: now}, "expired"},
		{"complete", api.Order{Status: "complete", ExpiresAt: earlier}, "paid"},
		{"cancelled by the buyer", api.Order{Status: "cancelled", CancelReason: "buyer", ExpiresAt: later}, "cancelled"},
		{"cancelled by expiry", api.Order{Status: "cancelled", CancelReason: "expired", ExpiresAt: earlier}, "expired"},
	}
	for _, tc := range tests {
		v := viewOrder(tc.o, time.UTC, now)
		if v.State != tc.want {
			t.Errorf("%s: state %q, want %q", tc.name, v.State, tc.want)
		}
		if v.StateLabel == "" {
			t.Errorf("%s: no label for %q", tc.name, v.State)
		}
		if (v.Countdown != "") != (tc.want == "awaiting-payment") {
			t.Errorf("%s: countdown %q shown for %q", tc.name, v.Countdown, v.State)
		}
	}
}

func TestPurchaseIsOfferedOnlyForSomeoneElsesAvailableTicket(t *testing.T) {
	t.Parallel()
	buyer := &api.User{ID: "buyer"}
	seller := &api.User{ID: "seller"}
	now := time.Date(2030, 1, 3, 19, 0, 0, 0, time.UTC)
	tonight := &api.Event{Name: "Gig", StartsAt: now.Add(time.Hour)}
	begun := &api.Event{Name: "Gig", StartsAt: now}
	tests := []struct {
		name       string
		status     string
		event      *api.Event
		viewer     *api.User
		canBuy     bool
		editable   bool
		notForSale string
	}{
		{"available to a buyer", "available", nil, buyer, true, false, ""},
		{"available to its seller", "available", nil, seller, false, true, "This is your ticket."},
		{"available to a visitor", "available", nil, nil, false, false, ""},
		{"reserved", "reserved", nil, buyer, false, false, "Reserved: a buyer is paying for it. It goes back on sale if they do not pay in time."},
		{"reserved, to its seller", "reserved", nil, seller, false, false, "This is your ticket."},
		{"sold", "sold", nil, buyer, false, false, "Sold."},
		{"for an event to come", "available", tonight, buyer, true, false, ""},
		{"for an event that has started", "available", begun, buyer, false, false, "This event has already started."},
		{"for an event that has started, to its seller", "available", begun, seller, false, false, "This is your ticket."},
	}
	for _, tc := range tests {
		v := viewTicket(api.Ticket{UserID: "seller", Status: tc.status, Price: 1999, Event: tc.event}, tc.viewer, time.UTC, now)
		if v.CanBuy != tc.canBuy || v.Editable != tc.editable || v.NotForSale != tc.notForSale {
			t.Errorf("%s: CanBuy %v Editable %v NotForSale %q; want %v %v %q",
				tc.name, v.CanBuy, v.Editable, v.NotForSale, tc.canBuy, tc.editable, tc.notForSale)
		}
		if v.Price != "$19.99" {
			t.Errorf("%s: price %q", tc.name, v.Price)
		}
	}
}

func TestSignInReturnsOnlyToPagesOfThisSite(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"/orders":                  "/orders",
		"/tickets/abc?x=1":         "/tickets/abc?x=1",
		"":                         "/",
		"https://evil.example/":    "/",
		"//evil.example/":          "/",
		`/\evil.example`:           "/",
		"orders":                   "/",
		"/orders\r\nSet-Cookie: x": "/",
		"javascript:alert(1)":      "/",
	}
	for next, want := range tests {
		if got := localPath(next); got != want {
			t.Errorf("localPath(%q) = %q, want %q", next, got, want)
		}
	}
}

func TestEventsAndSeatsShowForPeopleInTheVisitorsZone(t *testing.T) {
	t.Parallel()
	start := time.Date(2030, 1, 3, 19, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		zone      string
		event     api.Event
		seat      *api.Seat
		when      string
		place     string
		seatShown string
	}{
		{"in UTC without a zone", "", api.Event{Name: "Gig", Venue: "Olympia", City: "Paris", StartsAt: start},
			&api.Seat{Section: "A", Row: "3", Number: "12"}, "Thu 3 Jan 2030, 19:00 UTC", "Olympia, Paris", "Section A, Row 3, Seat 12"},
		{"in the visitor's zone", "Europe/Paris", api.Event{Name: "Gig", City: "Paris", StartsAt: start},
			&api.Seat{Row: "3"}, "Thu 3 Jan 2030, 20:00 CET", "Paris", "Row 3"},
		{"across midnight", "Asia/Tokyo", api.Event{Name: "Gig", Venue: "Budokan", StartsAt: start},
			nil, "Fri 4 Jan 2030, 04:00 JST", "Budokan", ""},
		{"an unknown zone is UTC", "Mars/Olympus", api.Event{Name: "Gig", StartsAt: start},
			&api.Seat{}, "Thu 3 Jan 2030, 19:00 UTC", "", ""},
		{"the server's own zone is never the visitor's", "Local", api.Event{Name: "Gig", StartsAt: start},
			nil, "Thu 3 Jan 2030, 19:00 UTC", "", ""},
	}
	for _, tc := range tests {
		v := viewTicket(api.Ticket{Event: &tc.event, Seat: tc.seat}, nil, zoneOf(tc.zone), start.Add(-time.Hour))
		if v.Event.When != tc.when || v.Event.Place != tc.place || v.Seat != tc.seatShown {
			t.Errorf("%s: shows %q, %q, %q; want %q, %q, %q", tc.name, v.Event.When, v.Event.Place, v.Seat, tc.when, tc.place, tc.seatShown)
		}
	}
}

func TestAStartTypedInAZoneIsSentInRFC3339(t *testing.T) {
	t.Parallel()
	paris := zoneOf("Europe/Paris")
	tests := []struct {
		typed string
		loc   *time.Location
		want  string
	}{
		{"2030-01-03T20:00", paris, "2030-01-03T20:00:00+01:00"},
		{"2030-07-03T20:00", paris, "2030-07-03T20:00:00+02:00"},
		{"2030-01-03T20:00:30", time.UTC, "2030-01-03T20:00:30Z"},
		{" 2030-01-03T20:00 ", time.UTC, "2030-01-03T20:00:00Z"},
		{"tomorrow night", paris, "tomorrow night"}, // for the API to refuse
		{"", paris, ""},
	}
	for _, tc := range tests {
		if got := startOf(tc.typed, tc.loc); got != tc.want {
			t.Errorf("startOf(%q, %s) = %q, want %q", tc.typed, tc.loc, got, tc.want)
		}
	}
	at := time.Date(2030, 1, 3, 19, 0, 0, 0, time.UTC)
	if got := localInput(at, paris); got != "2030-01-03T20:00" {
		t.Errorf("localInput = %q, want the Paris time without seconds", got)
	}
	if got := localInput(at.Add(30*time.Second), time.UTC); got != "2030-01-03T19:00:30" {
		t.Errorf("localInput = %q, want the seconds kept", got)
	}
}
