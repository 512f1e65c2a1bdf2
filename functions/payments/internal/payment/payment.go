// Package payment holds the rules of paying for an order (DESIGN §3, §5):
// who may pay, when an order can no longer be paid, how one attempt at a
// time claims an order, which idempotency key each Stripe request carries,
// and when a payment must be given back. It does no I/O: the store reads an
// order's Ledger in a transaction, these rules change it, the store writes
// the result, and Stripe is called only after the transaction commits.
package payment

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/buytickets/buytickets/shared/apperr"
)

// Currency is the currency of every charge (DESIGN §3).
const Currency = "usd"

// MaxAmount bounds the order amounts a replica accepts, in cents: Stripe
// charges at most eight digits (999,999.99 dollars) and tickets asks at
// most 1,000,000 dollars, which Stripe then refuses on its own.
const MaxAmount Cents = 1e14

// MaxTokenLen is the longest Stripe token a charge request may name.
const MaxTokenLen = 255

// IdempotencyWindow is how long Stripe remembers an idempotency key: a
// charge re-sent later could be charged again, so a claim whose outcome is
// still unknown by then is left for an operator.
const IdempotencyWindow = 24 * time.Hour

// The refusals of the payment rules.
var (
	// ErrOrderNotFound is an order the replica does not hold.
	ErrOrderNotFound = apperr.New(apperr.NotFound, "Order not found")
	// ErrNotOwner refuses a payment by anyone but the order's buyer; it is
	// the same refusal as a missing session (401 "Not authorized").
	ErrNotOwner = apperr.New(apperr.Unauthorized, "Not authorized")
	// ErrCancelled refuses to pay for a cancelled order.
	ErrCancelled = apperr.New(apperr.Invalid, "Order is cancelled")
	// ErrExpired refuses to pay for an order whose window has passed.
	ErrExpired = apperr.New(apperr.Invalid, "Order has expired")
	// ErrAlreadyPaid refuses to pay for an order twice.
	ErrAlreadyPaid = apperr.New(apperr.Invalid, "Order is already paid")
	// ErrInProgress refuses a payment while another attempt for the same
	// order has not finished.
	ErrInProgress = apperr.New(apperr.Conflict, "Payment in progress")
	// ErrNoOrderID refuses a request that names no order.
	ErrNoOrderID = apperr.Field("orderId", "Order id is required")
	// ErrNoToken refuses a charge without a Stripe token.
	ErrNoToken = apperr.Field("token", "Token is required")
	// ErrBadToken refuses a token that cannot be a Stripe token.
	ErrBadToken = apperr.Field("token", "Token is invalid")
	// ErrInvalidOrder refuses an order that orders cannot have sent: no id
	// or buyer, or a price that is no amount Stripe can charge.
	ErrInvalidOrder = apperr.New(apperr.Invalid, "Invalid order")
)

// Cents is an amount of money in cents of a dollar.
type Cents int64

// CentsOf returns dollars in cents as Stripe is charged,
// math.Round(dollars*100) (DESIGN §3).
func CentsOf(dollars float64) Cents { return Cents(math.Round(dollars * 100)) }

// Status is an order's status as orders last reported it.
type Status string

// The statuses of an order (DESIGN §3).
const (
	// Created is an order waiting to be paid until it expires.
	Created Status = "created"
	// Complete is a paid order.
	Complete Status = "complete"
	// Cancelled is an order its buyer cancelled or that expired.
	Cancelled Status = "cancelled"
)

// Order is payments' replica of an order: what orders last said about it,
// at the version it said it.
type Order struct {
	ID        string
	UserID    string
	Status    Status
	Amount    Cents
	ExpiresAt time.Time
	Version   int
}

// NewOrder returns the order of an order.created: status Created at
// version 0, for price dollars. It returns an error matching
// ErrInvalidOrder when id or userID is empty or price is not an amount
// from one cent to MaxAmount.
func NewOrder(id, userID string, price float64, expiresAt time.Time) (Order, error) {
	amount := CentsOf(price)
	switch {
	case id == "" || userID == "":
		return Order{}, fmt.Errorf("%w: order %q of user %q", ErrInvalidOrder, id, userID)
	case math.IsNaN(price) || math.IsInf(price, 0) || amount < 1 || amount > MaxAmount:
		return Order{}, fmt.Errorf("%w: order %s: price %v", ErrInvalidOrder, id, price)
	}
	return Order{ID: id, UserID: userID, Status: Created, Amount: amount, ExpiresAt: expiresAt.UTC()}, nil
}

// InStatus returns the order as orders reports it once it is in status.
func (o Order) InStatus(status Status) Order {
	o.Status = status
	return o
}

// ClaimState is where a claim on an order is.
type ClaimState string

// The states of a claim.
const (
	// Charging is an attempt whose charge is sent, or about to be, and
	// whose outcome is not recorded yet.
	Charging ClaimState = "charging"
	// Released is an attempt Stripe refused: nothing was charged, and the
	// next attempt may start.
	Released ClaimState = "released"
	// Done is an attempt whose charge succeeded and is recorded.
	Done ClaimState = "done"
	// Unresolved is an attempt whose outcome was still unknown when its
	// idempotency key expired; an operator settles it in Stripe.
	Unresolved ClaimState = "unresolved"
)

// Claim is the one attempt at a time to charge an order. Attempts are
// numbered from 1, and each has its own idempotency key: a retried request
// of one attempt never charges twice, and an attempt after a decline is a
// new charge.
type Claim struct {
	OrderID string
	// Attempt is the number of the latest attempt; 0 when none started.
	Attempt int
	State   ClaimState
	// Source is the token of a Charging attempt, kept so that a re-drive
	// sends Stripe the very same request; cleared once the outcome is known.
	Source    string
	Amount    Cents
	StartedAt time.Time
}

// Key returns the Stripe idempotency key of the claim's attempt,
// charge-<orderId>-<attempt>.
func (c Claim) Key() string { return fmt.Sprintf("charge-%s-%d", c.OrderID, c.Attempt) }

// Stale reports whether a Charging claim started so long before now that
// its idempotency key has expired at Stripe.
func (c Claim) Stale(now time.Time) bool {
	return c.State == Charging && now.Sub(c.StartedAt) >= IdempotencyWindow
}

// Method is how a payment was made at Stripe.
type Method string

// The methods of payment.
const (
	// MethodCharge is a Charge of a token (POST /api/payments).
	MethodCharge Method = "charge"
	// MethodIntent is a PaymentIntent confirmed in the browser with
	// Stripe.js (POST /api/payments/intents, then the webhook).
	MethodIntent Method = "payment_intent"
)

// RefundReason says why a payment is given back.
type RefundReason string

// The reasons for a refund.
const (
	// ReasonCancelled is a payment for an order that was cancelled, before
	// or after the payment landed.
	ReasonCancelled RefundReason = "order_cancelled"
	// ReasonDuplicate is a second successful payment for an order that was
	// already paid (say, by a charge and by a PaymentIntent).
	ReasonDuplicate RefundReason = "duplicate"
	// ReasonMismatch is a payment of another amount or currency than the
	// order's: it pays nothing, and is given back.
	ReasonMismatch RefundReason = "amount_mismatch"
	// ReasonAtStripe is a payment given back in full at Stripe (from its
	// dashboard, by support), not by payments: the sale is undone.
	ReasonAtStripe RefundReason = "refunded_at_stripe"
)

// Refund is what is owed back on a payment.
type Refund struct {
	// Reason is why the payment is given back; "" when it is not.
	Reason RefundReason
	// DueAt is when the refund became due; zero when none is owed or it
	// has been made.
	DueAt time.Time
	// StripeID is the Stripe refund, once made; "" when Stripe reported the
	// payment refunded already.
	StripeID string
	// At is when the refund was made; zero until then.
	At time.Time
}

// Payment is one successful payment at Stripe for an order.
type Payment struct {
	ID      string
	OrderID string
	// StripeID is the Charge or PaymentIntent at Stripe.
	StripeID  string
	Method    Method
	Amount    Cents
	Currency  string
	CreatedAt time.Time
	Refund    Refund
}

// RefundDue reports whether the payment is owed back and not refunded yet.
func (p Payment) RefundDue() bool { return p.Refund.Reason != "" && p.Refund.At.IsZero() }

// RefundKey returns the Stripe idempotency key of the payment's refund,
// refund-<orderId>-<paymentId>: one refund per payment, even for an order
// that was paid twice.
func (p Payment) RefundKey() string { return "refund-" + p.OrderID + "-" + p.ID }

// owe marks the payment to be given back for reason at now, unless it
// already is.
func (p *Payment) owe(reason RefundReason, now time.Time) bool {
	if p.Refund.Reason != "" {
		return false
	}
	p.Refund = Refund{Reason: reason, DueAt: now.UTC()}
	return true
}

// Ledger is everything payments holds about one order, as one transaction
// read it: the replica's order, the claim of its charges, and the payments
// made for it. Its methods apply the rules; the store writes what they
// changed.
type Ledger struct {
	// OrderID is the order the ledger is about.
	OrderID string
	// Order is the replica's order; nil when it holds none.
	Order *Order
	// Claim is the order's claim; its Attempt is 0 when there is none.
	Claim Claim
	// Payments are the order's payments, oldest first.
	Payments []Payment
}

// NewLedger returns the empty ledger of orderID: no order, no claim, no
// payment.
func NewLedger(orderID string) *Ledger {
	return &Ledger{OrderID: orderID, Claim: Claim{OrderID: orderID}}
}

// paid reports whether the order has a payment it keeps: one that is not
// owed back as a duplicate or for paying the wrong amount.
func (l *Ledger) paid() bool {
	for _, p := range l.Payments {
		if p.Refund.Reason != ReasonDuplicate && p.Refund.Reason != ReasonMismatch {
			return true
		}
	}
	return false
}

// check refuses a payment by buyerID at now: an unknown order, another
// buyer's, a cancelled or paid one, one with an attempt under way, and an
// expired one, in that order.
func (l *Ledger) check(buyerID string, now time.Time) error {
	o := l.Order
	switch {
	case o == nil:
		return fmt.Errorf("%w: %s", ErrOrderNotFound, l.OrderID)
	case buyerID == "" || buyerID != o.UserID:
		return ErrNotOwner
	case o.Status == Cancelled:
		return ErrCancelled
	case o.Status == Complete || l.paid() || l.Claim.State == Done:
		return ErrAlreadyPaid
	case l.Claim.State == Charging || l.Claim.State == Unresolved:
		return ErrInProgress
	case !now.Before(o.ExpiresAt):
		return ErrExpired
	}
	return nil
}

// Begin claims the order for a charge of source by buyerID at now and
// returns the new attempt, numbered one after the last. It refuses as
// check does, and changes nothing then.
func (l *Ledger) Begin(buyerID, source string, now time.Time) (Claim, error) {
	if err := l.check(buyerID, now); err != nil {
		return Claim{}, err
	}
	l.Claim = Claim{
		OrderID:   l.OrderID,
		Attempt:   l.Claim.Attempt + 1,
		State:     Charging,
		Source:    source,
		Amount:    l.Order.Amount,
		StartedAt: now.UTC(),
	}
	return l.Claim, nil
}

// IntentRequest is the PaymentIntent to create for an order.
type IntentRequest struct {
	OrderID string
	Amount  Cents
	// Key is the idempotency key, intent-<orderId>-<n>, n being the
	// attempt the next charge would have: asking again gives the same
	// PaymentIntent, and after a declined charge a fresh one.
	Key string
}

// Intent returns the PaymentIntent that buyerID pays the order with in the
// browser at now. It refuses as Begin does, and changes nothing.
func (l *Ledger) Intent(buyerID string, now time.Time) (IntentRequest, error) {
	if err := l.check(buyerID, now); err != nil {
		return IntentRequest{}, err
	}
	return IntentRequest{
		OrderID: l.OrderID,
		Amount:  l.Order.Amount,
		Key:     fmt.Sprintf("intent-%s-%d", l.OrderID, l.Claim.Attempt+1),
	}, nil
}

// Recorded is what recording a payment did.
type Recorded struct {
	// Payment is the payment as recorded, new or found.
	Payment Payment
	// New is false when the ledger held the payment already.
	New bool
	// Accepted is a new payment the order keeps (not a duplicate): the
	// one payment.created announces.
	Accepted bool
}

// Record records p, a payment Stripe reported successful, made by the
// charge of attempt (0 for a PaymentIntent), at now. A payment of the same
// Stripe object recorded before is returned as it is. A new one is owed
// back, and pays nothing, when its amount or currency is not the order's
// (ReasonMismatch); it is owed back when the order already has a payment
// (ReasonDuplicate) or is cancelled (ReasonCancelled). The claim of attempt, if it is still
// charging, is done. Money moved whatever the order's state, so Record
// refuses only an order the replica does not hold.
func (l *Ledger) Record(p Payment, attempt int, now time.Time) (Recorded, error) {
	if l.Order == nil {
		return Recorded{}, fmt.Errorf("%w: %s", ErrOrderNotFound, l.OrderID)
	}
	if attempt > 0 && l.Claim.Attempt == attempt && l.Claim.State == Charging {
		l.Claim.State, l.Claim.Source = Done, ""
	}
	for _, held := range l.Payments {
		if held.StripeID == p.StripeID && held.Method == p.Method {
			return Recorded{Payment: held}, nil
		}
	}
	p.OrderID, p.CreatedAt, p.Refund = l.OrderID, now.UTC(), Refund{}
	if p.Amount != l.Order.Amount || !strings.EqualFold(p.Currency, Currency) {
		p.owe(ReasonMismatch, now)
		l.Payments = append(l.Payments, p)
		return Recorded{Payment: p, New: true}, nil
	}
	accepted := !l.paid()
	switch {
	case !accepted:
		p.owe(ReasonDuplicate, now)
	case l.Order.Status == Cancelled:
		p.owe(ReasonCancelled, now)
	}
	l.Payments = append(l.Payments, p)
	return Recorded{Payment: p, New: true, Accepted: accepted}, nil
}

// Release ends attempt, which Stripe refused without charging, so the next
// attempt may start. It reports false, changing nothing, when the claim is
// no longer charging that attempt.
func (l *Ledger) Release(attempt int) bool {
	if l.Claim.Attempt != attempt || l.Claim.State != Charging {
		return false
	}
	l.Claim.State, l.Claim.Source = Released, ""
	return true
}

// Abandon gives up re-driving attempt once its key has expired at Stripe
// (Claim.Stale): the claim becomes Unresolved. It reports false, changing
// nothing, when the claim is no longer a stale charge of that attempt.
func (l *Ledger) Abandon(attempt int, now time.Time) bool {
	if l.Claim.Attempt != attempt || !l.Claim.Stale(now) {
		return false
	}
	l.Claim.State, l.Claim.Source = Unresolved, ""
	return true
}

// Mirror makes o, as orders said it at version, the replica's order at
// now. When o is cancelled, every payment of the order not owed back yet
// becomes owed (ReasonCancelled); Mirror returns how many did.
func (l *Ledger) Mirror(o Order, version int, now time.Time) int {
	o.Version = version
	l.Order = &o
	if o.Status != Cancelled {
		return 0
	}
	due := 0
	for i := range l.Payments {
		if l.Payments[i].owe(ReasonCancelled, now) {
			due++
		}
	}
	return due
}

// Refunded records that payment paymentID was given back by Stripe refund
// refundID ("" when Stripe had refunded it already) at now, and returns
// it. It reports false, changing nothing, unless that refund was due.
func (l *Ledger) Refunded(paymentID, refundID string, now time.Time) (Payment, bool) {
	for i := range l.Payments {
		p := &l.Payments[i]
		if p.ID != paymentID || !p.RefundDue() {
			continue
		}
		p.Refund.DueAt, p.Refund.StripeID, p.Refund.At = time.Time{}, refundID, now.UTC()
		return *p, true
	}
	return Payment{}, false
}

// RefundedAtStripe records that the payment Stripe knows as stripeID (its
// charge or PaymentIntent) was given back in full at Stripe by refund
// refundID at now, and returns it. A payment payments owed back already
// keeps its reason; one refunded before, or none of this ledger, changes
// nothing and reports false, so that Stripe telling it twice, or telling
// of a refund payments made itself, gives back one payment.refunded.
func (l *Ledger) RefundedAtStripe(stripeID, refundID string, now time.Time) (Payment, bool) {
	for i := range l.Payments {
		p := &l.Payments[i]
		if p.StripeID != stripeID || !p.Refund.At.IsZero() {
			continue
		}
		if p.Refund.Reason == "" {
			p.Refund.Reason = ReasonAtStripe
		}
		p.Refund.DueAt, p.Refund.StripeID, p.Refund.At = time.Time{}, refundID, now.UTC()
		return *p, true
	}
	return Payment{}, false
}

// ParseCharge checks the body of a charge request: ErrNoOrderID and
// ErrNoToken for blank fields, ErrBadToken for a token over MaxTokenLen
// bytes or with spaces or control characters, all reported together.
func ParseCharge(orderID, token string) error {
	var errs apperr.Fields
	if strings.TrimSpace(orderID) == "" {
		errs = append(errs, ErrNoOrderID)
	}
	switch {
	case strings.TrimSpace(token) == "":
		errs = append(errs, ErrNoToken)
	case len(token) > MaxTokenLen || strings.IndexFunc(token, badTokenRune) >= 0:
		errs = append(errs, ErrBadToken)
	}
	return errs.Err()
}

// ParseIntent checks the body of a PaymentIntent request: ErrNoOrderID for
// a blank order id.
func ParseIntent(orderID string) error {
	if strings.TrimSpace(orderID) == "" {
		return apperr.Fields{ErrNoOrderID}
	}
	return nil
}

func badTokenRune(r rune) bool { return r <= ' ' || r == 0x7f }

// idBytes is the length of a payment id in bytes, before hex encoding.
const idBytes = 12

// NewID returns a random 96-bit payment id as 24 lower-case hex digits.
func NewID() string {
	var b [idBytes]byte
	// crypto/rand.Read never returns an error since Go 1.24.
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
