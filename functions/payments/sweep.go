package payments

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/functions/payments/internal/gateway"
	"github.com/buytickets/buytickets/functions/payments/internal/payment"
	"github.com/buytickets/buytickets/shared/logging"
)

// This file is the sweep that finishes what a request or a process left
// undone: charges whose outcome was never recorded, and refunds still due.

// sweepBatch is the most claims or refunds one pass works on.
const sweepBatch = 100

// SweepResult counts what one sweep did.
type SweepResult struct {
	// Redriven counts the claims whose charge was sent again.
	Redriven int `json:"redriven"`
	// Charged counts the re-driven claims whose payment is now recorded.
	Charged int `json:"charged"`
	// Released counts the re-driven claims Stripe refused.
	Released int `json:"released"`
	// Unresolved counts the claims given up on, their key expired.
	Unresolved int `json:"unresolved"`
	// Refunded counts the refunds settled.
	Refunded int `json:"refunded"`
}

// sweep re-drives the claims whose outcome was never recorded and that
// started RedriveAfter ago or more, then settles the refunds due.
func (f *Function) sweep(ctx context.Context) (SweepResult, error) {
	var res SweepResult
	claims, err := f.store.Charging(ctx, f.ft.Now().Add(-f.redriveAfter), sweepBatch)
	if err != nil {
		return res, fmt.Errorf("store.Charging: %w", err)
	}
	var errs []error
	for _, c := range claims {
		if err := f.redrive(ctx, c, &res); err != nil {
			errs = append(errs, fmt.Errorf("redrive %s: %w", c.Key(), err))
		}
	}
	refunded, err := f.refundDue(ctx)
	res.Refunded = refunded
	return res, errors.Join(append(errs, err)...)
}

// redrive sends the attempt of claim c again, with the same request and
// key, so Stripe answers its original outcome, and records that outcome;
// a claim whose key has expired is given up on instead.
func (f *Function) redrive(ctx context.Context, c payment.Claim, res *SweepResult) error {
	if c.Stale(f.ft.Now()) {
		_, err := f.store.Update(ctx, c.OrderID, func(l *payment.Ledger) ([]event.Event, error) {
			l.Abandon(c.Attempt, f.ft.Now())
			return nil, nil
		})
		if err != nil {
			return fmt.Errorf("store.Update: %w", err)
		}
		res.Unresolved++
		logging.FromContext(ctx).ErrorContext(ctx, "charge outcome never learnt; settle it in the Stripe dashboard",
			slog.String("orderId", c.OrderID), slog.String("idempotencyKey", c.Key()))
		return nil
	}
	// The claim may have settled since the query: re-send only a charge
	// still without an outcome.
	l, err := f.store.Ledger(ctx, c.OrderID)
	if err != nil {
		return fmt.Errorf("store.Ledger: %w", err)
	}
	if l.Claim.Attempt != c.Attempt || l.Claim.State != payment.Charging {
		return nil
	}
	res.Redriven++
	switch _, err := f.charge(ctx, l.Claim); {
	case err == nil:
		res.Charged++
	case gateway.Refused(err):
		res.Released++
	default:
		return err
	}
	return nil
}
