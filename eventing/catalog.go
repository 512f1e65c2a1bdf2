package eventing

import (
	"crypto/rand"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
)

// The event types of DESIGN §5. Each names who emits it and who listens; its
// payload type below documents the data.
const (
	// TypeTicketCreated is a new ticket, emitted by tickets for orders' replica.
	TypeTicketCreated = "dev.buytickets.ticket.created"
	// TypeTicketUpdated is any later change of a ticket (an edit, a lock, an
	// unlock, a sale), emitted by tickets for orders' replica.
	TypeTicketUpdated = "dev.buytickets.ticket.updated"
	// TypeOrderCreated is a new order reserving a ticket, emitted by orders
	// for tickets, expiration and payments.
	TypeOrderCreated = "dev.buytickets.order.created"
	// TypeOrderCancelled is an order cancelled by its buyer or by expiry,
	// emitted by orders for tickets, expiration and payments.
	TypeOrderCancelled = "dev.buytickets.order.cancelled"
	// TypeOrderCompleted is a paid order, emitted by orders for tickets,
	// expiration, payments and etickets.
	TypeOrderCompleted = "dev.buytickets.order.completed"
	// TypeExpirationCompleted is an order's reservation window that has
	// passed, emitted by expiration for orders.
	TypeExpirationCompleted = "dev.buytickets.expiration.completed"
	// TypePaymentCreated is a successful charge for an order, emitted by
	// payments for orders and payouts, which learns the charge a seller's
	// payout is paid from.
	TypePaymentCreated = "dev.buytickets.payment.created"
	// TypePaymentRefunded is a charge given back (its order was cancelled,
	// or the charge was refunded in Stripe), emitted by payments for
	// etickets, which revokes the order's e-ticket.
	TypePaymentRefunded = "dev.buytickets.payment.refunded"
	// TypeUserRegistered is a new account, emitted by auth for
	// notifications, which keeps the user's email address.
	TypeUserRegistered = "dev.buytickets.user.registered"
	// TypeUserBanned is a user an admin banned, emitted by auth for every
	// function that takes requests: each refuses the user from then on.
	TypeUserBanned = "dev.buytickets.user.banned"
	// TypeUserUnbanned is a ban an admin lifted, emitted by auth for every
	// function that takes requests.
	TypeUserUnbanned = "dev.buytickets.user.unbanned"
	// TypeETicketIssued is the e-ticket of a completed order, emitted by
	// etickets.
	TypeETicketIssued = "dev.buytickets.eticket.issued"
	// TypeETicketCheckedIn is an e-ticket used at the door, emitted by
	// etickets.
	TypeETicketCheckedIn = "dev.buytickets.eticket.checkedin"
	// TypeETicketRevoked is an e-ticket that no longer admits anyone (its
	// payment was refunded, or it was resold), emitted by etickets.
	TypeETicketRevoked = "dev.buytickets.eticket.revoked"
	// TypePayoutReleased is a seller's share of a sale sent to their
	// Stripe connected account, emitted by payouts for notifications.
	TypePayoutReleased = "dev.buytickets.payout.released"
)

// Cents returns a price an event carries in dollars as whole cents, as
// Stripe charges it: the nearest cent (DESIGN §3 allows at most 2 decimals,
// which float64 keeps within a hair of the cent).
func Cents(dollars float64) int64 { return int64(math.Round(dollars * 100)) }

// ExtensionEntityVersion is the CloudEvents extension that carries the
// version of a versioned entity (ticket.*, order.*) after the change.
const ExtensionEntityVersion = "entityversion"

// TicketCreated is the data of TypeTicketCreated. Version is 0. A resale
// listing names the e-ticket it sells again (ResaleOf, its code) and the
// most it may cost (FaceValue, what its holder paid); both are absent on
// any other listing.
type TicketCreated struct {
	ID        string    `json:"id"`
	Version   int       `json:"version"`
	Title     string    `json:"title"`
	Price     float64   `json:"price"` // in dollars
	UserID    string    `json:"userId"`
	CreatedAt time.Time `json:"createdAt"`
	FaceValue float64   `json:"faceValue,omitempty"` // in dollars
	ResaleOf  string    `json:"resaleOf,omitempty"`
	// Event and Seat say what the ticket admits to, when its seller said.
	Event *TicketEvent `json:"event,omitempty"`
	Seat  *TicketSeat  `json:"seat,omitempty"`
}

// TicketEvent is the event a ticket admits to: its name, venue, city and
// start. A ticket for an event that has started cannot be ordered.
type TicketEvent struct {
	Name     string    `json:"name"`
	Venue    string    `json:"venue,omitempty"`
	City     string    `json:"city,omitempty"`
	StartsAt time.Time `json:"startsAt"`
}

// TicketSeat is where a ticket's holder sits; any part may be absent.
type TicketSeat struct {
	Section string `json:"section,omitempty"`
	Row     string `json:"row,omitempty"`
	Number  string `json:"number,omitempty"`
}

// CanonicalCode returns an e-ticket's code as events carry it
// (ETicketIssued.Code, TicketCreated.ResaleOf): upper case, without the
// spaces and hyphens a person may type.
func CanonicalCode(code string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == ' ' || r == '-' || r == '\t' || r == '\n' || r == '\r':
			return -1
		case 'a' <= r && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, code)
}

// TicketAdmission is what a ticket admits to (its TicketEvent and
// TicketSeat) as the functions that keep it store it: a document embeds it
// inline, so its fields lie beside the document's own, each left out when
// empty.
type TicketAdmission struct {
	EventName   string    `store:"eventName,omitempty"`
	Venue       string    `store:"venue,omitempty"`
	City        string    `store:"city,omitempty"`
	StartsAt    time.Time `store:"startsAt,omitempty"`
	SeatSection string    `store:"seatSection,omitempty"`
	SeatRow     string    `store:"seatRow,omitempty"`
	SeatNumber  string    `store:"seatNumber,omitempty"`
}

// AdmissionOf returns the TicketAdmission of event and seat.
func AdmissionOf(event TicketEvent, seat TicketSeat) TicketAdmission {
	return TicketAdmission{
		EventName: event.Name, Venue: event.Venue, City: event.City, StartsAt: event.StartsAt,
		SeatSection: seat.Section, SeatRow: seat.Row, SeatNumber: seat.Number,
	}
}

// Event returns the event a stores.
func (a TicketAdmission) Event() TicketEvent {
	return TicketEvent{Name: a.EventName, Venue: a.Venue, City: a.City, StartsAt: a.StartsAt}
}

// Seat returns the seat a stores.
func (a TicketAdmission) Seat() TicketSeat {
	return TicketSeat{Section: a.SeatSection, Row: a.SeatRow, Number: a.SeatNumber}
}

// TicketUpdated is the data of TypeTicketUpdated: the ticket as it is after
// the change. Status is "available", "reserved", "sold" or "withdrawn" (a
// listing its seller took off sale, or a banned seller's, no longer for
// sale). FaceValue and ResaleOf are TicketCreated's, on a resale listing.
type TicketUpdated struct {
	ID        string  `json:"id"`
	Version   int     `json:"version"`
	Title     string  `json:"title"`
	Price     float64 `json:"price"` // in dollars
	UserID    string  `json:"userId"`
	Status    string  `json:"status"`
	FaceValue float64 `json:"faceValue,omitempty"` // in dollars
	ResaleOf  string  `json:"resaleOf,omitempty"`
	// Event and Seat are TicketCreated's, as the ticket has them now.
	Event *TicketEvent `json:"event,omitempty"`
	Seat  *TicketSeat  `json:"seat,omitempty"`
}

// OrderCreated is the data of TypeOrderCreated. Version is 0 and Status
// "created"; the ticket is held until ExpiresAt.
type OrderCreated struct {
	ID        string             `json:"id"`
	Version   int                `json:"version"`
	Status    string             `json:"status"`
	UserID    string             `json:"userId"`
	ExpiresAt time.Time          `json:"expiresAt"`
	Ticket    OrderCreatedTicket `json:"ticket"`
}

// OrderCreatedTicket is the ticket an order reserves. Reservation is the
// ticket's reservation counter in orders, one more for every new reservation:
// tickets locks the ticket only for a reservation newer than the one it holds.
type OrderCreatedTicket struct {
	ID          string  `json:"id"`
	Price       float64 `json:"price"` // in dollars, as the buyer saw it
	Reservation int     `json:"reservation"`
}

// OrderCancelled is the data of TypeOrderCancelled. Reason is "buyer",
// "expired" or "banned" (the buyer was banned).
type OrderCancelled struct {
	ID      string               `json:"id"`
	Version int                  `json:"version"`
	Reason  string               `json:"reason"`
	Ticket  OrderCancelledTicket `json:"ticket"`
}

// OrderCancelledTicket is the ticket a cancelled order held: tickets unlocks
// it only if it still holds this reservation.
type OrderCancelledTicket struct {
	ID          string `json:"id"`
	Reservation int    `json:"reservation"`
}

// OrderCompleted is the data of TypeOrderCompleted: the order is paid and
// its ticket sold. It carries the buyer's email and the seller's id, so
// etickets and notifications need no replica of users or tickets for them;
// both are empty on an order placed before orders recorded them.
type OrderCompleted struct {
	ID         string               `json:"id"`
	Version    int                  `json:"version"`
	UserID     string               `json:"userId"`
	BuyerEmail string               `json:"buyerEmail"`
	SellerID   string               `json:"sellerId"`
	Ticket     OrderCompletedTicket `json:"ticket"`
}

// OrderCompletedTicket is the ticket a completed order bought, at the title
// and price the order was created with. ResaleOf is the code of the
// e-ticket a resale listing sold again: etickets revokes it and issues the
// buyer a new one.
type OrderCompletedTicket struct {
	ID          string  `json:"id"`
	Title       string  `json:"title"`
	Price       float64 `json:"price"` // in dollars
	Reservation int     `json:"reservation"`
	ResaleOf    string  `json:"resaleOf,omitempty"`
	// Event and Seat are what the ticket admits to, as its listing said
	// when the order was created; absent when it said nothing.
	Event *TicketEvent `json:"event,omitempty"`
	Seat  *TicketSeat  `json:"seat,omitempty"`
}

// ExpirationCompleted is the data of TypeExpirationCompleted: orders cancels
// the order (reason "expired") if it is still "created".
type ExpirationCompleted struct {
	OrderID string `json:"orderId"`
}

// PaymentCreated is the data of TypePaymentCreated.
type PaymentCreated struct {
	ID       string `json:"id"`
	OrderID  string `json:"orderId"`
	StripeID string `json:"stripeId"`
	Amount   int64  `json:"amount"`   // in cents
	Currency string `json:"currency"` // "usd"
}

// PaymentRefunded is the data of TypePaymentRefunded.
type PaymentRefunded struct {
	ID       string `json:"id"`
	OrderID  string `json:"orderId"`
	StripeID string `json:"stripeId"`
	Amount   int64  `json:"amount"`   // in cents
	Currency string `json:"currency"` // "usd"
	Reason   string `json:"reason"`
}

// UserRegistered is the data of TypeUserRegistered.
type UserRegistered struct {
	ID    string `json:"id"`
	Email string `json:"email"`
}

// UserBanned is the data of TypeUserBanned: the user's sessions are refused
// until Until, or for good when Until is zero (absent on the wire).
type UserBanned struct {
	UserID string     `json:"userId"`
	Until  *time.Time `json:"until,omitempty"`
}

// UserUnbanned is the data of TypeUserUnbanned.
type UserUnbanned struct {
	UserID string `json:"userId"`
}

// ETicketIssued is the data of TypeETicketIssued: the e-ticket Code admits
// the holder (the buyer) to the ticket IssuerID (its seller) listed.
// FaceValue is what the holder paid, in cents.
type ETicketIssued struct {
	Code      string `json:"code"`
	OrderID   string `json:"orderId"`
	TicketID  string `json:"ticketId"`
	HolderID  string `json:"holderId"`
	IssuerID  string `json:"issuerId"`
	Title     string `json:"title"`
	FaceValue int64  `json:"faceValue"` // in cents
	// Event and Seat are what the e-ticket admits to, as order.completed
	// said; absent when its listing said nothing.
	Event *TicketEvent `json:"event,omitempty"`
	Seat  *TicketSeat  `json:"seat,omitempty"`
}

// ETicketCheckedIn is the data of TypeETicketCheckedIn.
type ETicketCheckedIn struct {
	Code        string    `json:"code"`
	OrderID     string    `json:"orderId"`
	CheckedInAt time.Time `json:"checkedInAt"`
}

// ETicketRevoked is the data of TypeETicketRevoked. Reason is "refunded"
// (its payment was given back) or "resold" (its holder sold it again, and
// the buyer holds a new e-ticket).
type ETicketRevoked struct {
	Code    string `json:"code"`
	OrderID string `json:"orderId"`
	Reason  string `json:"reason"`
}

// PayoutReleased is the data of TypePayoutReleased: the seller SellerID
// was sent Amount cents of the sale of order OrderID (its price less the
// platform's Fee, in cents) by the Stripe transfer TransferID.
type PayoutReleased struct {
	ID         string `json:"id"`
	OrderID    string `json:"orderId"`
	SellerID   string `json:"sellerId"`
	Amount     int64  `json:"amount"` // in cents
	Fee        int64  `json:"fee"`    // in cents
	TransferID string `json:"transferId"`
}

// NewTicketCreated returns the ticket.created event of p, from tickets.
func NewTicketCreated(p TicketCreated) (event.Event, error) {
	p.CreatedAt = p.CreatedAt.UTC()
	return newEvent(TypeTicketCreated, p.ID, &p.Version, p)
}

// NewTicketUpdated returns the ticket.updated event of p, from tickets.
func NewTicketUpdated(p TicketUpdated) (event.Event, error) {
	return newEvent(TypeTicketUpdated, p.ID, &p.Version, p)
}

// NewOrderCreated returns the order.created event of p, from orders.
func NewOrderCreated(p OrderCreated) (event.Event, error) {
	p.ExpiresAt = p.ExpiresAt.UTC()
	return newEvent(TypeOrderCreated, p.ID, &p.Version, p)
}

// NewOrderCancelled returns the order.cancelled event of p, from orders.
func NewOrderCancelled(p OrderCancelled) (event.Event, error) {
	return newEvent(TypeOrderCancelled, p.ID, &p.Version, p)
}

// NewOrderCompleted returns the order.completed event of p, from orders.
func NewOrderCompleted(p OrderCompleted) (event.Event, error) {
	return newEvent(TypeOrderCompleted, p.ID, &p.Version, p)
}

// NewExpirationCompleted returns the expiration.completed event of p, from
// expiration; its subject is the order.
func NewExpirationCompleted(p ExpirationCompleted) (event.Event, error) {
	return newEvent(TypeExpirationCompleted, p.OrderID, nil, p)
}

// NewPaymentCreated returns the payment.created event of p, from payments;
// its subject is the payment.
func NewPaymentCreated(p PaymentCreated) (event.Event, error) {
	return newEvent(TypePaymentCreated, p.ID, nil, p)
}

// NewPaymentRefunded returns the payment.refunded event of p, from payments;
// its subject is the payment.
func NewPaymentRefunded(p PaymentRefunded) (event.Event, error) {
	return newEvent(TypePaymentRefunded, p.ID, nil, p)
}

// NewUserRegistered returns the user.registered event of p, from auth; its
// subject is the user.
func NewUserRegistered(p UserRegistered) (event.Event, error) {
	return newEvent(TypeUserRegistered, p.ID, nil, p)
}

// NewUserBanned returns the user.banned event of p, from auth; its subject is
// the user.
func NewUserBanned(p UserBanned) (event.Event, error) {
	if p.Until != nil {
		until := p.Until.UTC()
		p.Until = &until
	}
	return newEvent(TypeUserBanned, p.UserID, nil, p)
}

// NewUserUnbanned returns the user.unbanned event of p, from auth; its
// subject is the user.
func NewUserUnbanned(p UserUnbanned) (event.Event, error) {
	return newEvent(TypeUserUnbanned, p.UserID, nil, p)
}

// NewETicketIssued returns the eticket.issued event of p, from etickets;
// its subject is the order, which has one e-ticket.
func NewETicketIssued(p ETicketIssued) (event.Event, error) {
	return newEvent(TypeETicketIssued, p.OrderID, nil, p)
}

// NewETicketCheckedIn returns the eticket.checkedin event of p, from
// etickets; its subject is the order.
func NewETicketCheckedIn(p ETicketCheckedIn) (event.Event, error) {
	p.CheckedInAt = p.CheckedInAt.UTC()
	return newEvent(TypeETicketCheckedIn, p.OrderID, nil, p)
}

// NewETicketRevoked returns the eticket.revoked event of p, from etickets;
// its subject is the order.
func NewETicketRevoked(p ETicketRevoked) (event.Event, error) {
	return newEvent(TypeETicketRevoked, p.OrderID, nil, p)
}

// NewPayoutReleased returns the payout.released event of p, from payouts;
// its subject is the payout.
func NewPayoutReleased(p PayoutReleased) (event.Event, error) {
	return newEvent(TypePayoutReleased, p.ID, nil, p)
}

// newEvent returns an event of type typ from its producer about subject,
// with data as JSON, a new unique id (one that is also a valid store document id,
// since the outbox keys its documents by it) and, for a versioned entity,
// the entityversion extension.
func newEvent(typ, subject string, version *int, data any) (event.Event, error) {
	function, ok := ProducerOf(typ)
	if !ok {
		return event.Event{}, fmt.Errorf("eventing: %s has no producer", typ)
	}
	ev := event.New(event.CloudEventsVersionV1)
	ev.SetID(rand.Text())
	ev.SetType(typ)
	ev.SetSource(Source(function))
	ev.SetSubject(subject)
	ev.SetTime(time.Now())
	if version != nil {
		ev.SetExtension(ExtensionEntityVersion, *version)
	}
	if err := ev.SetData(event.ApplicationJSON, data); err != nil {
		return event.Event{}, fmt.Errorf("eventing: %s data: %w", typ, err)
	}
	if err := ev.Validate(); err != nil {
		return event.Event{}, fmt.Errorf("eventing: %s: %w", typ, err)
	}
	return ev, nil
}
