package ticket_test

import (
	"errors"
	"testing"
	"time"

	"github.com/buytickets/buytickets/functions/tickets/internal/ticket"
	"github.com/buytickets/buytickets/shared/apperr"
)

// TestABannedSellersListingIsWithdrawnOnlyWhileAvailable runs histories of
// order events ("C1", "X1", "P1" as in the lock rules' tests) with the
// seller's ban ("W", Withdraw) among them.
func TestABannedSellersListingIsWithdrawnOnlyWhileAvailable(t *testing.T) {
	t.Parallel()
	runHistories(t, []history{
		{"an available listing is withdrawn", "W", ticket.Withdrawn, "", 1},
		{"a second ban changes nothing", "W W", ticket.Withdrawn, "", 1},
		{"a reserved listing is left alone", "C1 W", ticket.Reserved, "order-1", 1},
		{"a sold listing is left alone", "C1 P1 W", ticket.Sold, "order-1", 2},
		{"a listing given back before the ban is withdrawn", "C1 X1 W", ticket.Withdrawn, "", 3},
		{"an order placed before orders heard of it does not reserve it", "W C1", ticket.Withdrawn, "", 1},
		{"nor does that order's end put it back on sale", "W C1 X1", ticket.Withdrawn, "", 1},
		{"nor the order's cancel before its creation", "W X1 C1", ticket.Withdrawn, "", 1},
		{"a paid order still buys it", "W C1 P1", ticket.Sold, "order-1", 2},
		{"a paid order buys it without its created", "W P1", ticket.Sold, "order-1", 2},
	})
}

func TestWithdrawSaysWhetherAClientSeesTheChange(t *testing.T) {
	t.Parallel()
	tk := newTicket()
	if out := tk.Withdraw(); out != ticket.Changed {
		t.Errorf("first Withdraw = %v, want Changed", out)
	}
	if out := tk.Withdraw(); out != ticket.Ignored {
		t.Errorf("second Withdraw = %v, want Ignored", out)
	}
}

func TestAWithdrawnTicketCannotBeEdited(t *testing.T) {
	t.Parallel()
	tk := newTicket()
	tk.Withdraw()
	err := tk.Edit("seller", ticket.Details{Title: "Opera", Price: 5000}, time.Now())
	if !errors.Is(err, ticket.ErrWithdrawn) || apperr.KindOf(err) != apperr.Invalid {
		t.Errorf("Edit of a withdrawn ticket = %v, want ErrWithdrawn (400)", err)
	}
	if tk.Title() != "Concert" || tk.Version() != 1 {
		t.Errorf("a refused edit changed the ticket: %+v", tk)
	}
	if _, err := ticket.UnmarshalFromStore(tk.State()); err != nil {
		t.Errorf("a withdrawn ticket does not come back from the store: %v", err)
	}
}

func TestABannedSellersReservedListingIsWithdrawnWhenItsOrderEnds(t *testing.T) {
	t.Parallel()
	got := newTicket()
	orderEvent("C1").apply(&got)
	r, _ := ticket.NewReservation(1, "order-1")
	if out := got.UnlockBanned(r); out != ticket.Changed {
		t.Errorf("UnlockBanned = %v, want Changed", out)
	}
	if got.Status() != ticket.Withdrawn || got.OrderID() != "" || got.Version() != 2 {
		t.Errorf("status %s, order %q, version %d; want withdrawn, no order, version 2 (one change)", got.Status(), got.OrderID(), got.Version())
	}
	if out := got.UnlockBanned(r); out != ticket.Ignored {
		t.Errorf("a duplicate cancellation = %v, want Ignored", out)
	}
}
