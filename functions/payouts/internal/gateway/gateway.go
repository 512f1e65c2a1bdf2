// Package gateway is Stripe Connect as the payouts function uses it: an
// Express connected account per seller and the links that onboard it,
// transfers of a sale's share to that account, tied to the sale's charge,
// and their reversals, each sent with the idempotency key the payout
// rules chose and each failure classified by what it means for the money.
//
// Like payments' gateway, a Gateway has its own stripe-go backend and key,
// and uses stripe-go's per-resource clients.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/account"
	"github.com/stripe/stripe-go/v76/accountlink"
	"github.com/stripe/stripe-go/v76/paymentintent"
	"github.com/stripe/stripe-go/v76/transfer"
	"github.com/stripe/stripe-go/v76/transferreversal"

	"github.com/buytickets/buytickets/functions/payouts/internal/payout"
	"github.com/buytickets/buytickets/shared/apperr"
	"github.com/buytickets/buytickets/shared/stripeapi"
)

// ErrUnknownOutcome is a request whose outcome is unknown: Stripe was
// unreachable, answered 5xx or 409, or refused the idempotency key. It may
// have taken effect; only the same request with the same key tells. It is
// Unavailable: 503 for the caller.
var ErrUnknownOutcome = apperr.New(apperr.Unavailable, "Payout service unavailable")

// ErrRefused is a request Stripe refused without acting on it (400, 402,
// 404, 429). It is Unavailable for the caller, who can only try later.
var ErrRefused = apperr.New(apperr.Unavailable, "Payout service refused the request")

// Config says which Stripe a Gateway talks to and how.
type Config = stripeapi.Config

// Gateway calls Stripe Connect.
type Gateway struct {
	accounts  account.Client
	links     accountlink.Client
	intents   paymentintent.Client
	transfers transfer.Client
	reversals transferreversal.Client
}

// New returns a Gateway for cfg.
func New(cfg Config) *Gateway {
	b := stripeapi.Backend(cfg)
	return &Gateway{
		accounts:  account.Client{B: b, Key: cfg.Key},
		links:     accountlink.Client{B: b, Key: cfg.Key},
		intents:   paymentintent.Client{B: b, Key: cfg.Key},
		transfers: transfer.Client{B: b, Key: cfg.Key},
		reversals: transferreversal.Client{B: b, Key: cfg.Key},
	}
}

// CreateAccount creates the Express connected account of the seller
// userID, with the seller's id in its metadata, and returns its id. Its
// idempotency key is the seller's (account-<userID>), so two first
// onboardings at once, or a retry, make one account within Stripe's 24
// hours of keys.
func (g *Gateway) CreateAccount(ctx context.Context, userID string) (string, error) {
	params := &stripe.AccountParams{
		Type:     stripe.String(string(stripe.AccountTypeExpress)),
		Metadata: map[string]string{"userId": userID},
		Capabilities: &stripe.AccountCapabilitiesParams{
			Transfers: &stripe.AccountCapabilitiesTransfersParams{Requested: stripe.Bool(true)},
		},
	}
	params.Context = ctx
	params.SetIdempotencyKey("account-" + userID)
	a, err := g.accounts.New(params)
	if err != nil {
		return "", classify("account.New", err)
	}
	return a.ID, nil
}

// OnboardingLink returns the URL of a new Account Link that onboards the
// connected account accountID: Stripe sends the seller back to returnURL
// when done and to refreshURL when the link has expired.
func (g *Gateway) OnboardingLink(ctx context.Context, accountID, returnURL, refreshURL string) (string, error) {
	params := &stripe.AccountLinkParams{
		Account:    stripe.String(accountID),
		Type:       stripe.String(string(stripe.AccountLinkTypeAccountOnboarding)),
		ReturnURL:  stripe.String(returnURL),
		RefreshURL: stripe.String(refreshURL),
	}
	params.Context = ctx
	l, err := g.links.New(params)
	if err != nil {
		return "", classify("accountlink.New", err)
	}
	return l.URL, nil
}

// Transfer sends t: its amount in payout.Currency to its destination, tied
// to its source charge (a PaymentIntent's latest charge, looked up first),
// with the payout and order ids in the metadata, under t's key. It returns
// the transfer's id.
func (g *Gateway) Transfer(ctx context.Context, t payout.Transfer) (string, error) {
	source, err := g.charge(ctx, t.Source)
	if err != nil {
		return "", err
	}
	params := &stripe.TransferParams{
		Amount:            stripe.Int64(int64(t.Amount)),
		Currency:          stripe.String(payout.Currency),
		Destination:       stripe.String(t.Destination),
		SourceTransaction: stripe.String(source),
		TransferGroup:     stripe.String(t.OrderID),
		Metadata:          map[string]string{"payoutId": t.PayoutID, "orderId": t.OrderID},
	}
	params.Context = ctx
	params.SetIdempotencyKey(t.Key)
	tr, err := g.transfers.New(params)
	if err != nil {
		return "", classify("transfer.New", err)
	}
	return tr.ID, nil
}

// charge returns the charge of stripeID: itself for a charge, the latest
// charge of a PaymentIntent.
func (g *Gateway) charge(ctx context.Context, stripeID string) (string, error) {
	if !strings.HasPrefix(stripeID, "pi_") {
		return stripeID, nil
	}
	params := &stripe.PaymentIntentParams{}
	params.Context = ctx
	pi, err := g.intents.Get(stripeID, params)
	if err != nil {
		return "", classify("paymentintent.Get", err)
	}
	if pi.LatestCharge == nil || pi.LatestCharge.ID == "" {
		return "", ErrRefused.With(fmt.Errorf("PaymentIntent %s has no charge", stripeID))
	}
	return pi.LatestCharge.ID, nil
}

// Reverse takes the transfer transferID back in full under key, and
// returns the reversal's id.
func (g *Gateway) Reverse(ctx context.Context, transferID, key string, metadata map[string]string) (string, error) {
	params := &stripe.TransferReversalParams{ID: stripe.String(transferID), Metadata: metadata}
	params.Context = ctx
	params.SetIdempotencyKey(key)
	r, err := g.reversals.New(params)
	if err != nil {
		return "", classify("transferreversal.New", err)
	}
	return r.ID, nil
}

// classify returns the failure of the Stripe call op as the payout rules
// act on it: ErrRefused for a request Stripe did not act on (400, 402,
// 404, 429), ErrUnknownOutcome for one that may have taken effect (no
// answer, 409, 5xx, an idempotency error), and a plain error, for the
// logs, for anything else (401, 403: a bad key).
func classify(op string, err error) error {
	var se *stripe.Error
	if !errors.As(err, &se) {
		return ErrUnknownOutcome.With(fmt.Errorf("stripe %s: %w", op, err))
	}
	cause := fmt.Errorf("stripe %s: %d %s %s (request %s)", op, se.HTTPStatusCode, se.Type, se.Code, se.RequestID)
	switch status := se.HTTPStatusCode; {
	case se.Type == stripe.ErrorTypeIdempotency, status == http.StatusConflict, status >= 500:
		return ErrUnknownOutcome.With(cause)
	case status == http.StatusBadRequest, status == http.StatusPaymentRequired, status == http.StatusNotFound,
		status == http.StatusTooManyRequests:
		return ErrRefused.With(cause)
	default:
		return cause
	}
}

// Refused reports whether err is Stripe's refusal of a request it did not
// act on.
func Refused(err error) bool { return errors.Is(err, ErrRefused) }

// Unknown reports whether err leaves the outcome of a request unknown.
func Unknown(err error) bool { return errors.Is(err, ErrUnknownOutcome) }
