// Package eticket holds the rules of an e-ticket: one per completed order,
// issued to the buyer with a code that proves itself (code.go), checked in
// once at the door by the ticket's issuer, revoked when its payment is
// refunded, and, resold at face value, listed while on sale and then
// revoked for a new one the buyer holds (DESIGN §3, §5). It does no I/O.
package eticket

import (
	"fmt"
	"time"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/shared/apperr"
)

// Status is where an e-ticket is in its life: Valid, then Used (checked
// in) or Revoked; Listed while a resale listing of it holds it, and Valid
// again when that listing is withdrawn. Used and Revoked are final, except
// that a used e-ticket whose payment is refunded is revoked.
type Status string

// The statuses of an e-ticket.
const (
	// Valid admits its holder once.
	Valid Status = "valid"
	// Used has been checked in.
	Used Status = "used"
	// Revoked admits nobody: its payment was refunded, or it was resold.
	Revoked Status = "revoked"
	// Listed is on sale again (a resale listing holds it): it cannot be
	// checked in until the listing is withdrawn.
	Listed Status = "listed"
)

// The reasons an e-ticket is revoked.
const (
	// ReasonRefunded is why an e-ticket whose payment was refunded is revoked.
	ReasonRefunded = "refunded"
	// ReasonResold is why an e-ticket resold is revoked: its buyer holds a
	// new one.
	ReasonResold = "resold"
)

// The refusals of the e-ticket rules.
var (
	// ErrNotFound is an e-ticket that does not exist, or one the caller may
	// not see: the same answer, so a code's existence does not leak.
	ErrNotFound = apperr.New(apperr.NotFound, "E-ticket not found")
	// ErrNotIssuer refuses a check-in by anyone but the ticket's issuer.
	ErrNotIssuer = apperr.New(apperr.Unauthorized, "Not authorized")
	// ErrAlreadyCheckedIn is an e-ticket checked in before; CheckIn's error
	// names when.
	ErrAlreadyCheckedIn = apperr.New(apperr.Conflict, "Already checked in")
	// ErrRevoked refuses to check in a revoked e-ticket.
	ErrRevoked = apperr.New(apperr.Invalid, "This e-ticket has been revoked")
	// ErrListed refuses to check in an e-ticket listed for resale.
	ErrListed = apperr.New(apperr.Invalid, "This e-ticket is listed for resale")
	// ErrUnknownResale is an event about the resale of an e-ticket this
	// function never issued: no retry can make it appear (tickets lists
	// only e-tickets it heard were issued), so it is refused for the
	// dead-letter sink.
	ErrUnknownResale = apperr.New(apperr.Invalid, "Resale of an unknown e-ticket")
	// ErrIncomplete refuses to issue an e-ticket for a sale that does not
	// say what was sold to whom.
	ErrIncomplete = apperr.New(apperr.Invalid, "A sale names its order, ticket, buyer and seller")
)

// Sale is the completed order an e-ticket is issued for.
type Sale struct {
	OrderID  string
	TicketID string
	// HolderID is the buyer; IssuerID the ticket's seller.
	HolderID string
	IssuerID string
	Title    string
	// FaceValue is what the holder paid, in cents.
	FaceValue int64
	// Event and Seat are what it admits to, as the order said; zero when
	// its listing said nothing.
	Event eventing.TicketEvent
	Seat  eventing.TicketSeat
}

// ETicket is the e-ticket of one completed order. Its fields change only
// through its methods.
type ETicket struct {
	code         string
	sale         Sale
	status       Status
	issuedAt     time.Time
	checkedInAt  time.Time
	revokedAt    time.Time
	revokeReason string
}

// Issue returns the valid e-ticket with code for sale, issued at now.
func Issue(code string, sale Sale, now time.Time) (*ETicket, error) {
	if code == "" || sale.OrderID == "" || sale.TicketID == "" || sale.HolderID == "" || sale.IssuerID == "" {
		return nil, ErrIncomplete.With(fmt.Errorf("sale %+v", sale))
	}
	return &ETicket{code: code, sale: sale, status: Valid, issuedAt: now.UTC()}, nil
}

// Code returns the e-ticket's code.
func (e *ETicket) Code() string { return e.code }

// Sale returns what the e-ticket was issued for.
func (e *ETicket) Sale() Sale { return e.sale }

// Status returns the e-ticket's status.
func (e *ETicket) Status() Status { return e.status }

// IssuedAt returns when the e-ticket was issued.
func (e *ETicket) IssuedAt() time.Time { return e.issuedAt }

// CheckedInAt returns when the e-ticket was checked in, the zero time
// unless it was.
func (e *ETicket) CheckedInAt() time.Time { return e.checkedInAt }

// RevokedAt returns when the e-ticket was revoked and why; the zero time
// and "" unless it was.
func (e *ETicket) RevokedAt() (time.Time, string) { return e.revokedAt, e.revokeReason }

// CanSee reports whether userID may see the e-ticket: its holder or its
// issuer.
func (e *ETicket) CanSee(userID string) bool {
	return userID != "" && (userID == e.sale.HolderID || userID == e.sale.IssuerID)
}

// CheckIn marks a valid e-ticket used at now, for the issuer userID. It
// returns ErrNotIssuer for anyone else, ErrRevoked for a revoked e-ticket,
// and for a used one an error that matches ErrAlreadyCheckedIn and says
// when; none of them changes the e-ticket.
func (e *ETicket) CheckIn(userID string, now time.Time) error {
	if userID == "" || userID != e.sale.IssuerID {
		return ErrNotIssuer
	}
	switch e.status {
	case Revoked:
		return ErrRevoked
	case Listed:
		return ErrListed
	case Used:
		at := e.checkedInAt.Format(time.RFC3339)
		return apperr.Wrap(apperr.Conflict, "Already checked in at "+at, ErrAlreadyCheckedIn)
	}
	e.status, e.checkedInAt = Used, now.UTC()
	return nil
}

// Revoke revokes the e-ticket for reason at now and reports whether that
// changed it: revoking a revoked e-ticket changes nothing.
func (e *ETicket) Revoke(reason string, now time.Time) bool {
	if e.status == Revoked {
		return false
	}
	e.status, e.revokedAt, e.revokeReason = Revoked, now.UTC(), reason
	return true
}

// Listing is what the tickets function said last of one resale listing of
// an e-ticket: at which version, and whether it was withdrawn.
type Listing struct {
	TicketID  string
	Version   int
	Withdrawn bool
}

// Newer reports whether l is news on top of held, what was heard before of
// the same listing (ok is false when nothing was): a later version.
func (l Listing) Newer(held Listing, ok bool) bool { return !ok || l.Version > held.Version }

// Relist applies what is known of the e-ticket's resale listings, in any
// order: it is Listed while any of them is not withdrawn, and Valid again
// once all are. A used or revoked e-ticket stays as it is (a resale that
// completes revokes it). It reports whether that changed the e-ticket.
func (e *ETicket) Relist(listings []Listing) bool {
	live := false
	for _, l := range listings {
		live = live || !l.Withdrawn
	}
	switch {
	case e.status == Valid && live:
		e.status = Listed
	case e.status == Listed && !live:
		e.status = Valid
	default:
		return false
	}
	return true
}

// Resale returns sale, the completed order of a resale listing of e, as
// its new e-ticket is issued: to the buyer, with the check-in right left
// with e's issuer, who organises the event.
func (e *ETicket) Resale(sale Sale) Sale {
	sale.IssuerID = e.sale.IssuerID
	return sale
}

// Stored is an e-ticket as the store keeps it.
type Stored struct {
	Code         string
	Sale         Sale
	Status       Status
	IssuedAt     time.Time
	CheckedInAt  time.Time
	RevokedAt    time.Time
	RevokeReason string
}

// State returns the e-ticket as the store keeps it.
func (e *ETicket) State() Stored {
	return Stored{Code: e.code, Sale: e.sale, Status: e.status, IssuedAt: e.issuedAt,
		CheckedInAt: e.checkedInAt, RevokedAt: e.revokedAt, RevokeReason: e.revokeReason}
}

// UnmarshalFromStore rebuilds an e-ticket the store kept; only the store
// calls it.
func UnmarshalFromStore(s Stored) *ETicket {
	return &ETicket{code: s.Code, sale: s.Sale, status: s.Status, issuedAt: s.IssuedAt,
		checkedInAt: s.CheckedInAt, revokedAt: s.RevokedAt, revokeReason: s.RevokeReason}
}
