package payments

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/cloudevents/sdk-go/v2/event"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/buytickets/buytickets/functions/payments/internal/gateway"
	"github.com/buytickets/buytickets/functions/payments/internal/payment"
	"github.com/buytickets/buytickets/shared/logging"
)

// This file charges a claimed order with Stripe once the claim has
// committed, and records the outcome; none of it runs inside a transaction.

// charge sends the claim's charge to Stripe and records its outcome: the
// payment when it succeeded; the claim released when Stripe refused it
// (the refusal is returned: a declined card is 402 with Stripe's message).
// When the outcome is unknown, the claim stays for the sweep and the error
// (503) is returned.
func (f *Function) charge(ctx context.Context, c payment.Claim) (payment.Payment, error) {
	ch, err := f.stripe.Charge(ctx, c)
	if err != nil {
		f.failed(ctx, payment.MethodCharge, gateway.Reason(err))
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

// failed counts a payment by method that failed for reason.
func (f *Function) failed(ctx context.Context, method payment.Method, reason string) {
	f.failures.Add(ctx, 1, metric.WithAttributes(attribute.String("method", string(method)), attribute.String("reason", reason)))
}

// record records p, a successful payment at Stripe made by attempt (0 for
// a PaymentIntent), with its payment.created when the order keeps it, and
// wakes the refunds when it is owed back.
func (f *Function) record(ctx context.Context, attempt int, p payment.Payment) (payment.Payment, error) {
	var rec payment.Recorded
	_, err := f.store.Update(ctx, p.OrderID, func(l *payment.Ledger) ([]event.Event, error) {
		var err error
		if rec, err = l.Record(p, attempt, f.ft.Now()); err != nil {
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
