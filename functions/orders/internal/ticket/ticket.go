// Package ticket is orders' replica of a ticket: what the tickets function
// last said about it (title, price, seller, status), at the version it said
// it. Events apply to it in version order; it holds no reservation, which
// orders keeps apart (package reservation), so that an edit never touches
// who holds the ticket. It does no I/O.
package ticket

import (
	"fmt"
	"math"
	"time"

	"github.com/buytickets/buytickets/shared/apperr"
)

// The statuses tickets reports that orders acts on.
const (
	// Available is the status of a ticket nobody has reserved, the status
	// of every new ticket.
	Available = "available"
	// Withdrawn is the status of a listing tickets took off sale because
	// its seller was banned: it can no longer be ordered.
	Withdrawn = "withdrawn"
)

// MaxPrice bounds the prices a replica accepts, in dollars: far above what
// tickets lets a seller ask (DESIGN §3), and far below where cents overflow.
const MaxPrice = 1e12

// ErrInvalid refuses a ticket that the tickets function cannot have sent:
// no id, a price that is no amount of dollars, or a negative version.
var ErrInvalid = apperr.New(apperr.Invalid, "Invalid ticket")

// Cents is an amount of money in cents of a dollar.
type Cents int64

// CentsOf returns dollars in cents, rounded to the nearest cent, as Stripe
// is charged (DESIGN §3).
func CentsOf(dollars float64) Cents { return Cents(math.Round(dollars * 100)) }

// Dollars returns c as a decimal number of dollars.
func (c Cents) Dollars() float64 { return float64(c) / 100 }

// Ticket is what the replica holds of one ticket: what tickets said of it at
// Version.
type Ticket struct {
	ID       string
	Title    string
	Price    Cents
	SellerID string
	// Status is the status tickets last reported (available, reserved,
	// sold, withdrawn). Orders' own reservation decides whether another
	// order holds the ticket; of the statuses, only Withdrawn keeps it
	// from being ordered.
	Status string
	// Version is the ticket's version in tickets: 0 when created, +1 on
	// every change there.
	Version   int
	CreatedAt time.Time
	// ResaleOf is the code of the e-ticket a resale listing sells again;
	// "" for any other ticket. An order of it carries it to etickets.
	ResaleOf string
	// Event is what the ticket admits to; zero when its seller named
	// none. From its start on the ticket can no longer be ordered.
	Event Event
	// Seat is where its holder sits; zero when its seller said nothing.
	Seat Seat
}

// Event is the event a ticket admits to, as tickets describes it.
type Event struct {
	Name, Venue, City string
	StartsAt          time.Time
}

// Seat is where a ticket's holder sits; any part may be empty.
type Seat struct {
	Section, Row, Number string
}

// New returns the ticket at version 0 as tickets describes it, or an error
// matching ErrInvalid when id is empty or price is not an amount from 0 to
// MaxPrice dollars. createdAt may be zero when tickets did not say.
func New(id, title string, price float64, sellerID, status string, createdAt time.Time) (Ticket, error) {
	switch {
	case id == "":
		return Ticket{}, fmt.Errorf("%w: no id", ErrInvalid)
	case math.IsNaN(price) || price < 0 || price > MaxPrice:
		return Ticket{}, fmt.Errorf("%w: ticket %s: price %v", ErrInvalid, id, price)
	}
	return Ticket{
		ID: id, Title: title, Price: CentsOf(price), SellerID: sellerID,
		Status: status, CreatedAt: createdAt.UTC(),
	}, nil
}

// Withdrawn reports whether tickets took the ticket off sale.
func (t Ticket) Withdrawn() bool { return t.Status == Withdrawn }

// StartedAt reports whether the ticket's event has begun at now; a ticket
// naming no event never has.
func (t Ticket) StartedAt(now time.Time) bool {
	return !t.Event.StartsAt.IsZero() && !now.Before(t.Event.StartsAt)
}

// At returns t at version, which must not be negative.
func (t Ticket) At(version int) (Ticket, error) {
	if version < 0 {
		return Ticket{}, fmt.Errorf("%w: ticket %s: version %d", ErrInvalid, t.ID, version)
	}
	t.Version = version
	return t, nil
}
