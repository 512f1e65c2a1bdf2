// Package eticket holds the rules of an e-ticket: one per completed order,
// issued to the buyer with a code that proves itself (code.go), checked in
// once at the door by the ticket's issuer, and revoked when its payment is
// refunded (DESIGN §3, §5). It does no I/O.
package eticket

import (
	"fmt"
	"time"

	"github.com/buytickets/buytickets/shared/apperr"
)

// Status is where an e-ticket is in its life: Valid, then Used (checked
// in) or Revoked. Used and Revoked are final, except that a used e-ticket
// whose payment is refunded is revoked.
type Status string

// The statuses of an e-ticket.
const (
	// Valid admits its holder once.
	Valid Status = "valid"
	// Used has been checked in.
	Used Status = "used"
	// Revoked admits nobody: its payment was refunded.
	Revoked Status = "revoked"
)

// ReasonRefunded is why an e-ticket whose payment was refunded is revoked.
const ReasonRefunded = "refunded"

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
