package gateway

import (
	"encoding/json"
	"fmt"

	"github.com/stripe/stripe-go/v76"

	"github.com/buytickets/buytickets/functions/payments/internal/payment"
	"github.com/buytickets/buytickets/shared/stripeapi"
)

// The refusals of a webhook event (stripeapi.VerifyEvent's).
var (
	ErrBadSignature = stripeapi.ErrBadSignature
	ErrBadEvent     = stripeapi.ErrBadEvent
)

// The Stripe event types payments acts on.
const (
	intentSucceeded = "payment_intent.succeeded"
	intentFailed    = "payment_intent.payment_failed"
	chargeRefunded  = "charge.refunded"
)

// Event is a verified Stripe event as payments reads it.
type Event struct {
	// ID and Type are the Stripe event's.
	ID   string
	Type string
	// Intent is the PaymentIntent of the event types payments acts on
	// (payment_intent.succeeded and payment_intent.payment_failed); nil
	// for any other type.
	Intent *IntentOutcome
	// Refund is the charge of a charge.refunded event, a refund made at
	// Stripe (from its dashboard, say); nil for any other type.
	Refund *ChargeRefund
}

// ChargeRefund is what a charge.refunded event says of a charge given back.
type ChargeRefund struct {
	// ChargeID is the charge's id, and IntentID its PaymentIntent's, ""
	// for a charge made without one: payments knows its payment by one or
	// the other.
	ChargeID, IntentID string
	// Full is true once the whole amount is given back; a partial refund
	// leaves the sale standing.
	Full bool
	// RefundID is the latest refund's id, when the event lists it.
	RefundID string
}

// IntentOutcome is what a PaymentIntent event says of a payment.
type IntentOutcome struct {
	// ID is the PaymentIntent's id.
	ID string
	// OrderID is the order its metadata names, as CreateIntent set it;
	// empty when it names none.
	OrderID string
	// Succeeded is true for a payment taken, false for one that failed.
	Succeeded bool
	// Amount is what was received, or what was asked while nothing was.
	Amount   payment.Cents
	Currency string
	// FailureCode is Stripe's code and decline code of a failed payment.
	FailureCode string
}

// ReadEvent verifies payload, the body Stripe posted, against signature
// (its Stripe-Signature header) and secret, and reads it: ErrBadSignature
// for a signature that does not hold, ErrBadEvent for an event that cannot
// be read or a PaymentIntent event without its PaymentIntent.
func ReadEvent(payload []byte, signature, secret string) (Event, error) {
	ev, err := stripeapi.VerifyEvent(payload, signature, secret)
	if err != nil {
		return Event{}, err
	}
	out := Event{ID: ev.ID, Type: string(ev.Type)}
	switch ev.Type {
	case intentSucceeded, intentFailed:
	case chargeRefunded:
		var ch stripe.Charge
		if ev.Data == nil || json.Unmarshal(ev.Data.Raw, &ch) != nil || ch.ID == "" {
			return Event{}, ErrBadEvent.With(fmt.Errorf("event %s: no Charge", ev.ID))
		}
		out.Refund = &ChargeRefund{ChargeID: ch.ID, Full: ch.Refunded}
		if ch.PaymentIntent != nil {
			out.Refund.IntentID = ch.PaymentIntent.ID
		}
		if ch.Refunds != nil && len(ch.Refunds.Data) > 0 {
			out.Refund.RefundID = ch.Refunds.Data[0].ID
		}
		return out, nil
	default:
		return out, nil
	}
	var pi stripe.PaymentIntent
	if ev.Data == nil || json.Unmarshal(ev.Data.Raw, &pi) != nil || pi.ID == "" {
		return Event{}, ErrBadEvent.With(fmt.Errorf("event %s: no PaymentIntent", ev.ID))
	}
	amount := pi.AmountReceived
	if amount == 0 {
		amount = pi.Amount
	}
	out.Intent = &IntentOutcome{
		ID: pi.ID, OrderID: pi.Metadata["orderId"], Succeeded: ev.Type == intentSucceeded,
		Amount: payment.Cents(amount), Currency: string(pi.Currency),
	}
	if pi.LastPaymentError != nil {
		out.Intent.FailureCode = string(pi.LastPaymentError.Code) + " " + string(pi.LastPaymentError.DeclineCode)
	}
	return out, nil
}
