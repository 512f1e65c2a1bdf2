package ticket_test

import (
	"errors"
	"testing"
	"time"

	"github.com/buytickets/buytickets/functions/tickets/internal/ticket"
)

func TestResellKeepsTheRulesOfAResale(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	held := ticket.ETicket{Code: "CODE", HolderID: "holder", IssuerID: "issuer", Title: "Concert", FaceValue: 2050}
	tests := []struct {
		name  string
		e     func(ticket.ETicket) ticket.ETicket
		user  string
		price ticket.Price
		live  bool
		want  error
	}{
		{"at face value", nil, "holder", 2050, false, nil},
		{"below it, the last listing withdrawn", func(e ticket.ETicket) ticket.ETicket { e.Listing = "old"; return e }, "holder", 100, false, nil},
		{"above face value", nil, "holder", 2051, false, ticket.ErrAboveFaceValue},
		{"by another", nil, "someone", 100, false, ticket.ErrNotHeld},
		{"signed out", nil, "", 100, false, ticket.ErrNotHeld},
		{"never issued", func(e ticket.ETicket) ticket.ETicket { return ticket.ETicket{Code: e.Code, Revoked: true} }, "holder", 100, false, ticket.ErrNotHeld},
		{"revoked", func(e ticket.ETicket) ticket.ETicket { e.Revoked = true; return e }, "holder", 100, false, ticket.ErrETicketRevoked},
		{"used", func(e ticket.ETicket) ticket.ETicket { e.CheckedIn = true; return e }, "holder", 100, false, ticket.ErrETicketUsed},
		{"listed", func(e ticket.ETicket) ticket.ETicket { e.Listing = "old"; return e }, "holder", 100, true, ticket.ErrAlreadyListed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := held
			if tc.e != nil {
				e = tc.e(e)
			}
			got, err := e.Resell(tc.user, ticket.Resale{Code: "CODE", Price: tc.price}, tc.live, now)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Resell = %v, want %v", err, tc.want)
			}
			if err != nil {
				return
			}
			if got.Title() != "Concert" || got.UserID() != "holder" || got.Price() != tc.price || got.FaceValue() != 2050 ||
				got.ResaleOf() != "CODE" || got.Status() != ticket.Available || got.Version() != 0 {
				t.Errorf("listing %+v", got.State())
			}
		})
	}
}

func TestAboveFaceValueSaysTheFaceValueInDollarsAndCents(t *testing.T) {
	t.Parallel()
	for price, want := range map[ticket.Price]string{
		2050: "Resale price cannot exceed face value ($20.50)",
		50:   "Resale price cannot exceed face value ($0.50)",
		1000: "Resale price cannot exceed face value ($10.00)",
	} {
		err := ticket.AboveFaceValue(price)
		if !errors.Is(err, ticket.ErrAboveFaceValue) {
			t.Errorf("AboveFaceValue(%d) does not match ErrAboveFaceValue", price)
		}
		if got := err.Error(); got != want {
			t.Errorf("AboveFaceValue(%d) = %q, want %q", price, got, want)
		}
	}
}

func TestParseResaleReadsACodeAsAPersonTypesIt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code, title string
		want        string
		err         error
	}{
		{"abcd-EFGH 2345", "", "ABCDEFGH2345", nil},
		{"ABC1", "", "", ticket.ErrNotHeld},
		{"", "", "", ticket.ErrNotHeld},
		{"ABCD", "A title", "", ticket.ErrResaleTitle},
	}
	for _, tc := range tests {
		r, err := ticket.ParseResale(tc.code, tc.title, "10")
		if !errors.Is(err, tc.err) || r.Code != tc.want {
			t.Errorf("ParseResale(%q, %q) = %+v, %v; want %q, %v", tc.code, tc.title, r, err, tc.want, tc.err)
		}
	}
}

func TestOnlyTheSellerWithdrawsAListingOnSale(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status func(*ticket.Ticket)
		user   string
		want   ticket.Outcome
		err    error
	}{
		{"on sale", nil, "seller", ticket.Changed, nil},
		{"withdrawn already", func(tk *ticket.Ticket) { tk.Withdraw() }, "seller", ticket.Ignored, nil},
		{"reserved", func(tk *ticket.Ticket) { tk.Lock(ticket.Reservation{Number: 1, OrderID: "o1"}) }, "seller", ticket.Ignored, ticket.ErrCannotWithdraw},
		{"sold", func(tk *ticket.Ticket) { tk.Sell(ticket.Reservation{Number: 1, OrderID: "o1"}) }, "seller", ticket.Ignored, ticket.ErrCannotWithdraw},
		{"by another", nil, "other", ticket.Ignored, ticket.ErrNotOwner},
	}
	for _, tc := range tests {
		tk := ticket.New("seller", ticket.Details{Title: "Concert", Price: 1000}, time.Now())
		if tc.status != nil {
			tc.status(&tk)
		}
		before := tk.Version()
		out, err := tk.WithdrawBy(tc.user)
		if out != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("%s: WithdrawBy = %v, %v; want %v, %v", tc.name, out, err, tc.want, tc.err)
		}
		if out == ticket.Changed && (tk.Status() != ticket.Withdrawn || tk.Version() != before+1) {
			t.Errorf("%s: %+v, want withdrawn at the next version", tc.name, tk.State())
		}
	}
}
