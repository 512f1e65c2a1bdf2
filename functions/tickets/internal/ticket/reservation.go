package ticket

import (
	"fmt"

	"github.com/buytickets/buytickets/shared/apperr"
)

// Reservation is an order's hold on a ticket, as orders numbers them: each
// new reservation of a ticket gets a number one higher than the last
// (DESIGN §5, "orders owns them"). Tickets only mirrors them: it compares
// numbers, and never makes one.
type Reservation struct {
	// Number is the reservation's place in the ticket's sequence, from 1;
	// 0 is no reservation at all.
	Number int
	// OrderID is the order that holds it.
	OrderID string
}

// ErrBadReservation is an order event whose reservation no order can hold:
// a number below 1, or no order id.
var ErrBadReservation = apperr.New(apperr.Invalid, "Invalid reservation")

// NewReservation returns the reservation number of order orderID, or
// ErrBadReservation.
func NewReservation(number int, orderID string) (Reservation, error) {
	if number < 1 || orderID == "" {
		return Reservation{}, ErrBadReservation.With(fmt.Errorf(
			"ticket.NewReservation: number %d of order %q: want a number from 1 and an order", number, orderID))
	}
	return Reservation{Number: number, OrderID: orderID}, nil
}

// ReservationState is what became of the newest reservation a ticket has
// heard of.
type ReservationState string

// The states of a reservation.
const (
	// NoReservation is a ticket no order event has named yet.
	NoReservation ReservationState = ""
	// Locked is a reservation whose order.created arrived: it holds the ticket.
	Locked ReservationState = "locked"
	// Cancelled is a reservation whose order was cancelled. When the
	// cancellation arrived first, it is a tombstone: the order.created that
	// follows is ignored.
	Cancelled ReservationState = "cancelled"
	// Completed is a reservation whose order was paid: the ticket is sold.
	Completed ReservationState = "completed"
)

// Valid reports whether s is one of the states.
func (s ReservationState) Valid() bool {
	return s == NoReservation || s == Locked || s == Cancelled || s == Completed
}

// Outcome is what an order event did to a ticket.
type Outcome int

// The outcomes, from least to most.
const (
	// Ignored is an event that changes nothing: a duplicate, one about an
	// older reservation, or one about a sold ticket. Nothing is written.
	Ignored Outcome = iota
	// Noted is an event that changes only tickets' memory of reservations
	// (a tombstone on an available ticket): the ticket is written, but a
	// client sees no change, so its version stays and no event is emitted.
	Noted
	// Changed is an event that changes what a client sees (status, order):
	// the version grows by one and ticket.updated is emitted.
	Changed
)

// Lock applies order.created for r: a reservation newer than any the ticket
// has heard of locks it to r's order (Reserved), even over an older lock,
// whose order orders must have ended to make r. A reservation not newer is
// ignored: a duplicate, a late one, or one already cancelled (a tombstone).
// A sold ticket stays sold. A withdrawn ticket stays withdrawn, the lock
// only Noted: orders placed the order before it heard of the withdrawal,
// and the order's end must not put the ticket back on sale.
func (t *Ticket) Lock(r Reservation) Outcome {
	if t.status == Sold || r.Number <= t.reservation.Number {
		return Ignored
	}
	t.reservation, t.reservationState = r, Locked
	if t.status == Withdrawn {
		return Noted
	}
	return t.change(Reserved, r.OrderID)
}

// Unlock applies order.cancelled for r. The reservation that holds the
// ticket is released (Available). A reservation newer than any the ticket
// has heard of is remembered as cancelled, a tombstone, so that its
// order.created, should it arrive later, is ignored; an older lock it
// supersedes is released too. A cancellation of an older reservation never
// unlocks a newer one, a sold ticket stays sold, and a withdrawn one stays
// withdrawn.
func (t *Ticket) Unlock(r Reservation) Outcome { return t.unlock(r, Available) }

// UnlockBanned is Unlock for a ticket whose seller is banned: the
// reservation ends as Unlock's does, but the ticket is withdrawn rather
// than put back on sale, in one change (one version, one ticket.updated),
// as the ban would have withdrawn it had it been on sale then.
func (t *Ticket) UnlockBanned(r Reservation) Outcome { return t.unlock(r, Withdrawn) }

// unlock ends reservation r and leaves a ticket it held in status to.
func (t *Ticket) unlock(r Reservation, to Status) Outcome {
	switch {
	case t.status == Sold, r.Number < t.reservation.Number:
		return Ignored
	case r.Number == t.reservation.Number && t.reservationState != Locked:
		return Ignored // cancelled already, by a duplicate or before its creation
	}
	t.reservation, t.reservationState = r, Cancelled
	if t.status == Available || t.status == Withdrawn {
		return Noted
	}
	return t.change(to, "")
}

// Sell applies order.completed for r: the ticket is sold to r's order,
// whether or not its order.created arrived, and whatever reservation the
// ticket held (orders completes only an order that holds the ticket, and a
// completed order is final there), and even when it was withdrawn in the
// meantime: the buyer paid, and gets the ticket. Sold is final: a sold
// ticket ignores every later event.
func (t *Ticket) Sell(r Reservation) Outcome {
	if t.status == Sold {
		return Ignored
	}
	r.Number = max(r.Number, t.reservation.Number)
	t.reservation, t.reservationState = r, Completed
	return t.change(Sold, r.OrderID)
}

// change moves t to status, held by orderID, as a new version.
func (t *Ticket) change(status Status, orderID string) Outcome {
	t.status, t.orderID = status, orderID
	t.version++
	return Changed
}
