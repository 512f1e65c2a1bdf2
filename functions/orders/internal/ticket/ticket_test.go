package ticket_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/buytickets/buytickets/functions/orders/internal/ticket"
)

func TestCents(t *testing.T) {
	t.Parallel()
	tests := []struct {
		dollars float64
		cents   ticket.Cents
	}{
		{0, 0}, {0.5, 50}, {19.99, 1999}, {0.1 + 0.2, 30}, {1.005, 100}, {1_000_000, 100_000_000}, {45.5, 4550},
	}
	for _, tc := range tests {
		if got := ticket.CentsOf(tc.dollars); got != tc.cents {
			t.Errorf("CentsOf(%v) = %d, want %d", tc.dollars, got, tc.cents)
		}
		if tc.dollars == math.Round(tc.dollars*100)/100 && tc.cents.Dollars() != tc.dollars {
			t.Errorf("%d cents = %v dollars, want %v", tc.cents, tc.cents.Dollars(), tc.dollars)
		}
	}
}

func TestNewRefusesWhatTicketsCannotSend(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		id    string
		price float64
		ok    bool
	}{
		{"a ticket", "t1", 20, true},
		{"free", "t1", 0, true},
		{"the most a replica takes", "t1", ticket.MaxPrice, true},
		{"no id", "", 20, false},
		{"negative price", "t1", -0.5, false},
		{"NaN price", "t1", math.NaN(), false},
		{"infinite price", "t1", math.Inf(1), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ticket.New(tc.id, "Concert", tc.price, "seller", ticket.Available, time.Time{})
			if tc.ok != (err == nil) || err != nil && !errors.Is(err, ticket.ErrInvalid) {
				t.Fatalf("New = %+v, %v; want ok %v", got, err, tc.ok)
			}
			if tc.ok && (got.Version != 0 || got.Price != ticket.CentsOf(tc.price)) {
				t.Errorf("New = %+v", got)
			}
		})
	}
	tk, _ := ticket.New("t1", "Concert", 20, "seller", ticket.Available, time.Time{})
	if at, err := tk.At(3); err != nil || at.Version != 3 || tk.Version != 0 {
		t.Errorf("At(3) = %+v, %v", at, err)
	}
	if _, err := tk.At(-1); !errors.Is(err, ticket.ErrInvalid) {
		t.Errorf("At(-1) = %v, want ErrInvalid", err)
	}
}

func TestAWithdrawnTicketIsMirroredAsWithdrawn(t *testing.T) {
	t.Parallel()
	for status, withdrawn := range map[string]bool{ticket.Available: false, "reserved": false, "sold": false, ticket.Withdrawn: true} {
		tk, err := ticket.New("t1", "Concert", 20, "seller", status, time.Time{})
		if err != nil || tk.Status != status || tk.Withdrawn() != withdrawn {
			t.Errorf("%s: New = %+v, %v; want the status kept, Withdrawn %v", status, tk, err, withdrawn)
		}
	}
}
