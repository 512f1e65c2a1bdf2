// Package payout holds the rules of paying sellers: what a seller is owed
// for a sale (the price less the platform's fee), when it falls due, and
// how a release, a refund and a reversal change it. It does no I/O.
//
// Everything payouts knows about one order is a Ledger: the payout of its
// sale (once order.completed arrived), the charge the buyer paid with
// (payment.created) and the charges given back (payment.refunded), in
// whichever order those events arrive.
package payout

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/buytickets/buytickets/shared/apperr"
)

// Cents is an amount of money in whole cents of Currency.
type Cents int64

// Currency is the currency of every sale and payout.
const Currency = "usd"

// Status is where a payout stands (DESIGN §3 names pending, paid and
// reversed; cancelled is a payout whose sale was refunded before any money
// moved).
type Status string

// The statuses of a payout.
const (
	// Pending is owed and not yet sent.
	Pending Status = "pending"
	// Paid is sent to the seller's connected account.
	Paid Status = "paid"
	// Cancelled is never to be sent: the sale was refunded first.
	Cancelled Status = "cancelled"
	// Reversed was sent, and taken back when the sale was refunded.
	Reversed Status = "reversed"
)

// The reasons a pending payout waits past its release time.
const (
	// AwaitingOnboarding: the seller has no connected account with payouts
	// enabled yet.
	AwaitingOnboarding = "awaiting_onboarding"
	// AwaitingPayment: the charge the sale was paid with is not known yet.
	AwaitingPayment = "awaiting_payment"
	// TransferRefused: Stripe refused the last transfer; it is tried again
	// after RetryRefusedAfter, under a new idempotency key.
	TransferRefused = "transfer_refused"
)

// RetryRefusedAfter is how long a payout whose transfer Stripe refused
// waits before the next attempt.
const RetryRefusedAfter = time.Hour

// ErrNotFound is a payout or account that does not exist, or is someone
// else's.
var ErrNotFound = apperr.New(apperr.NotFound, "Not found")

// Split returns what the seller receives of a sale at price and the
// platform's fee, feePercent per cent of the price. The fee is rounded
// down to the cent, so any fraction of a cent goes to the seller: amount +
// fee is always the price, and the seller never gets less than
// (100-feePercent)% of it. A fee of 10% on 0.55 is 5 cents (not 5.5), the
// seller gets 50.
func Split(price Cents, feePercent int) (amount, fee Cents) {
	fee = price * Cents(feePercent) / 100 // integer division rounds down for price >= 0
	return price - fee, fee
}

// Sale is a completed order as payouts learns it from order.completed.
type Sale struct {
	OrderID  string
	SellerID string
	Price    Cents
	SoldAt   time.Time
}

// Payout is what a seller is owed for one sale, and what became of it.
type Payout struct {
	ID       string
	OrderID  string
	SellerID string
	Price    Cents
	Amount   Cents // Price less Fee: what the seller receives
	Fee      Cents
	Status   Status
	// Hold is why a pending payout waits although due (AwaitingOnboarding,
	// TransferRefused), "" when nothing holds it.
	Hold      string
	CreatedAt time.Time
	// ReleaseAt is when the payout falls due: the sale plus the payout
	// delay, or the check-in of its e-ticket if that came first.
	ReleaseAt time.Time
	// RetryAt is when a refused transfer is tried again.
	RetryAt time.Time
	// Attempt counts the transfers Stripe refused; it makes each new
	// attempt's idempotency key.
	Attempt int
	// ReleasingAt is when the current release claimed the payout: a
	// transfer is under way (or its outcome was never recorded) while it
	// is set.
	ReleasingAt time.Time
	// Destination is the connected account the claimed or made transfer
	// goes to.
	Destination string
	TransferID  string
	ReleasedAt  time.Time
	// ReverseDue is set when the sale was refunded while or after the
	// payout was sent: its transfer is owed back.
	ReverseDue bool
	ReversalID string
	ReversedAt time.Time
}

// NewID returns a random 96-bit payout id as 24 lower-case hex digits.
func NewID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Claimed reports whether a release holds the payout: a transfer was (or
// is being) sent and its outcome is not recorded.
func (p *Payout) Claimed() bool { return !p.ReleasingAt.IsZero() }

// Key is the idempotency key of the payout's current transfer attempt:
// payout-<id>, and payout-<id>-<n> after n refusals. Every replica, retry
// and re-drive of one attempt sends the same key, so Stripe makes one
// transfer of it.
func (p *Payout) Key() string {
	if p.Attempt == 0 {
		return "payout-" + p.ID
	}
	return fmt.Sprintf("payout-%s-%d", p.ID, p.Attempt)
}

// ReversalKey is the idempotency key of the reversal of the payout's
// transfer.
func (p *Payout) ReversalKey() string { return "payout-reversal-" + p.ID }

// Ledger is everything payouts holds about one order.
type Ledger struct {
	OrderID string
	// Payout is the seller's payout of the sale; nil until order.completed.
	Payout *Payout
	// ChargeID is the Stripe charge (ch_…) or PaymentIntent (pi_…) of the
	// payment the order kept (payment.created); "" until known.
	ChargeID string
	// Refunded are the Stripe ids of the order's payments given back.
	Refunded []string
}

// Sell makes the payout of s, unless the ledger has one already: amount
// and fee by Split, due delay after the sale, pending, or cancelled at
// once if its charge was refunded before. It reports whether it made one.
func (l *Ledger) Sell(s Sale, id string, feePercent int, delay time.Duration) bool {
	if l.Payout != nil {
		return false
	}
	amount, fee := Split(s.Price, feePercent)
	l.Payout = &Payout{
		ID: id, OrderID: s.OrderID, SellerID: s.SellerID, Price: s.Price, Amount: amount, Fee: fee,
		Status: Pending, CreatedAt: s.SoldAt.UTC(), ReleaseAt: s.SoldAt.Add(delay).UTC(),
	}
	if l.ChargeID != "" && slices.Contains(l.Refunded, l.ChargeID) {
		l.Payout.Status = Cancelled
	}
	return true
}

// Charged records the charge the order was paid with; the first one
// known stays. A charge refunded before cancels the payout.
func (l *Ledger) Charged(stripeID string) {
	if l.ChargeID != "" {
		return
	}
	l.ChargeID = stripeID
	if slices.Contains(l.Refunded, stripeID) {
		l.refundPayout()
	}
}

// CheckedIn makes the payout due at at, the check-in of its e-ticket, if
// that is sooner than it was due. It reports whether there is a payout.
func (l *Ledger) CheckedIn(at time.Time) bool {
	p := l.Payout
	if p == nil {
		return false
	}
	if p.Status == Pending && at.Before(p.ReleaseAt) {
		p.ReleaseAt = at.UTC()
	}
	return true
}

// RefundCharge records that the payment stripeID was given back. When it
// is the payment the sale kept, a payout not yet sent is cancelled, and one
// sent (or being sent) is owed back (ReverseDue). A refund of another
// payment of the order (a duplicate) changes no payout.
func (l *Ledger) RefundCharge(stripeID string) {
	if !slices.Contains(l.Refunded, stripeID) {
		l.Refunded = append(l.Refunded, stripeID)
	}
	if l.ChargeID == stripeID {
		l.refundPayout()
	}
}

func (l *Ledger) refundPayout() {
	p := l.Payout
	if p == nil {
		return
	}
	switch {
	case p.Status == Pending && !p.Claimed():
		p.Status, p.Hold = Cancelled, ""
	case p.Status == Pending, p.Status == Paid:
		// A claimed transfer may have gone out: the release records it,
		// then the reversal takes it back.
		p.ReverseDue = true
	}
}

// Releasable reports whether the payout may be claimed for a transfer at
// now: pending, its charge known, not claimed, due, and held by nothing
// but a wait for the seller's account (which the claim checks again).
func (l *Ledger) Releasable(now time.Time) bool {
	p := l.Payout
	return p != nil && p.Status == Pending && l.ChargeID != "" && !p.Claimed() &&
		!p.ReleaseAt.After(now) && !p.RetryAt.After(now)
}

// Reason is why a pending payout is not paid yet, for its seller: first
// what the seller can act on (AwaitingOnboarding), then the charge not
// known, then its Hold; "" otherwise.
func (l *Ledger) Reason() string {
	p := l.Payout
	switch {
	case p == nil || p.Status != Pending:
		return ""
	case l.ChargeID == "" && p.Hold != AwaitingOnboarding:
		return AwaitingPayment
	default:
		return p.Hold
	}
}

// Transfer is one transfer attempt of a payout, as the gateway sends it.
type Transfer struct {
	PayoutID, OrderID string
	Amount            Cents
	// Destination is the seller's connected account.
	Destination string
	// Source is the charge or PaymentIntent the sale was paid with: the
	// transfer is tied to it (source_transaction), so it is paid from that
	// charge's funds.
	Source string
	Key    string
}

// Claim claims the payout for a transfer to the connected account
// destination at now, and returns the transfer to send. The caller has
// checked Releasable.
func (l *Ledger) Claim(destination string, now time.Time) Transfer {
	p := l.Payout
	p.ReleasingAt, p.Destination, p.Hold = now.UTC(), destination, ""
	return l.transfer()
}

// InFlight returns the transfer of a claimed payout, to send again with
// its key, and false when the payout is not claimed.
func (l *Ledger) InFlight() (Transfer, bool) {
	if l.Payout == nil || !l.Payout.Claimed() {
		return Transfer{}, false
	}
	return l.transfer(), true
}

func (l *Ledger) transfer() Transfer {
	p := l.Payout
	return Transfer{PayoutID: p.ID, OrderID: p.OrderID, Amount: p.Amount, Destination: p.Destination, Source: l.ChargeID, Key: p.Key()}
}

// Await holds a pending payout until reason is resolved (AwaitingOnboarding).
func (l *Ledger) Await(reason string) {
	if p := l.Payout; p != nil && p.Status == Pending && !p.Claimed() {
		p.Hold = reason
	}
}

// AccountReady lifts an AwaitingOnboarding hold, and reports whether it did.
func (l *Ledger) AccountReady() bool {
	p := l.Payout
	if p == nil || p.Status != Pending || p.Hold != AwaitingOnboarding {
		return false
	}
	p.Hold = ""
	return true
}

// Transferred records the transfer t of the claim, as Stripe made it with
// id transferID at now, and reports whether it did (false when the claim
// was settled meanwhile, by a concurrent release or re-drive).
func (l *Ledger) Transferred(t Transfer, transferID string, now time.Time) bool {
	p := l.Payout
	if p == nil || !p.Claimed() || p.Key() != t.Key {
		return false
	}
	p.Status, p.TransferID, p.ReleasedAt, p.ReleasingAt = Paid, transferID, now.UTC(), time.Time{}
	return true
}

// TransferRefused ends the claim of t, which Stripe refused without moving
// money: the payout waits RetryRefusedAfter, then tries a new attempt.
func (l *Ledger) TransferRefused(t Transfer, now time.Time) {
	p := l.Payout
	if p == nil || !p.Claimed() || p.Key() != t.Key {
		return
	}
	p.ReleasingAt, p.Hold, p.RetryAt = time.Time{}, TransferRefused, now.Add(RetryRefusedAfter).UTC()
	p.Attempt++
	if p.ReverseDue {
		// Refunded while the transfer was under way, and nothing moved.
		p.Status, p.ReverseDue, p.Hold = Cancelled, false, ""
	}
}

// ReversalDue reports whether the payout's transfer is owed back.
func (l *Ledger) ReversalDue() bool {
	p := l.Payout
	return p != nil && p.Status == Paid && p.ReverseDue
}

// Reversed records the reversal reversalID of the payout's transfer at
// now, and reports whether it did.
func (l *Ledger) Reversed(reversalID string, now time.Time) bool {
	if !l.ReversalDue() {
		return false
	}
	p := l.Payout
	p.Status, p.ReverseDue, p.ReversalID, p.ReversedAt = Reversed, false, reversalID, now.UTC()
	return true
}

// Account is a seller's Stripe connected account.
type Account struct {
	UserID    string
	AccountID string
	// PayoutsEnabled is Stripe's word that the account can receive
	// transfers (account.updated).
	PayoutsEnabled bool
	CreatedAt      time.Time
	// UpdatedAt is when Stripe said so: an older account.updated is ignored.
	UpdatedAt time.Time
}

// Ready reports whether a payout can be sent to the account.
func (a *Account) Ready() bool { return a != nil && a.AccountID != "" && a.PayoutsEnabled }
