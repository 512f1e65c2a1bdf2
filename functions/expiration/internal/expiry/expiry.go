// Package expiry holds the rules of an order's reservation window: an
// order that is still open when its window passes expires, once; an order
// cancelled or completed first never does.
//
// An Expiry is what the expiration function knows of one order. It starts
// Scheduled when order.created arrives, with a task due at the order's
// expiresAt; it becomes Closed when order.cancelled or order.completed
// arrives first (the task is then cancelled), and Expired when the task
// fires while it is still Scheduled (expiration.completed is then
// emitted). Closed and Expired are final. Since the broker keeps no order,
// the close may arrive before the creation: the order is then recorded
// Closed at once, and its order.created schedules nothing.
package expiry

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/buytickets/buytickets/shared/apperr"
)

// State is where an expiry stands.
type State string

// The states of an expiry.
const (
	// Scheduled is an open order whose task is due at its expiresAt.
	Scheduled State = "scheduled"
	// Closed is an order cancelled or completed before it expired.
	Closed State = "closed"
	// Expired is an order whose window passed while it was open.
	Expired State = "expired"
)

// MaxOrderIDLen is the longest order id an expiry takes.
const MaxOrderIDLen = 100

// The refusals of the expiry rules.
var (
	// ErrNotFound is an order of which expiration never heard.
	ErrNotFound = apperr.New(apperr.NotFound, "Order not found")
	// ErrNoOrderID is a task without an order id.
	ErrNoOrderID = apperr.Field("orderId", "Order id is required")
	// ErrInvalidOrderID is an order id that could not name a task or a
	// document: not 1 to MaxOrderIDLen letters, digits, '-' or '_'.
	ErrInvalidOrderID = apperr.Field("orderId", "Order id is invalid")
	// ErrTooEarly is a task that fired before the order's expiresAt (a
	// clock ahead of ours); the scheduler retries it.
	ErrTooEarly = apperr.New(apperr.Conflict, "Order has not expired yet")
)

// Expiry is one order's reservation window, as expiration knows it.
type Expiry struct {
	orderID     string
	reservation int
	expiresAt   time.Time
	state       State
}

// ValidOrderID reports whether id can be an order's: 1 to MaxOrderIDLen
// ASCII letters, digits, hyphens and underscores, so that it names a task
// and a document as it is.
func ValidOrderID(id string) bool {
	if id == "" || len(id) > MaxOrderIDLen {
		return false
	}
	for _, c := range []byte(id) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}

// CheckOrderID refuses an order id that is missing (ErrNoOrderID) or not
// valid (ErrInvalidOrderID).
func CheckOrderID(id string) error {
	switch {
	case id == "":
		return ErrNoOrderID
	case !ValidOrderID(id):
		return ErrInvalidOrderID
	}
	return nil
}

// New returns the Scheduled expiry of an order created with the ticket's
// reservation counter at reservation and a window ending at expiresAt.
func New(orderID string, reservation int, expiresAt time.Time) (*Expiry, error) {
	if !ValidOrderID(orderID) {
		return nil, fmt.Errorf("%w: %q", ErrInvalidOrderID, orderID)
	}
	if reservation < 0 {
		return nil, fmt.Errorf("expiry.New %s: negative reservation %d", orderID, reservation)
	}
	if expiresAt.IsZero() {
		return nil, errors.New("expiry.New " + orderID + ": no expiresAt")
	}
	return &Expiry{orderID: orderID, reservation: reservation, expiresAt: expiresAt.UTC(), state: Scheduled}, nil
}

// NewClosed returns the expiry of an order closed before its creation
// arrived: it has no task and will never expire.
func NewClosed(orderID string) (*Expiry, error) {
	if !ValidOrderID(orderID) {
		return nil, fmt.Errorf("%w: %q", ErrInvalidOrderID, orderID)
	}
	return &Expiry{orderID: orderID, state: Closed}, nil
}

// OrderID is the order's id.
func (e *Expiry) OrderID() string { return e.orderID }

// Reservation is the ticket's reservation counter the order was created with.
func (e *Expiry) Reservation() int { return e.reservation }

// ExpiresAt is when the window ends; zero for an order closed before its
// creation arrived.
func (e *Expiry) ExpiresAt() time.Time { return e.expiresAt }

// State is where the expiry stands.
func (e *Expiry) State() State { return e.state }

// TaskName names the order's task: "expire-<orderId>-<reservation>", unique
// to one order's one reservation, since a scheduler may refuse to reuse a
// name for a while after its task ran or was cancelled.
func (e *Expiry) TaskName() string {
	return "expire-" + e.orderID + "-" + strconv.Itoa(e.reservation)
}

// Close records that the order was cancelled or completed, and reports
// whether its task must be cancelled: only when it was Scheduled. A Closed
// or Expired expiry is left as it is.
func (e *Expiry) Close() bool {
	if e.state != Scheduled {
		return false
	}
	e.state = Closed
	return true
}

// Expire records, at now, that the order's task fired, and reports whether
// the order expires now: only when it was Scheduled, so an order expires
// once, and never once closed. A task that fires before ExpiresAt is
// ErrTooEarly.
func (e *Expiry) Expire(now time.Time) (bool, error) {
	if e.state != Scheduled {
		return false, nil
	}
	if now.Before(e.expiresAt) {
		return false, fmt.Errorf("%w: order %s expires at %s", ErrTooEarly, e.orderID, e.expiresAt.Format(time.RFC3339Nano))
	}
	e.state = Expired
	return true, nil
}

// UnmarshalFromStore rebuilds an expiry the store kept. It is for the store
// only: it checks nothing.
func UnmarshalFromStore(orderID string, reservation int, expiresAt time.Time, state State) *Expiry {
	return &Expiry{orderID: orderID, reservation: reservation, expiresAt: expiresAt, state: state}
}
