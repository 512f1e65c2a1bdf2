package orders_test

import (
	"net/http"
	"testing"
	"time"
)

func TestABuyerCannotHoldOneTicketOverAndOver(t *testing.T) {
	t.Parallel()
	f := newFn(t, withoutRelay)
	buyer, other := f.user("buyer"), f.user("other")
	id := f.listTicket("seller", "Concert", 20)
	for range 2 {
		o := buyer.mustOrder(id)
		if res := buyer.Delete("/api/orders/" + o.ID); res.Code != http.StatusNoContent {
			t.Fatalf("cancel: %d %s", res.Code, res.Body)
		}
	}
	res := buyer.orderTicket(id)
	errs := errorsOf(t, res)
	if res.Code != http.StatusBadRequest || len(errs) != 1 || errs[0].Message != "You have reserved this ticket twice in 24 hours; try again later" {
		t.Fatalf("a third hold within the day: %d %s, want 400 saying why", res.Code, res.Body)
	}
	// Another buyer is not held back, and a day later the first may try again.
	o := other.mustOrder(id)
	if res := other.Delete("/api/orders/" + o.ID); res.Code != http.StatusNoContent {
		t.Fatalf("cancel: %d %s", res.Code, res.Body)
	}
	f.clock.Advance(24 * time.Hour)
	buyer.mustOrder(id)
}
