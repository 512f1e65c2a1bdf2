package payouts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/functions/payouts/internal/gateway"
	"github.com/buytickets/buytickets/functions/payouts/internal/payout"
	"github.com/buytickets/buytickets/shared/dispatch"
	"github.com/buytickets/buytickets/shared/logging"
)

// This file releases payouts: it claims one in a transaction, sends its
// transfer after commit, and records the outcome in a second transaction;
// it reverses the transfers owed back; and it runs the loop and the sweep
// that find that work.

// batch is the most payouts one pass works on.
const batch = 100

// SweepResult counts what one sweep (or round of the release loop) did.
type SweepResult struct {
	// Released counts the payouts sent.
	Released int `json:"released"`
	// Redriven counts the transfers sent again under their key.
	Redriven int `json:"redriven"`
	// Waiting counts the payouts due whose seller's account is not ready.
	Waiting int `json:"waiting"`
	// Refused counts the transfers Stripe refused.
	Refused int `json:"refused"`
	// Reversed counts the transfers taken back.
	Reversed int `json:"reversed"`
}

// outcome is what became of one payout's release.
type outcome int

const (
	untouched outcome = iota // not releasable, or settled by another
	released
	waiting
	refused
)

// release releases the payout of orderID if it is due: it claims it, then
// sends its transfer (release of a claim).
func (f *Function) release(ctx context.Context, orderID string) (outcome, error) {
	if !f.inflight.Claim(orderID) {
		return untouched, nil
	}
	defer f.inflight.Release(orderID)
	var t payout.Transfer
	var claimed, await bool
	err := f.store.Update(ctx, orderID, func(l *payout.Ledger, seller *payout.Account) ([]event.Event, error) {
		claimed, await = false, false
		if !l.Releasable(f.ft.Now()) {
			return nil, nil
		}
		if !seller.Ready() {
			l.Await(payout.AwaitingOnboarding)
			await = true
			return nil, nil
		}
		t, claimed = l.Claim(seller.AccountID, f.ft.Now()), true
		return nil, nil
	})
	switch {
	case err != nil:
		return untouched, fmt.Errorf("store.Update %s: %w", orderID, err)
	case await:
		return waiting, nil
	case !claimed:
		return untouched, nil
	}
	return f.transfer(ctx, t)
}

// transfer sends t, the claimed transfer of a payout, and records its
// outcome: the payout paid with its payout.released, or, when Stripe
// refused it, the claim ended so that a later attempt tries again. When
// the outcome is unknown, the claim stays for the sweep to re-drive.
func (f *Function) transfer(ctx context.Context, t payout.Transfer) (outcome, error) {
	logger := logging.FromContext(ctx).With(slog.String("orderId", t.OrderID), slog.String("payoutId", t.PayoutID), slog.String("idempotencyKey", t.Key))
	transferID, err := f.stripe.Transfer(ctx, t)
	if err != nil && gateway.Refused(err) {
		logger.WarnContext(ctx, "transfer refused, to be tried again later", slog.Any("error", err))
		if rerr := f.store.Update(ctx, t.OrderID, func(l *payout.Ledger, _ *payout.Account) ([]event.Event, error) {
			l.TransferRefused(t, f.ft.Now())
			return nil, nil
		}); rerr != nil {
			return untouched, fmt.Errorf("store.Update %s: %w", t.OrderID, rerr)
		}
		return refused, nil
	}
	if err != nil {
		return untouched, fmt.Errorf("gateway.Transfer %s: %w", t.Key, err)
	}
	var reverse bool
	err = f.store.Update(ctx, t.OrderID, func(l *payout.Ledger, _ *payout.Account) ([]event.Event, error) {
		if !l.Transferred(t, transferID, f.ft.Now()) {
			return nil, nil
		}
		reverse = l.ReversalDue()
		return payoutReleased(l.Payout)
	})
	if err != nil {
		return untouched, fmt.Errorf("store.Update %s: %w", t.OrderID, err)
	}
	logger.InfoContext(ctx, "payout released", slog.String("transferId", transferID))
	if reverse {
		f.wake.Notify()
	}
	return released, nil
}

// redrive sends again, with the same key, the transfer of the payout of
// orderID whose claim has no recorded outcome, so that Stripe answers the
// one transfer it made (or makes it now), and records the outcome.
func (f *Function) redrive(ctx context.Context, orderID string) (outcome, error) {
	if !f.inflight.Claim(orderID) {
		return untouched, nil
	}
	defer f.inflight.Release(orderID)
	l, err := f.store.Ledger(ctx, orderID)
	if err != nil {
		return untouched, fmt.Errorf("store.Ledger %s: %w", orderID, err)
	}
	t, ok := l.InFlight()
	if !ok || l.Payout.ReleasingAt.After(f.ft.Now().Add(-f.redriveAfter)) {
		return untouched, nil
	}
	return f.transfer(ctx, t)
}

// reverse takes back the transfer of the payout of orderID, whose sale was
// refunded after the payout was sent, and records it.
func (f *Function) reverse(ctx context.Context, orderID string) (bool, error) {
	if !f.inflight.Claim(orderID) {
		return false, nil
	}
	defer f.inflight.Release(orderID)
	l, err := f.store.Ledger(ctx, orderID)
	if err != nil {
		return false, fmt.Errorf("store.Ledger %s: %w", orderID, err)
	}
	if !l.ReversalDue() {
		return false, nil
	}
	p := l.Payout
	reversalID, err := f.stripe.Reverse(ctx, p.TransferID, p.ReversalKey(), map[string]string{"payoutId": p.ID, "orderId": p.OrderID})
	if err != nil {
		return false, fmt.Errorf("gateway.Reverse %s: %w", p.ReversalKey(), err)
	}
	done := false
	err = f.store.Update(ctx, orderID, func(l *payout.Ledger, _ *payout.Account) ([]event.Event, error) {
		done = l.Reversed(reversalID, f.ft.Now())
		return nil, nil
	})
	if err != nil {
		return false, fmt.Errorf("store.Update %s: %w", orderID, err)
	}
	if done {
		logging.FromContext(ctx).InfoContext(ctx, "payout reversed", slog.String("orderId", orderID), slog.String("reversalId", reversalID))
	}
	return done, nil
}

// settle releases the payouts due and reverses the transfers owed back,
// a batch of each, and counts what it did in res.
func (f *Function) settle(ctx context.Context, res *SweepResult) error {
	var errs []error
	due, err := f.store.Due(ctx, f.ft.Now(), batch)
	errs = append(errs, err)
	for _, id := range due {
		o, err := f.release(ctx, id)
		res.count(o)
		errs = append(errs, err)
	}
	owed, err := f.store.ReversalsDue(ctx, batch)
	errs = append(errs, err)
	for _, id := range owed {
		done, err := f.reverse(ctx, id)
		if done {
			res.Reversed++
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (res *SweepResult) count(o outcome) {
	switch o {
	case released:
		res.Released++
	case waiting:
		res.Waiting++
	case refused:
		res.Refused++
	}
}

// sweep re-drives the claims older than RedriveAfter, then settles.
func (f *Function) sweep(ctx context.Context) (SweepResult, error) {
	var res SweepResult
	var errs []error
	stale, err := f.store.Releasing(ctx, f.ft.Now().Add(-f.redriveAfter), batch)
	errs = append(errs, err)
	for _, id := range stale {
		o, err := f.redrive(ctx, id)
		if o != untouched {
			res.Redriven++
		}
		res.count(o)
		errs = append(errs, err)
	}
	errs = append(errs, f.settle(ctx, &res))
	return res, errors.Join(errs...)
}

// maxWait bounds how long the release loop sleeps before looking again,
// so that a clock that jumps (or a payout another replica made due) is
// seen within it.
const maxWait = time.Minute

// minWait is the shortest pause between rounds that found work left.
const minWait = 50 * time.Millisecond

// runReleases runs until ctx ends: it settles what is due whenever a
// commit wakes it, when the next payout falls due, and at the start; and
// sweeps every sweepEvery if that is set.
func (f *Function) runReleases(ctx context.Context) {
	dispatch.Loop{
		Name: "payouts release",
		Round: func(ctx context.Context) (time.Duration, error) {
			var res SweepResult
			if err := f.settle(ctx, &res); err != nil {
				return 0, err
			}
			next, ok, err := f.store.NextDue(ctx)
			if err != nil || !ok {
				return maxWait, err
			}
			// Not at once for one due still: another goroutine holds it.
			return min(max(next.Sub(f.ft.Now()), minWait), maxWait), nil
		},
		Wake:    f.wake,
		Backoff: dispatch.Backoff{Min: time.Second, Max: maxWait},
		Every:   f.sweepEvery,
		Tick: func(ctx context.Context) {
			if res, err := f.sweep(ctx); err != nil && ctx.Err() == nil {
				logging.FromContext(ctx).WarnContext(ctx, "payouts sweep incomplete", slog.Any("result", res), slog.Any("error", err))
			}
		},
	}.Run(ctx)
}
