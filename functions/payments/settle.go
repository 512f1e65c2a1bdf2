package payments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stripe/stripe-go/v76"

	"github.com/buytickets/buytickets/functions/payments/internal/gateway"
	"github.com/buytickets/buytickets/functions/payments/internal/payment"
	"github.com/buytickets/buytickets/shared/logging"
	"github.com/buytickets/buytickets/shared/store"
)

// This file is the work with Stripe that follows a commit: charging a
// claimed order and recording the outcome, refunding what is owed, taking
// Stripe's events, and the sweep that finishes what a request or a process
// left undone. None of it runs inside a transaction.

// sweepBatch is the most claims or refunds one pass works on.
const sweepBatch = 100

// The Stripe event types the webhook acts on.
const (
	stripeIntentSucceeded = "payment_intent.succeeded"
	stripeIntentFailed    = "payment_intent.payment_failed"
)

// charge sends the claim's charge to Stripe and records its outcome: the
// payment when it succeeded; the claim released when Stripe refused it
// (the refusal is returned: a declined card is 402 with Stripe's message).
// When the outcome is unknown, the claim stays for the sweep and the error
// (503) is returned.
func (f *Function) charge(ctx context.Context, c payment.Claim) (payment.Payment, error) {
	ch, err := f.stripe.Charge(ctx, c)
	if err != nil {
		logger := logging.FromContext(ctx).With(slog.String("orderId", c.OrderID), slog.Int("attempt", c.Attempt))
		if gateway.Unknown(err) {
			logger.WarnContext(ctx, "charge outcome unknown, left for the sweep", slog.Any("error", err))
			return payment.Payment{}, fmt.Errorf("gateway.Charge: %w", err)
		}
		logger.InfoContext(ctx, "charge refused", slog.Any("error", err))
		if rerr := f.release(ctx, c); rerr != nil {
			// The claim stays charging; the sweep re-sends the attempt,
			// Stripe refuses it again, and the sweep releases it.
			logger.WarnContext(ctx, "claim not released", slog.Any("error", rerr))
		}
		return payment.Payment{}, fmt.Errorf("gateway.Charge: %w", err)
	}
	return f.record(ctx, c.Attempt, payment.Payment{
		ID: payment.NewID(), OrderID: c.OrderID, StripeID: ch.ID, Method: payment.MethodCharge,
		Amount: ch.Amount, Currency: ch.Currency,
	})
}

// record records p, a successful payment at Stripe made by attempt (0 for
// a PaymentIntent), with its payment.created when the order keeps it, and
// wakes the refunds when it is owed back.
func (f *Function) record(ctx context.Context, attempt int, p payment.Payment) (payment.Payment, error) {
	var rec payment.Recorded
	_, err := f.store.Update(ctx, p.OrderID, func(l *payment.Ledger) ([]event.Event, error) {
		var err error
		if rec, err = l.Record(p, attempt, f.now()); err != nil {
			return nil, err
		}
		return recordedEvents(rec)
	})
	if err != nil {
		return payment.Payment{}, fmt.Errorf("store.Update: %w", err)
	}
	if rec.Payment.RefundDue() {
		f.wakeRefunds()
	}
	return rec.Payment, nil
}

// recordedEvents returns the events of recording a payment: payment.created
// for a new payment the order keeps, none otherwise.
func recordedEvents(rec payment.Recorded) ([]event.Event, error) {
	if !rec.Accepted {
		return nil, nil
	}
	ev, err := paymentCreated(rec.Payment)
	if err != nil {
		return nil, err
	}
	return []event.Event{ev}, nil
}

// release ends the claim's attempt, which Stripe refused without charging.
func (f *Function) release(ctx context.Context, c payment.Claim) error {
	_, err := f.store.Update(ctx, c.OrderID, func(l *payment.Ledger) ([]event.Event, error) {
		l.Release(c.Attempt)
		return nil, nil
	})
	if err != nil {
		return fmt.Errorf("store.Update: %w", err)
	}
	return nil
}

// refund gives p back at Stripe and records it, with its payment.refunded,
// and reports whether it did: not when the refund is no longer due, or
// when this process is making it already. Replicas racing on one refund
// send the same idempotency key, which Stripe answers with one refund.
func (f *Function) refund(ctx context.Context, p payment.Payment) (bool, error) {
	if !f.inflight.claim(p.ID) {
		return false, nil
	}
	defer f.inflight.release(p.ID)
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
		refunded, ok := l.Refunded(p.ID, refundID, f.now())
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

// inflight is the set of refunds this process is making.
type inflight struct {
	mu  sync.Mutex
	ids map[string]bool
}

// claim marks id in flight, or reports false when it already is.
func (s *inflight) claim(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ids[id] {
		return false
	}
	if s.ids == nil {
		s.ids = map[string]bool{}
	}
	s.ids[id] = true
	return true
}

func (s *inflight) release(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.ids, id)
}

// wakeRefunds wakes Run to settle the refunds due; it never blocks.
func (f *Function) wakeRefunds() {
	select {
	case f.refunds <- struct{}{}:
	default: // a wake-up is already due; it will see these refunds too
	}
}

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
	claims, err := f.store.Charging(ctx, f.now().Add(-f.redriveAfter), sweepBatch)
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
	if c.Stale(f.now()) {
		_, err := f.store.Update(ctx, c.OrderID, func(l *payment.Ledger) ([]event.Event, error) {
			l.Abandon(c.Attempt, f.now())
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

// settle runs until ctx ends: it settles the refunds due whenever a commit
// wakes it (and once at the start, for what an earlier process left), and
// sweeps every sweepEvery if that is set.
func (f *Function) settle(ctx context.Context) {
	logger := logging.FromContext(ctx)
	var tick <-chan time.Time
	if f.sweepEvery > 0 {
		t := time.NewTicker(f.sweepEvery)
		defer t.Stop()
		tick = t.C
	}
	f.wakeRefunds()
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.refunds:
			if _, err := f.refundDue(ctx); err != nil && ctx.Err() == nil {
				logger.WarnContext(ctx, "refunds not settled, left for the sweep", slog.Any("error", err))
			}
		case <-tick:
			if res, err := f.sweep(ctx); err != nil && ctx.Err() == nil {
				logger.WarnContext(ctx, "payments sweep incomplete", slog.Any("result", res), slog.Any("error", err))
			}
		}
	}
}

// takeStripeEvent acts on a verified Stripe event: a PaymentIntent that
// succeeded is recorded as a payment of the order its metadata names, once
// however often Stripe sends the event; a failed one is logged; other
// types are ignored.
func (f *Function) takeStripeEvent(ctx context.Context, ev stripe.Event) error {
	logger := logging.FromContext(ctx).With(slog.String("stripeEvent", ev.ID), slog.String("type", string(ev.Type)))
	if ev.Type != stripeIntentSucceeded && ev.Type != stripeIntentFailed {
		logger.DebugContext(ctx, "Stripe event ignored")
		return nil
	}
	var pi stripe.PaymentIntent
	if ev.Data == nil || json.Unmarshal(ev.Data.Raw, &pi) != nil || pi.ID == "" {
		return ErrBadEvent.With(fmt.Errorf("event %s: no PaymentIntent", ev.ID))
	}
	orderID := pi.Metadata["orderId"]
	logger = logger.With(slog.String("paymentIntent", pi.ID), slog.String("orderId", orderID))
	if ev.Type == stripeIntentFailed {
		code := ""
		if pi.LastPaymentError != nil {
			code = string(pi.LastPaymentError.Code) + " " + string(pi.LastPaymentError.DeclineCode)
		}
		logger.InfoContext(ctx, "PaymentIntent payment failed", slog.String("code", code))
		return nil
	}
	if !store.ValidID(orderID) {
		logger.ErrorContext(ctx, "PaymentIntent succeeded for no order; settle it in the Stripe dashboard")
		return nil
	}
	return f.intentSucceeded(ctx, ev, pi, logger)
}

// intentSucceeded records the payment of pi, whose success ev reports,
// with the receipt of ev.
func (f *Function) intentSucceeded(ctx context.Context, ev stripe.Event, pi stripe.PaymentIntent, logger *slog.Logger) error {
	amount := pi.AmountReceived
	if amount == 0 {
		amount = pi.Amount
	}
	p := payment.Payment{
		ID: payment.NewID(), OrderID: pi.Metadata["orderId"], StripeID: pi.ID, Method: payment.MethodIntent,
		Amount: payment.Cents(amount), Currency: string(pi.Currency),
	}
	var rec payment.Recorded
	known := false
	duplicate, _, err := f.store.TakeWebhook(ctx, ev.ID, string(ev.Type), p.OrderID, f.now(), func(l *payment.Ledger) ([]event.Event, error) {
		rec, known = payment.Recorded{}, l.Order != nil
		if !known {
			return nil, nil
		}
		var err error
		if rec, err = l.Record(p, 0, f.now()); err != nil {
			return nil, err
		}
		return recordedEvents(rec)
	})
	switch {
	case err != nil:
		return fmt.Errorf("store.TakeWebhook: %w", err)
	case duplicate:
		logger.InfoContext(ctx, "Stripe event taken before, ignored")
	case !known:
		logger.ErrorContext(ctx, "PaymentIntent succeeded for an unknown order; settle it in the Stripe dashboard")
	case rec.Payment.RefundDue():
		f.wakeRefunds()
	}
	return nil
}
