// Package ticket holds the rules of a ticket: what a valid title and price
// are, who may edit it and when, how the listing is paged, how the
// reservations that orders makes lock, unlock and sell it, and how a banned
// seller's listing is withdrawn. It does no I/O.
package ticket

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
	"unicode"

	"github.com/buytickets/buytickets/shared/apperr"
)

// MaxTitleLen is the longest title accepted, in characters.
const MaxTitleLen = 200

// Status is where a ticket is in its life.
type Status string

// The statuses of DESIGN §3.
const (
	// Available is a ticket on sale: listed, editable, orderable.
	Available Status = "available"
	// Reserved is a ticket an order holds until it is paid or cancelled.
	Reserved Status = "reserved"
	// Sold is a ticket whose order was paid. It is final.
	Sold Status = "sold"
	// Withdrawn is a listing taken off sale, by its seller or because its
	// seller was banned: out of the public list, neither editable nor
	// orderable. The seller may list the ticket again (once unbanned).
	Withdrawn Status = "withdrawn"
)

// Valid reports whether s is one of the statuses.
func (s Status) Valid() bool { return s == Available || s == Reserved || s == Sold || s == Withdrawn }

// The refusals of the ticket's rules.
var (
	// ErrNotFound is a ticket that does not exist, or an id no ticket can have.
	ErrNotFound = apperr.New(apperr.NotFound, "Ticket not found")
	// ErrNotOwner refuses an edit by anyone but the seller. DESIGN §3 answers
	// it 401 "Not authorized", as it answers a missing session.
	ErrNotOwner = apperr.New(apperr.Unauthorized, "Not authorized")
	// ErrReserved refuses an edit of a ticket that is reserved or sold.
	ErrReserved = apperr.New(apperr.Invalid, "Cannot edit a reserved ticket")
	// ErrWithdrawn refuses an edit of a withdrawn ticket.
	ErrWithdrawn = apperr.New(apperr.Invalid, "Cannot edit a withdrawn ticket")
	// ErrCannotWithdraw refuses to withdraw a ticket an order holds or
	// bought.
	ErrCannotWithdraw = apperr.New(apperr.Invalid, "Cannot withdraw a reserved ticket")
)

// Ticket is a ticket for sale. Its state is its own: New makes one, and
// only Edit and the lock rules change it. Version is 0 when it is created
// and grows by one with every change a client can see: an edit, a lock, an
// unlock, a sale. OrderID is the order that holds it (Reserved) or bought
// it (Sold), and empty while it is Available.
//
// Reservation and ReservationState are tickets' memory of the reservations
// orders makes: the newest one it has heard of, by number, and what became
// of it. They let the lock rules (Lock, Unlock, Sell) take order events in
// any order and any number of times.
type Ticket struct {
	id               string
	title            string
	price            Price
	userID           string
	status           Status
	version          int
	createdAt        time.Time
	orderID          string
	reservation      Reservation
	reservationState ReservationState
	faceValue        Price
	resaleOf         string
	event            Event
	seat             Seat
}

// ID is the ticket's id.
func (t Ticket) ID() string { return t.id }

// Title is what the seller calls it.
func (t Ticket) Title() string { return t.title }

// Price is what it costs.
func (t Ticket) Price() Price { return t.price }

// UserID is the seller.
func (t Ticket) UserID() string { return t.userID }

// Status is where the ticket stands: Available, Reserved, Sold or Withdrawn.
func (t Ticket) Status() Status { return t.status }

// Version counts the changes a client sees.
func (t Ticket) Version() int { return t.version }

// CreatedAt is when it was listed.
func (t Ticket) CreatedAt() time.Time { return t.createdAt }

// OrderID is the order that holds or bought it; empty while Available.
func (t Ticket) OrderID() string { return t.orderID }

// Reservation is the newest reservation tickets has heard of.
func (t Ticket) Reservation() Reservation { return t.reservation }

// ReservationState is what became of that reservation.
func (t Ticket) ReservationState() ReservationState { return t.reservationState }

// ResaleOf is the code of the e-ticket a resale listing sells again; ""
// on any other listing.
func (t Ticket) ResaleOf() string { return t.resaleOf }

// FaceValue is what the holder of a resale listing's e-ticket paid for
// it, the most the listing may cost; 0 on any other listing.
func (t Ticket) FaceValue() Price { return t.faceValue }

// Event is what the ticket admits to; zero when its seller said nothing.
func (t Ticket) Event() Event { return t.event }

// Seat is where its holder sits; zero when its seller said nothing.
func (t Ticket) Seat() Seat { return t.seat }

// State is a ticket field by field, as the store keeps it.
type State struct {
	ID               string
	Title            string
	Price            Price
	UserID           string
	Status           Status
	Version          int
	CreatedAt        time.Time
	OrderID          string
	Reservation      Reservation
	ReservationState ReservationState
	FaceValue        Price
	ResaleOf         string
	Event            Event
	Seat             Seat
}

// State returns the ticket field by field, for the store.
func (t Ticket) State() State {
	return State{
		ID: t.id, Title: t.title, Price: t.price, UserID: t.userID, Status: t.status, Version: t.version,
		CreatedAt: t.createdAt, OrderID: t.orderID, Reservation: t.reservation, ReservationState: t.reservationState,
		FaceValue: t.faceValue, ResaleOf: t.resaleOf, Event: t.event, Seat: t.seat,
	}
}

// UnmarshalFromStore returns the ticket s describes. It is for the store's
// rehydration only: it checks no rule but that the status and the
// reservation state are ones the package knows, since what was stored kept
// the rest.
func UnmarshalFromStore(s State) (Ticket, error) {
	if !s.Status.Valid() || !s.ReservationState.Valid() {
		return Ticket{}, fmt.Errorf("ticket %s has status %q and reservation state %q", s.ID, s.Status, s.ReservationState)
	}
	return Ticket{
		id: s.ID, title: s.Title, price: s.Price, userID: s.UserID, status: s.Status, version: s.Version,
		createdAt: s.CreatedAt, orderID: s.OrderID, reservation: s.Reservation, reservationState: s.ReservationState,
		faceValue: s.FaceValue, resaleOf: s.ResaleOf, event: s.Event, seat: s.Seat,
	}, nil
}

// Details are what a seller writes: a title and a price, and what the
// ticket admits to.
type Details struct {
	Title string
	Price Price
	// Event and Seat describe the ticket; on an edit, nil keeps what it
	// said before.
	Event *Event
	Seat  *Seat
}

// New returns a new Available ticket at version 0 with a fresh id, sold by
// userID with details d, created at now in UTC to the millisecond, the
// precision the store keeps (DESIGN §6).
func New(userID string, d Details, now time.Time) Ticket {
	return Ticket{
		id:        NewID(),
		title:     d.Title,
		price:     d.Price,
		userID:    userID,
		status:    Available,
		createdAt: now.UTC().Truncate(time.Millisecond),
		event:     deref(d.Event),
		seat:      deref(d.Seat),
	}
}

// deref is *p, or the zero value when p is nil.
func deref[T any](p *T) (v T) {
	if p != nil {
		v = *p
	}
	return v
}

// Edit replaces the title and price of t as userID asks at now, and its
// event and seat when d gives them, and counts the change in its version.
// It refuses with ErrNotOwner when userID is not the seller, with
// ErrWithdrawn when t is Withdrawn, with ErrReserved when it is reserved or
// sold, and with ErrEventStarted once its event has begun. A resale listing keeps its e-ticket's title
// (ErrResaleTitle) and costs at most its face value (AboveFaceValue).
func (t *Ticket) Edit(userID string, d Details, now time.Time) error {
	if userID != t.userID {
		return ErrNotOwner
	}
	switch t.status {
	case Available:
	case Withdrawn:
		return ErrWithdrawn
	default:
		return ErrReserved
	}
	if t.event.StartedAt(now) {
		return ErrEventStarted
	}
	if t.resaleOf != "" {
		if d.Title != t.title {
			return ErrResaleTitle
		}
		if d.Price > t.faceValue {
			return AboveFaceValue(t.faceValue)
		}
	}
	t.title, t.price = d.Title, d.Price
	if d.Event != nil {
		t.event = *d.Event
	}
	if d.Seat != nil {
		t.seat = *d.Seat
	}
	t.version++
	return nil
}

// Withdraw takes an Available ticket off sale, because its seller was
// banned or its e-ticket can no longer be resold: it becomes Withdrawn, a
// change a client sees. A reserved or sold ticket is left as it is (an
// order holds or bought it), and so is one withdrawn already (Ignored).
func (t *Ticket) Withdraw() Outcome {
	if t.status != Available {
		return Ignored
	}
	return t.change(Withdrawn, "")
}

// WithdrawBy takes the ticket off sale as its seller userID asks
// (DELETE /api/tickets/{id}): an Available ticket becomes Withdrawn
// (Changed); one withdrawn already stays so (Ignored, so asking twice is
// answered the same). It refuses with ErrNotOwner when userID is not the
// seller and with ErrCannotWithdraw while an order holds or bought it.
func (t *Ticket) WithdrawBy(userID string) (Outcome, error) {
	if userID != t.userID {
		return Ignored, ErrNotOwner
	}
	switch t.status {
	case Available:
		return t.Withdraw(), nil
	case Withdrawn:
		return Ignored, nil
	default:
		return Ignored, ErrCannotWithdraw
	}
}

// Live reports whether the listing still holds its e-ticket, when it is a
// resale: on sale, reserved or sold, anything but withdrawn.
func (t Ticket) Live() bool { return t.status != Withdrawn }

// idLen is the length of a ticket id: 96 random bits in hex.
const idLen = 24

// NewID returns a random 96-bit id as 24 lower-case hex digits.
func NewID() string {
	var b [idLen / 2]byte
	// crypto/rand.Read never returns an error since Go 1.24.
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ValidID reports whether id has the form NewID gives: 24 lower-case hex
// digits. Anything else names no ticket.
func ValidID(id string) bool {
	if len(id) != idLen {
		return false
	}
	for _, c := range []byte(id) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// ParseDetails checks what a seller wrote: title, trimmed, of 1 to
// MaxTitleLen characters with no control characters, and price, the number
// as the client wrote it in JSON (see ParsePrice). It reports every failed
// field at once as apperr.Fields.
func ParseDetails(title, price string) (Details, error) {
	var fields apperr.Fields
	t, err := parseTitle(title)
	if err != nil {
		fields = append(fields, err)
	}
	p, err := parsePrice(price)
	if err != nil {
		fields = append(fields, err)
	}
	if err := fields.Err(); err != nil {
		return Details{}, err
	}
	return Details{Title: t, Price: p}, nil
}

// hidden reports a format character (Unicode Cf: zero-width spaces, byte
// order marks, bidirectional overrides) that would hide or disguise a
// title, but not the zero-width joiner and non-joiner, which emoji
// sequences and several scripts need.
func hidden(r rune) bool {
	return unicode.Is(unicode.Cf, r) && r != '\u200d' && r != '\u200c'
}

// visible reports a letter, digit, symbol (emoji included) or punctuation
// mark: what a buyer can read.
func visible(r rune) bool {
	return unicode.In(r, unicode.L, unicode.N, unicode.S, unicode.P)
}

func parseTitle(title string) (string, *apperr.Error) {
	return parseText("title", "Title", title, MaxTitleLen, true)
}
