// Package order holds the rules of an order: who may order a ticket, how
// long the order reserves it, and how an order moves from created to
// complete or cancelled (DESIGN §3, §5). It does no I/O: the store reads
// what a decision needs, the rules decide, and the store writes the result.
package order

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/buytickets/buytickets/functions/orders/internal/reservation"
	"github.com/buytickets/buytickets/functions/orders/internal/ticket"
	"github.com/buytickets/buytickets/shared/apperr"
)

// Status is where an order is in its life: Created, then Complete (paid)
// or Cancelled. Complete and Cancelled are final.
type Status string

// The statuses of an order.
const (
	// Created is an order that holds its ticket until it expires.
	Created Status = "created"
	// Complete is a paid order.
	Complete Status = "complete"
	// Cancelled is an order its buyer cancelled, that expired, or whose
	// buyer was banned.
	Cancelled Status = "cancelled"
)

// Reason says why an order was cancelled.
type Reason string

// The reasons an order is cancelled.
const (
	// ReasonBuyer is a cancellation by the buyer.
	ReasonBuyer Reason = "buyer"
	// ReasonExpired is an order whose window passed unpaid.
	ReasonExpired Reason = "expired"
	// ReasonBanned is an unpaid order whose buyer an admin banned
	// (user.banned): it gives its ticket back to the other buyers.
	ReasonBanned Reason = "banned"
)

// The limits of DESIGN §3.
const (
	// MaxOpen is the most open orders (created and not expired) a buyer
	// may hold at once.
	MaxOpen = 10
	// DefaultWindow is how long an order reserves its ticket when no
	// window is configured (ORDER_EXPIRATION_WINDOW).
	DefaultWindow = 15 * time.Minute
	// ClockSkew is how far the clock of whoever reports an expiry (the
	// scheduler) may run ahead of orders': an order is cancelled as
	// expired from that long before its expiresAt, and not earlier.
	ClockSkew = 5 * time.Second
)

// Currency is the currency every order is charged in (DESIGN §3).
const Currency = "usd"

// The refusals of the order rules.
var (
	// ErrNotFound is an order that does not exist, or an id no order has.
	ErrNotFound = apperr.New(apperr.NotFound, "Order not found")
	// ErrTicketNotFound is an order for a ticket the replica does not hold.
	ErrTicketNotFound = apperr.New(apperr.NotFound, "Ticket not found")
	// ErrOwnTicket refuses an order for a ticket its buyer sells.
	ErrOwnTicket = apperr.New(apperr.Invalid, "Cannot buy your own ticket")
	// ErrReserved refuses an order for a ticket another order holds.
	ErrReserved = apperr.New(apperr.Invalid, "Ticket is already reserved")
	// ErrWithdrawn refuses an order for a ticket tickets withdrew (its
	// seller was banned). It is a business refusal (400) like ErrReserved,
	// not ErrTicketNotFound: the ticket still exists, and GET
	// /api/tickets/{id} still shows it, withdrawn.
	ErrWithdrawn = apperr.New(apperr.Invalid, "Ticket is no longer for sale")
	// ErrEventStarted refuses a ticket for an event that has begun.
	ErrEventStarted = apperr.New(apperr.Invalid, "This event has already started")
	// ErrTooManyOpen refuses an order to a buyer who holds MaxOpen open ones.
	ErrTooManyOpen = apperr.New(apperr.Invalid, "Too many open orders")
	// ErrTooManyHolds refuses an order to a buyer who has held the ticket
	// MaxHolds times within HoldPeriod: cancelling and ordering again, or
	// letting holds expire, cannot keep a ticket off the market.
	ErrTooManyHolds = apperr.New(apperr.Invalid, "You have reserved this ticket twice in 24 hours; try again later")
	// ErrNotOwner refuses access to an order by anyone but its buyer; it is
	// the same refusal as a missing session (401 "Not authorized").
	ErrNotOwner = apperr.New(apperr.Unauthorized, "Not authorized")
	// ErrCompleted refuses to cancel a paid order.
	ErrCompleted = apperr.New(apperr.Invalid, "Cannot cancel a completed order")
	// ErrAlreadyCancelled is a cancellation of an order already cancelled;
	// callers that cancel idempotently treat it as done.
	ErrAlreadyCancelled = apperr.New(apperr.Invalid, "Order is already cancelled")
	// ErrCancelled refuses to complete a cancelled order.
	ErrCancelled = apperr.New(apperr.Invalid, "Order is cancelled")
	// ErrAlreadyComplete is a completion of an order already complete;
	// callers that complete idempotently treat it as done.
	ErrAlreadyComplete = apperr.New(apperr.Invalid, "Order is already complete")
	// ErrNotExpired refuses to cancel as expired an order whose window has
	// not passed: a Conflict, so an expiry reported early is redelivered
	// until it has.
	ErrNotExpired = apperr.New(apperr.Conflict, "Order has not expired yet")
	// ErrPaymentMismatch refuses a payment whose amount or currency is not
	// the order's price in Currency: it pays for no order of ours.
	ErrPaymentMismatch = apperr.New(apperr.Invalid, "Payment does not match the order")
	// ErrNoTicketID refuses a request for an order that names no ticket.
	ErrNoTicketID = apperr.Field("ticketId", "Ticket id is required")
)

// Item is the ticket as its order was created with it: what the buyer saw
// is what they pay, whatever the seller changes afterwards.
type Item struct {
	TicketID string
	Title    string
	Price    ticket.Cents
	// SellerID is who listed the ticket; "" on orders placed before it
	// was kept.
	SellerID string
	// ResaleOf is the code of the e-ticket the ticket sells again, when it
	// is a resale listing.
	ResaleOf string
	// Event and Seat are what the ticket admits to, as its listing said
	// when the order was placed.
	Event ticket.Event
	Seat  ticket.Seat
}

// Order is one buyer's order for one ticket. Its fields change only through
// its methods, which keep the transitions of DESIGN §3.
type Order struct {
	id          string
	userID      string
	buyerEmail  string
	status      Status
	reason      Reason
	item        Item
	reservation int
	version     int
	createdAt   time.Time
	expiresAt   time.Time
	cancelledAt time.Time
	completedAt time.Time
	trace       string
}

// ID returns the order's id.
func (o *Order) ID() string { return o.id }

// UserID returns the buyer's id.
func (o *Order) UserID() string { return o.userID }

// BuyerEmail returns the buyer's email as their session named it when they
// ordered; "" on orders placed before it was kept.
func (o *Order) BuyerEmail() string { return o.buyerEmail }

// Status returns the order's status.
func (o *Order) Status() Status { return o.status }

// CancelReason returns why the order was cancelled, "" unless it was.
func (o *Order) CancelReason() Reason { return o.reason }

// Item returns the ticket as the order was created with it.
func (o *Order) Item() Item { return o.item }

// Reservation returns the number of the ticket's reservation the order
// made (reservation.Reservation.Counter when it was placed).
func (o *Order) Reservation() int { return o.reservation }

// Version returns the order's version: 0 when created, +1 on every change.
func (o *Order) Version() int { return o.version }

// CreatedAt returns when the order was placed.
func (o *Order) CreatedAt() time.Time { return o.createdAt }

// ExpiresAt returns when the order stops reserving its ticket unless paid.
func (o *Order) ExpiresAt() time.Time { return o.expiresAt }

// CancelledAt returns when the order was cancelled, the zero time unless it was.
func (o *Order) CancelledAt() time.Time { return o.cancelledAt }

// CompletedAt returns when the order was paid, the zero time unless it
// was, and on orders paid before it was kept.
func (o *Order) CompletedAt() time.Time { return o.completedAt }

// Trace returns the id of the trace that placed the order; "" on orders
// placed before it was kept.
func (o *Order) Trace() string { return o.trace }

// Open reports whether the order is created and its window has not passed
// at now: it holds its ticket and counts against its buyer's MaxOpen.
func (o *Order) Open(now time.Time) bool {
	return o.status == Created && now.Before(o.expiresAt)
}

// Expired reports whether the order is created but its window has passed at
// now: it is due to be cancelled and holds its ticket no more.
func (o *Order) Expired(now time.Time) bool {
	return o.status == Created && !now.Before(o.expiresAt)
}

// Blocks reports whether the order keeps anyone else from ordering its
// ticket at now: it is open, or paid.
func (o *Order) Blocks(now time.Time) bool {
	return o.Open(now) || o.status == Complete
}

// CheckOwner returns ErrNotOwner unless userID is the order's buyer.
func (o *Order) CheckOwner(userID string) error {
	if userID == "" || userID != o.userID {
		return ErrNotOwner
	}
	return nil
}

// Cancel cancels a created order for reason at now and bumps its version.
// It returns ErrAlreadyCancelled for a cancelled order and ErrCompleted for
// a complete one, and ErrNotExpired for an expiry more than ClockSkew
// before the order's window ends, and changes none of them. A ban cancels
// a created order whether or not its window has passed.
func (o *Order) Cancel(reason Reason, now time.Time) error {
	if reason != ReasonBuyer && reason != ReasonExpired && reason != ReasonBanned {
		return fmt.Errorf("order.Cancel %s: unknown reason %q", o.id, reason)
	}
	switch {
	case o.status == Cancelled:
		return ErrAlreadyCancelled
	case o.status == Complete:
		return ErrCompleted
	case reason == ReasonExpired && now.Add(ClockSkew).Before(o.expiresAt):
		return ErrNotExpired
	}
	o.status, o.reason, o.cancelledAt = Cancelled, reason, now.UTC()
	o.version++
	return nil
}

// Complete marks a created order paid at now and bumps its version. It
// returns ErrAlreadyComplete for a complete order and ErrCancelled for a
// cancelled one, and changes neither.
func (o *Order) Complete(now time.Time) error {
	switch o.status {
	case Complete:
		return ErrAlreadyComplete
	case Cancelled:
		return ErrCancelled
	}
	o.status, o.completedAt = Complete, now.UTC()
	o.version++
	return nil
}

// Pay completes a created order at now with a payment of amount in
// currency, as Complete does, once they are the order's price in
// Currency; otherwise it returns ErrPaymentMismatch and changes nothing.
func (o *Order) Pay(amount ticket.Cents, currency string, now time.Time) error {
	if amount != o.item.Price || currency != Currency {
		return ErrPaymentMismatch
	}
	return o.Complete(now)
}

// SparesComplete reports whether a cancellation for r leaves a complete
// order as it is, as done rather than refused: a paid order is never undone
// by a late expiry nor by its buyer's ban, while the buyer's own request to
// cancel it is refused (ErrCompleted).
func (r Reason) SparesComplete() bool { return r != ReasonBuyer }

// Placing is what placing an order is decided on, as one transaction read it.
type Placing struct {
	// BuyerID is who orders.
	BuyerID string
	// BuyerEmail is the buyer's email, from their session.
	BuyerEmail string
	// Ticket is the replica's ticket.
	Ticket ticket.Ticket
	// Reservation is the ticket's reservation.
	Reservation reservation.Reservation
	// Holder is the order the reservation names; nil when there is none.
	Holder *Order
	// Created are the buyer's orders in status Created, expired or not.
	Created []*Order
	// Earlier are the buyer's orders of this ticket, in any status.
	Earlier []*Order
	// Trace is the id of the trace the order is placed in, kept for
	// support to follow it; no rule reads it.
	Trace string
}

// The limits on holding one ticket again and again.
const (
	// MaxHolds is how many times a buyer may hold one ticket within
	// HoldPeriod.
	MaxHolds = 2
	// HoldPeriod is the period MaxHolds counts over.
	HoldPeriod = 24 * time.Hour
)

// Placement is a new order and what placing it changes.
type Placement struct {
	// Order is the new order, at version 0.
	Order *Order
	// Reservation is the ticket's reservation, now held by Order.
	Reservation reservation.Reservation
	// Expired is the previous holder, cancelled because its window had
	// passed; nil when there was none.
	Expired *Order
}

// Place decides a new order with id for in.BuyerID at now, reserving the
// ticket for window. It refuses the buyer's own ticket (ErrOwnTicket), a
// ticket held by an open or complete order (ErrReserved), a ticket tickets
// withdrew (ErrWithdrawn), a ticket for an event that has begun
// (ErrEventStarted), a buyer who
// holds MaxOpen open orders (ErrTooManyOpen), and a buyer who held the
// ticket MaxHolds times within HoldPeriod (ErrTooManyHolds). A holder
// whose window has passed does not block: the placement cancels it as
// expired. in is left as it was.
func Place(id string, in Placing, now time.Time, window time.Duration) (Placement, error) {
	if in.Ticket.SellerID == in.BuyerID {
		return Placement{}, ErrOwnTicket
	}
	if in.Ticket.Withdrawn() {
		return Placement{}, ErrWithdrawn
	}
	if in.Ticket.StartedAt(now) {
		return Placement{}, ErrEventStarted
	}
	var expired *Order
	if in.Holder != nil {
		switch holder := *in.Holder; {
		case holder.Blocks(now):
			return Placement{}, ErrReserved
		case holder.Expired(now):
			if err := holder.Cancel(ReasonExpired, now); err != nil {
				return Placement{}, fmt.Errorf("order.Place: %w", err)
			}
			expired = &holder
		}
	}
	open := 0
	for _, o := range in.Created {
		if o.Open(now) {
			open++
		}
	}
	if open >= MaxOpen {
		return Placement{}, ErrTooManyOpen
	}
	recent := 0
	for _, o := range in.Earlier {
		if now.Sub(o.CreatedAt()) < HoldPeriod {
			recent++
		}
	}
	if recent >= MaxHolds {
		return Placement{}, ErrTooManyHolds
	}
	r := in.Reservation.Hold(id)
	now = now.UTC()
	o := &Order{
		id:         id,
		userID:     in.BuyerID,
		buyerEmail: in.BuyerEmail,
		status:     Created,
		item: Item{
			TicketID: in.Ticket.ID, Title: in.Ticket.Title, Price: in.Ticket.Price, SellerID: in.Ticket.SellerID,
			ResaleOf: in.Ticket.ResaleOf, Event: in.Ticket.Event, Seat: in.Ticket.Seat,
		},
		reservation: r.Counter,
		createdAt:   now,
		expiresAt:   now.Add(window),
		trace:       in.Trace,
	}
	return Placement{Order: o, Reservation: r, Expired: expired}, nil
}

// idBytes is the length of an order id in bytes, before hex encoding.
const idBytes = 12

// NewID returns a random 96-bit order id as 24 lower-case hex digits.
func NewID() string {
	var b [idBytes]byte
	// crypto/rand.Read never returns an error since Go 1.24.
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ValidID reports whether id has the form NewID gives, so that a malformed
// id in a path is answered as not found without a read.
func ValidID(id string) bool {
	if len(id) != 2*idBytes {
		return false
	}
	for _, c := range []byte(id) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// ParseTicketID checks the ticket id of a new order: ErrNoTicketID when it
// is empty or blank. Any other id is looked up as it is; one that names no
// ticket is ErrTicketNotFound.
func ParseTicketID(id string) (string, error) {
	if strings.TrimSpace(id) == "" {
		return "", ErrNoTicketID
	}
	return id, nil
}

// State is an order field by field, as the store keeps it.
type State struct {
	ID          string
	UserID      string
	BuyerEmail  string
	Status      Status
	Reason      Reason
	Item        Item
	Reservation int
	Version     int
	CreatedAt   time.Time
	ExpiresAt   time.Time
	CancelledAt time.Time
	// CompletedAt is zero on orders paid before it was kept.
	CompletedAt time.Time
	// Trace is the id of the trace that placed the order (Placing.Trace).
	Trace string
}

// UnmarshalFromStore returns the order s describes. It is for the store's
// rehydration only: it checks no rule, since what was stored kept them.
func UnmarshalFromStore(s State) *Order {
	return &Order{
		id: s.ID, userID: s.UserID, buyerEmail: s.BuyerEmail, status: s.Status, reason: s.Reason, item: s.Item,
		reservation: s.Reservation, version: s.Version,
		createdAt: s.CreatedAt, expiresAt: s.ExpiresAt, cancelledAt: s.CancelledAt, completedAt: s.CompletedAt,
		trace: s.Trace,
	}
}
