package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"time"
)

// User is the signed-in user as GET /api/users/currentuser describes them.
type User struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	// Role is "admin" for an admin (ADMIN_EMAILS), "" for everyone else.
	Role string `json:"role,omitempty"`
}

// RoleAdmin is the role of an admin.
const RoleAdmin = "admin"

// Admin reports whether the user is an admin.
func (u User) Admin() bool { return u.Role == RoleAdmin }

// Ticket statuses (DESIGN §3).
const (
	TicketAvailable = "available"
	TicketReserved  = "reserved"
	TicketSold      = "sold"
	// TicketWithdrawn is a listing its seller took off sale, or a banned
	// seller's.
	TicketWithdrawn = "withdrawn"
)

// Ticket is a ticket as the tickets API answers it.
type Ticket struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Price     Price     `json:"price"`
	UserID    string    `json:"userId"`
	Status    string    `json:"status"`
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"createdAt"`
	OrderID   string    `json:"orderId,omitempty"`
	// ResaleOf is the code of the e-ticket a resale listing sells again,
	// and FaceValue what its holder paid; both are empty on a first sale.
	ResaleOf  string `json:"resaleOf,omitempty"`
	FaceValue Price  `json:"faceValue,omitempty"`
	// Event and Seat describe what the ticket admits to; nil when the
	// seller said none.
	Event *Event `json:"event,omitempty"`
	Seat  *Seat  `json:"seat,omitempty"`
}

// Event is the event a ticket admits to, as the tickets API answers it:
// its name, where and when. Venue and City may be empty.
type Event struct {
	Name     string    `json:"name"`
	Venue    string    `json:"venue,omitempty"`
	City     string    `json:"city,omitempty"`
	StartsAt time.Time `json:"startsAt"`
}

// Seat is where a ticket's holder sits; any part may be empty.
type Seat struct {
	Section string `json:"section,omitempty"`
	Row     string `json:"row,omitempty"`
	Number  string `json:"number,omitempty"`
}

// Resale reports whether the ticket is a resale listing of an e-ticket.
func (t Ticket) Resale() bool { return t.ResaleOf != "" }

// Live reports whether the listing still holds its e-ticket: on sale, or
// reserved by an order.
func (t Ticket) Live() bool { return t.Status == TicketAvailable || t.Status == TicketReserved }

// TicketPage is one page of a listing, newest first, and the cursor of the
// page after it: empty on the last page.
type TicketPage struct {
	Tickets []Ticket
	Next    string
}

// TicketInput is a ticket as a seller typed it: its title and price, and
// its event and seat when the seller gave them (nil otherwise: on an edit,
// a nil Event keeps the ticket's event). Price is text: the API reads it
// and says what is wrong with it.
type TicketInput struct {
	Title string
	Price string
	Event *EventInput
	Seat  *Seat
}

// EventInput is an event as a seller typed it. StartsAt is RFC 3339 as
// the page converted it, or the text typed when it could not: the API
// says what is wrong with it.
type EventInput struct {
	Name     string `json:"name"`
	Venue    string `json:"venue,omitempty"`
	City     string `json:"city,omitempty"`
	StartsAt string `json:"startsAt"`
}

// Search narrows and orders the tickets on sale, each parameter as the
// visitor typed it ("" for none): GET /api/tickets?q=&city=&from=&to=&
// minPrice=&maxPrice=&sort=. The API says what is wrong with each.
type Search struct {
	Q, City, From, To, MinPrice, MaxPrice, Sort string
}

// Values are the search's parameters that are set, by their API names.
func (s Search) Values() url.Values {
	q := url.Values{}
	for _, p := range []struct{ name, value string }{
		{"q", s.Q}, {"city", s.City}, {"from", s.From}, {"to", s.To},
		{"minPrice", s.MinPrice}, {"maxPrice", s.MaxPrice}, {"sort", s.Sort},
	} {
		if p.value != "" {
			q.Set(p.name, p.value)
		}
	}
	return q
}

// Order statuses and cancel reasons (DESIGN §3).
const (
	OrderCreated   = "created"
	OrderComplete  = "complete"
	OrderCancelled = "cancelled"

	ReasonBuyer   = "buyer"
	ReasonExpired = "expired"
	ReasonBanned  = "banned"
)

// Order is an order as the orders API answers it.
type Order struct {
	ID           string      `json:"id"`
	UserID       string      `json:"userId"`
	Status       string      `json:"status"`
	ExpiresAt    time.Time   `json:"expiresAt"`
	CreatedAt    time.Time   `json:"createdAt"`
	Ticket       OrderTicket `json:"ticket"`
	Version      int         `json:"version"`
	CancelReason string      `json:"cancelReason,omitempty"`
}

// OrderTicket is the ticket an order embeds, as it was when ordered.
type OrderTicket struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	Price Price  `json:"price"`
	// Event and Seat are what the ticket admits to, as its listing said
	// when ordered; nil when it said none.
	Event *Event `json:"event,omitempty"`
	Seat  *Seat  `json:"seat,omitempty"`
}

// Payment is a charge the payments API made for an order.
type Payment struct {
	ID       string `json:"id"`
	OrderID  string `json:"orderId"`
	StripeID string `json:"stripeId"`
}

// Intent is a Stripe PaymentIntent for Stripe.js: its client secret and
// the publishable key to confirm it with.
type Intent struct {
	ClientSecret   string `json:"clientSecret"`
	PublishableKey string `json:"publishableKey"`
}

// Price is an amount in whole cents. The API writes prices as a JSON
// number of dollars with at most 2 decimals.
type Price int64

// Cents returns p in cents.
func (p Price) Cents() int64 { return int64(p) }

// Dollars returns p in dollars with two decimals and no separators, such
// as "1250.00", as a seller would type it.
func (p Price) Dollars() string {
	n := int64(p)
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	return fmt.Sprintf("%s%d.%02d", sign, n/100, n%100)
}

// UnmarshalJSON reads a price in dollars from a JSON number.
func (p *Price) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("api.Price: %w", err)
	}
	// Prices are at most 1,000,000.00: a float64 holds every cent of them
	// exactly enough that rounding recovers it.
	f, err := strconv.ParseFloat(n.String(), 64)
	if err != nil || math.IsInf(f, 0) || math.Abs(f) > 1e13 {
		return fmt.Errorf("api.Price: %q is not a price", n)
	}
	*p = Price(math.Round(f * 100))
	return nil
}

// MarshalJSON writes p as a JSON number of dollars.
func (p Price) MarshalJSON() ([]byte, error) {
	return []byte(p.Dollars()), nil
}

// E-ticket statuses (DESIGN §3).
const (
	ETicketValid   = "valid"
	ETicketUsed    = "used"
	ETicketRevoked = "revoked"
	// ETicketListed is an e-ticket on sale again: it admits nobody until
	// its resale listing is withdrawn.
	ETicketListed = "listed"
)

// ETicket is an e-ticket as the etickets API answers it: the code its QR
// symbol holds, the order it was issued for, and whether it still admits
// its holder.
type ETicket struct {
	Code        string     `json:"code"`
	OrderID     string     `json:"orderId"`
	TicketID    string     `json:"ticketId"`
	Title       string     `json:"title"`
	Status      string     `json:"status"`
	IssuedAt    time.Time  `json:"issuedAt"`
	CheckedInAt *time.Time `json:"checkedInAt,omitempty"`
	// Event and Seat are what it admits to; nil when its listing said
	// none.
	Event *Event `json:"event,omitempty"`
	Seat  *Seat  `json:"seat,omitempty"`
}

// ETicketPage is one page of the user's e-tickets, newest first, and the
// cursor of the page after it: empty on the last page.
type ETicketPage struct {
	ETickets []ETicket
	Next     string
}

// CheckIn is an e-ticket checked in at the door.
type CheckIn struct {
	Code        string    `json:"code"`
	CheckedInAt time.Time `json:"checkedInAt"`
}

// ConnectedAccount is a seller's Stripe connected account, as payouts knows it.
type ConnectedAccount struct {
	AccountID      string `json:"accountId"`
	PayoutsEnabled bool   `json:"payoutsEnabled"`
}

// Payout statuses and the reasons a pending payout waits (DESIGN §3).
const (
	PayoutPending   = "pending"
	PayoutPaid      = "paid"
	PayoutCancelled = "cancelled"
	PayoutReversed  = "reversed"

	AwaitingOnboarding = "awaiting_onboarding"
	AwaitingPayment    = "awaiting_payment"
	TransferRefused    = "transfer_refused"
)

// Payout is what a sale owes its seller: Amount is what the seller
// receives and Fee the platform's share, both in cents, as payouts
// answers them.
type Payout struct {
	ID         string    `json:"id"`
	OrderID    string    `json:"orderId"`
	Amount     int64     `json:"amount"`
	Fee        int64     `json:"fee"`
	Currency   string    `json:"currency"`
	Status     string    `json:"status"`
	ReleaseAt  time.Time `json:"releaseAt"`
	TransferID string    `json:"transferId,omitempty"`
	Reason     string    `json:"reason,omitempty"`
}
