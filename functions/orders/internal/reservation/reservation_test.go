package reservation_test

import (
	"testing"

	"github.com/buytickets/buytickets/functions/orders/internal/reservation"
)

func TestHoldAndRelease(t *testing.T) {
	t.Parallel()
	free := reservation.Of("t1")
	if free.Held() || free.Counter != 0 {
		t.Fatalf("a new ticket's reservation %+v", free)
	}
	first := free.Hold("a")
	tests := []struct {
		name string
		got  reservation.Reservation
		want reservation.Reservation
	}{
		{"first hold", first, reservation.Reservation{TicketID: "t1", Counter: 1, OrderID: "a"}},
		{"released by its holder", first.Release("a"), reservation.Reservation{TicketID: "t1", Counter: 1}},
		{"released by another order", first.Release("b"), first},
		{"released when free", free.Release("a"), free},
		{"held again after release", first.Release("a").Hold("b"), reservation.Reservation{TicketID: "t1", Counter: 2, OrderID: "b"}},
		{"taken over from an expired holder", first.Hold("c"), reservation.Reservation{TicketID: "t1", Counter: 2, OrderID: "c"}},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, tc.got, tc.want)
		}
		if tc.got.Held() != (tc.want.OrderID != "") {
			t.Errorf("%s: Held() = %v", tc.name, tc.got.Held())
		}
	}
}
