// Package gateway is Stripe as the payments function uses it: charges of a
// token, PaymentIntents for Stripe.js, and refunds, each sent with the
// idempotency key the payment rules chose, and each failure classified by
// what it means for the money.
//
// A Gateway has its own stripe-go backend (base URL, HTTP client, retries)
// and key: nothing is set on stripe-go's package-level Key or backends, so
// several functions in one process, or tests, can each talk to their own
// Stripe (or stripe-mock). It uses stripe-go's per-resource clients rather
// than client.API, which would link every Stripe resource into the binary.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/charge"
	"github.com/stripe/stripe-go/v76/paymentintent"
	"github.com/stripe/stripe-go/v76/refund"

	"github.com/buytickets/buytickets/functions/payments/internal/payment"
	"github.com/buytickets/buytickets/shared/apperr"
	"github.com/buytickets/buytickets/shared/stripeapi"
)

// ErrUnknownOutcome is a request whose outcome is unknown: Stripe was
// unreachable, answered 5xx, or was still working on the same key. It may
// or may not have taken effect; sending it again with the same idempotency
// key tells. It is Unavailable: 503 for the caller.
var ErrUnknownOutcome = apperr.New(apperr.Unavailable, "Payment service unavailable")

// ErrBusy is a request Stripe refused for its rate limit, without acting on
// it. It is Unavailable: 503 for the caller.
var ErrBusy = apperr.New(apperr.Unavailable, "Payment service is busy, please try again")

// Config says which Stripe a Gateway talks to and how.
type Config = stripeapi.Config

// Gateway calls Stripe.
type Gateway struct {
	charges charge.Client
	intents paymentintent.Client
	refunds refund.Client
}

// New returns a Gateway for cfg.
func New(cfg Config) *Gateway {
	b := stripeapi.Backend(cfg)
	return &Gateway{
		charges: charge.Client{B: b, Key: cfg.Key},
		intents: paymentintent.Client{B: b, Key: cfg.Key},
		refunds: refund.Client{B: b, Key: cfg.Key},
	}
}

// Charge is a successful charge at Stripe.
type Charge struct {
	ID       string
	Amount   payment.Cents
	Currency string
}

// Charge charges the claim's attempt: its amount in Currency, its token as
// the source, the order id in the metadata, under the claim's idempotency
// key. A failure is classified (see classify).
func (g *Gateway) Charge(ctx context.Context, c payment.Claim) (Charge, error) {
	params := &stripe.ChargeParams{
		Amount:   stripe.Int64(int64(c.Amount)),
		Currency: stripe.String(payment.Currency),
		Source:   &stripe.PaymentSourceSourceParams{Token: stripe.String(c.Source)},
		Metadata: map[string]string{"orderId": c.OrderID},
	}
	params.Context = ctx
	params.SetIdempotencyKey(c.Key())
	ch, err := g.charges.New(params)
	if err != nil {
		return Charge{}, classify("charge.New", err)
	}
	return Charge{ID: ch.ID, Amount: payment.Cents(ch.Amount), Currency: string(ch.Currency)}, nil
}

// Intent is a PaymentIntent at Stripe.
type Intent struct {
	ID string
	// ClientSecret is what Stripe.js confirms the intent with; it goes to
	// the buyer's browser only, never to logs.
	ClientSecret string
}

// CreateIntent creates (or, for a key used before, finds) the
// PaymentIntent of req: its amount in Currency, the order id in the
// metadata. A failure is classified (see classify).
func (g *Gateway) CreateIntent(ctx context.Context, req payment.IntentRequest) (Intent, error) {
	params := &stripe.PaymentIntentParams{
		Amount:   stripe.Int64(int64(req.Amount)),
		Currency: stripe.String(payment.Currency),
		Metadata: map[string]string{"orderId": req.OrderID},
	}
	params.Context = ctx
	params.SetIdempotencyKey(req.Key)
	pi, err := g.intents.New(params)
	if err != nil {
		return Intent{}, classify("paymentintent.New", err)
	}
	return Intent{ID: pi.ID, ClientSecret: pi.ClientSecret}, nil
}

// Refund gives p back in full under its refund key and returns the Stripe
// refund's id, or "" when Stripe reports the payment refunded already. A
// failure is classified (see classify).
func (g *Gateway) Refund(ctx context.Context, p payment.Payment) (string, error) {
	params := &stripe.RefundParams{Metadata: map[string]string{"orderId": p.OrderID, "paymentId": p.ID}}
	switch p.Method {
	case payment.MethodIntent:
		params.PaymentIntent = stripe.String(p.StripeID)
	default:
		params.Charge = stripe.String(p.StripeID)
	}
	reason := stripe.RefundReasonRequestedByCustomer
	if p.Refund.Reason == payment.ReasonDuplicate {
		reason = stripe.RefundReasonDuplicate
	}
	params.Reason = stripe.String(string(reason))
	params.Context = ctx
	params.SetIdempotencyKey(p.RefundKey())
	r, err := g.refunds.New(params)
	if err != nil {
		var se *stripe.Error
		if errors.As(err, &se) && se.Code == stripe.ErrorCodeChargeAlreadyRefunded {
			return "", nil
		}
		return "", classify("refund.New", err)
	}
	return r.ID, nil
}

// classify returns the failure of the Stripe call op as the payment rules
// act on it:
//   - a card_error (402): apperr.PaymentRequired with Stripe's message,
//     meant for the buyer; nothing was charged;
//   - 400 or 404 (invalid_request_error, such as a used token):
//     apperr.Invalid with Stripe's message; nothing was charged;
//   - 429: ErrBusy; nothing was done;
//   - 409, 5xx, an idempotency_error (the key was used for another
//     request, so whether this one was charged is not known), or no
//     answer: ErrUnknownOutcome;
//   - anything else (401, 403: a bad key): Internal, for the logs.
//
// The cause kept names the status, type, code and request id only: a
// Stripe error also describes the card, which is never logged.
func classify(op string, err error) error {
	var se *stripe.Error
	if !errors.As(err, &se) {
		return ErrUnknownOutcome.With(fmt.Errorf("stripe %s: %w", op, err))
	}
	cause := fmt.Errorf("stripe %s: %d %s %w (request %s)", op, se.HTTPStatusCode, se.Type, code(se.Code), se.RequestID)
	switch status := se.HTTPStatusCode; {
	case se.Type == stripe.ErrorTypeIdempotency:
		return ErrUnknownOutcome.With(cause)
	case se.Type == stripe.ErrorTypeCard || status == http.StatusPaymentRequired:
		return apperr.Wrap(apperr.PaymentRequired, message(se, "Your card was declined."), cause)
	case status == http.StatusBadRequest || status == http.StatusNotFound:
		return apperr.Wrap(apperr.Invalid, message(se, "Payment refused"), cause)
	case status == http.StatusTooManyRequests:
		return ErrBusy.With(cause)
	case status == http.StatusConflict || status >= 500:
		return ErrUnknownOutcome.With(cause)
	default:
		return cause
	}
}

// code is Stripe's code for a refused request (card_declined, say), kept
// in the error's chain for Reason.
type code string

func (c code) Error() string { return string(c) }

// Reason names why err, a Charge's failure, failed, for a metric: Stripe's
// code (card_declined, say), or unknown_outcome, rate_limited or refused.
func Reason(err error) string {
	if c, ok := errors.AsType[code](err); ok && c != "" {
		return string(c)
	}
	switch {
	case Unknown(err):
		return "unknown_outcome"
	case errors.Is(err, ErrBusy):
		return "rate_limited"
	default:
		return "refused"
	}
}

// message returns Stripe's message for se, or fallback when it gave none.
func message(se *stripe.Error, fallback string) string {
	if se.Msg == "" {
		return fallback
	}
	return se.Msg
}

// Refused reports whether err is Stripe's refusal of a request it did not
// act on: a declined card, an invalid request, or its rate limit.
func Refused(err error) bool {
	return apperr.Is(err, apperr.PaymentRequired) || apperr.Is(err, apperr.Invalid) || errors.Is(err, ErrBusy)
}

// Unknown reports whether err leaves the outcome of a request unknown, so
// that only the same request with the same key can tell what happened.
func Unknown(err error) bool { return errors.Is(err, ErrUnknownOutcome) }
