package payments

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/functions/payments/internal/payment"
	"github.com/buytickets/buytickets/shared/dispatch"
	"github.com/buytickets/buytickets/shared/logging"
)

// This file refunds what is owed (a payment for an order that was
// cancelled), after the commit that made it due, and runs the loop that
// settles refunds as they fall due and sweeps on a timer.

// refund gives p back at Stripe and records it, with its payment.refunded,
// and reports whether it did: not when the refund is no longer due, or
// when this process is making it already. Replicas racing on one refund
// send the same idempotency key, which Stripe answers with one refund.
func (f *Function) refund(ctx context.Context, p payment.Payment) (bool, error) {
	if !f.inflight.Claim(p.ID) {
		return false, nil
	}
	defer f.inflight.Release(p.ID)
	l, err := f.store.Ledger(ctx, p.OrderID)
	if err != nil {
		return false, fmt.Errorf("store.Ledger: %w", err)
	}
	if !slices.ContainsFunc(l.Payments, func(held payment.Payment) bool { return held.ID == p.ID && held.RefundDue() }) {
		return false, nil
	}
	refundID, err := f.stripe.Refund(ctx, p)
	if err != nil {
		return false, fmt.Errorf("gateway.Refund %s of order %s: %w", p.ID, p.OrderID, err)
	}
	done := false
	_, err = f.store.Update(ctx, p.OrderID, func(l *payment.Ledger) ([]event.Event, error) {
		refunded, ok := l.Refunded(p.ID, refundID, f.ft.Now())
		if done = ok; !ok {
			return nil, nil
		}
		ev, err := paymentRefunded(refunded)
		if err != nil {
			return nil, err
		}
		return []event.Event{ev}, nil
	})
	if err != nil {
		return false, fmt.Errorf("store.Update %s: %w", p.OrderID, err)
	}
	return done, nil
}

// refundDue settles every refund owed, a batch at a time, and returns how
// many it settled. It stops at a batch where it settled none: what is left
// is being refunded, or failed and waits for the next sweep.
func (f *Function) refundDue(ctx context.Context) (int, error) {
	settled := 0
	for {
		due, err := f.store.RefundsDue(ctx, sweepBatch)
		if err != nil {
			return settled, fmt.Errorf("store.RefundsDue: %w", err)
		}
		var errs []error
		progress := 0
		for _, p := range due {
			switch done, err := f.refund(ctx, p); {
			case err != nil:
				errs = append(errs, err)
			case done:
				progress++
			}
		}
		settled += progress
		if len(errs) > 0 || len(due) < sweepBatch || progress == 0 {
			return settled, errors.Join(errs...)
		}
	}
}

// wakeRefunds wakes Run to settle the refunds due; it never blocks.
func (f *Function) wakeRefunds() { f.refunds.Notify() }

// runRefunds runs until ctx ends: it settles the refunds due whenever a commit
// wakes it (and once at the start, for what an earlier process left), and
// sweeps every sweepEvery if that is set. A failure is logged and left for
// the sweep, with no backoff: the next commit or sweep tries again.
func (f *Function) runRefunds(ctx context.Context) {
	dispatch.Loop{
		Name: "refunds",
		Round: func(ctx context.Context) (time.Duration, error) {
			if _, err := f.refundDue(ctx); err != nil && ctx.Err() == nil {
				logging.FromContext(ctx).WarnContext(ctx, "refunds not settled, left for the sweep", slog.Any("error", err))
			}
			return dispatch.Idle, nil
		},
		Wake:  f.refunds,
		Every: f.sweepEvery,
		Tick: func(ctx context.Context) {
			if res, err := f.sweep(ctx); err != nil && ctx.Err() == nil {
				logging.FromContext(ctx).WarnContext(ctx, "payments sweep incomplete", slog.Any("result", res), slog.Any("error", err))
			}
		},
	}.Run(ctx)
}
