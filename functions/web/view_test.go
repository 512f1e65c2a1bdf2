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
		v := viewOrder(tc.o, now)
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
	tests := []struct {
		name       string
		status     string
		viewer     *api.User
		canBuy     bool
		editable   bool
		notForSale string
	}{
		{"available to a buyer", "available", buyer, true, false, ""},
		{"available to its seller", "available", seller, false, true, "This is your ticket."},
		{"available to a visitor", "available", nil, false, false, ""},
		{"reserved", "reserved", buyer, false, false, "Reserved: a buyer is paying for it. It goes back on sale if they do not pay in time."},
		{"reserved, to its seller", "reserved", seller, false, false, "This is your ticket."},
		{"sold", "sold", buyer, false, false, "Sold."},
	}
	for _, tc := range tests {
		v := viewTicket(api.Ticket{UserID: "seller", Status: tc.status, Price: 1999}, tc.viewer)
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
