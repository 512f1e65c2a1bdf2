package ticket

import (
	"fmt"
	"strings"
	"time"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/shared/apperr"
)

// ETicket is tickets' replica of one e-ticket, learned from etickets'
// events (eticket.issued, eticket.revoked, eticket.checkedin) in any
// order: what a resale listing of its code is checked against. The events
// only ever add to it (a holder, a revocation, a check-in), so they apply
// in any order and any number of times. Listing is the last resale
// listing made of it, which holds it unless it was withdrawn.
type ETicket struct {
	Code      string
	HolderID  string // "" until its eticket.issued arrives
	IssuerID  string
	OrderID   string
	Title     string
	FaceValue Price
	Revoked   bool
	CheckedIn bool
	Listing   string // the id of its last resale listing, "" for none
	// TicketID is the listing it was issued for; Event and Seat are what
	// that listing said it admits to, which a resale says again.
	TicketID string
	Event    Event
	Seat     Seat
}

// Issued records what eticket.issued says of e: its holder, issuer, order,
// the listing it was issued for, title and face value.
func (e *ETicket) Issued(holderID, issuerID, orderID, ticketID, title string, faceValue Price) {
	e.HolderID, e.IssuerID, e.OrderID, e.TicketID, e.Title, e.FaceValue = holderID, issuerID, orderID, ticketID, title, faceValue
}

// The refusals of a resale listing (POST /api/tickets with resaleOf).
var (
	// ErrNotHeld refuses a code the caller holds no e-ticket of: one that
	// is no code, another's, or one tickets has not heard of yet. They are
	// answered alike, so that a code's existence does not leak.
	ErrNotHeld = apperr.Field("resaleOf", "You hold no e-ticket with this code")
	// ErrETicketRevoked refuses to resell a revoked e-ticket.
	ErrETicketRevoked = apperr.New(apperr.Invalid, "This e-ticket has been revoked")
	// ErrETicketUsed refuses to resell an e-ticket checked in already.
	ErrETicketUsed = apperr.New(apperr.Invalid, "This e-ticket has already been used")
	// ErrAlreadyListed refuses a second listing of an e-ticket while
	// another one holds it (on sale, reserved or sold).
	ErrAlreadyListed = apperr.New(apperr.Invalid, "This e-ticket is already listed for resale")
	// ErrAboveFaceValue is a resale price over the e-ticket's face value;
	// AboveFaceValue's errors match it and say the face value.
	ErrAboveFaceValue = apperr.Field("price", "Resale price cannot exceed face value")
	// ErrResaleTitle refuses a title on a resale listing other than its
	// e-ticket's.
	ErrResaleTitle = apperr.Field("title", "A resale listing keeps the title of its e-ticket")
)

// AboveFaceValue is the refusal of a resale price over faceValue, naming
// it: "Resale price cannot exceed face value ($20.50)". It matches
// ErrAboveFaceValue.
func AboveFaceValue(faceValue Price) error {
	e := ErrAboveFaceValue.With(nil)
	e.Message = fmt.Sprintf("%s ($%d.%02d)", ErrAboveFaceValue.Message, faceValue/100, faceValue%100)
	return e
}

// Resale is what a seller writes to sell an e-ticket again: its code and
// a price.
type Resale struct {
	Code  string
	Price Price
}

// maxCodeLen bounds a code as a client may write it (etickets' codes are
// 124 characters, more with the spaces and hyphens a person may type).
const maxCodeLen = 400

// ParseResale checks what a reseller wrote: code, the e-ticket's code,
// written as etickets writes it once spaces and hyphens are dropped and
// letters put in upper case (etickets reads codes so); price as
// ParseDetails reads it; and no title, which comes from the e-ticket. It
// reports every failed field at once as apperr.Fields.
func ParseResale(code, title, price string) (Resale, error) {
	var fields apperr.Fields
	c := eventing.CanonicalCode(code)
	if c == "" || len(code) > maxCodeLen || strings.IndexFunc(c, notCodeChar) >= 0 {
		fields = append(fields, ErrNotHeld)
	}
	if strings.TrimSpace(title) != "" {
		fields = append(fields, ErrResaleTitle)
	}
	p, err := parsePrice(price)
	if err != nil {
		fields = append(fields, err)
	}
	if err := fields.Err(); err != nil {
		return Resale{}, err
	}
	return Resale{Code: c, Price: p}, nil
}

// notCodeChar reports a character no code holds: codes are base32, A–Z and 2–7.
func notCodeChar(r rune) bool { return (r < 'A' || r > 'Z') && (r < '2' || r > '7') }

// Resell returns the resale listing of e that userID asks for with r:
// a new Available ticket sold by userID, at r's price, with e's title, face
// value and code, created at now. live reports whether e's last listing
// (e.Listing) still holds it. It refuses with ErrNotHeld unless userID
// holds e, with ErrETicketRevoked or ErrETicketUsed when e no longer
// admits anyone, with ErrAlreadyListed while another listing holds it,
// and with AboveFaceValue's error when r's price is over e's face value.
func (e ETicket) Resell(userID string, r Resale, live bool, now time.Time) (Ticket, error) {
	switch {
	case userID == "" || e.HolderID != userID:
		return Ticket{}, ErrNotHeld
	case e.Revoked:
		return Ticket{}, ErrETicketRevoked
	case e.CheckedIn:
		return Ticket{}, ErrETicketUsed
	case e.Listing != "" && live:
		return Ticket{}, ErrAlreadyListed
	case e.Event.StartedAt(now):
		return Ticket{}, ErrEventStarted
	case r.Price > e.FaceValue:
		return Ticket{}, AboveFaceValue(e.FaceValue)
	}
	t := New(userID, Details{Title: e.Title, Price: r.Price, Event: &e.Event, Seat: &e.Seat}, now)
	t.faceValue, t.resaleOf = e.FaceValue, e.Code
	return t, nil
}
