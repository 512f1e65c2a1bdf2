package payments

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/functions/payments/internal/gateway"
	"github.com/buytickets/buytickets/functions/payments/internal/payment"
	"github.com/buytickets/buytickets/shared/logging"
	"github.com/buytickets/buytickets/shared/store"
)

// This file takes Stripe's webhook events: a PaymentIntent that succeeded
// becomes the order's payment, and a charge refunded in full at Stripe
// undoes it (payment.refunded), once however often Stripe sends them.

// takeStripeEvent acts on a verified Stripe event: a PaymentIntent that
// succeeded is recorded as a payment of the order its metadata names, once
// however often Stripe sends the event; a failed one is logged; a charge
// refunded at Stripe is recorded with its payment.refunded; other types are
// ignored.
func (f *Function) takeStripeEvent(ctx context.Context, ev gateway.Event) error {
	logger := logging.FromContext(ctx).With(slog.String("stripeEvent", ev.ID), slog.String("type", ev.Type))
	if ev.Refund != nil {
		return f.chargeRefunded(ctx, ev, *ev.Refund, logger.With(slog.String("charge", ev.Refund.ChargeID)))
	}
	pi := ev.Intent
	if pi == nil {
		logger.DebugContext(ctx, "Stripe event ignored")
		return nil
	}
	logger = logger.With(slog.String("paymentIntent", pi.ID), slog.String("orderId", pi.OrderID))
	if !pi.Succeeded {
		logger.InfoContext(ctx, "PaymentIntent payment failed", slog.String("code", pi.FailureCode))
		f.failed(ctx, payment.MethodIntent, cmp.Or(strings.TrimSpace(pi.FailureCode), "unknown"))
		return nil
	}
	if !store.ValidID(pi.OrderID) {
		logger.ErrorContext(ctx, "PaymentIntent succeeded for no order; settle it in the Stripe dashboard")
		return nil
	}
	return f.intentSucceeded(ctx, ev, *pi, logger)
}

// intentSucceeded records the payment of pi, whose success ev reports,
// with the receipt of ev.
func (f *Function) intentSucceeded(ctx context.Context, ev gateway.Event, pi gateway.IntentOutcome, logger *slog.Logger) error {
	p := payment.Payment{
		ID: payment.NewID(), OrderID: pi.OrderID, StripeID: pi.ID, Method: payment.MethodIntent,
		Amount: pi.Amount, Currency: pi.Currency,
	}
	var rec payment.Recorded
	known := false
	duplicate, _, err := f.store.TakeWebhook(ctx, ev.ID, ev.Type, p.OrderID, f.ft.Now(), func(l *payment.Ledger) ([]event.Event, error) {
		rec, known = payment.Recorded{}, l.Order != nil
		if !known {
			return nil, nil
		}
		var err error
		if rec, err = l.Record(p, 0, f.ft.Now()); err != nil {
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

// chargeRefunded records that Stripe gave back, in full, the payment of
// the charge r, and publishes its payment.refunded: the buyer has their
// money back, so the sale is undone (the e-ticket is revoked, the buyer
// told). A refund payments made itself is known already and changes
// nothing; a partial one leaves the sale standing.
func (f *Function) chargeRefunded(ctx context.Context, ev gateway.Event, r gateway.ChargeRefund, logger *slog.Logger) error {
	if !r.Full {
		logger.InfoContext(ctx, "charge partly refunded at Stripe; the sale stands")
		return nil
	}
	p, found, err := f.store.PaymentAt(ctx, r.IntentID, r.ChargeID)
	if err != nil {
		return fmt.Errorf("store.PaymentAt: %w", err)
	}
	if !found {
		logger.WarnContext(ctx, "Stripe refunded a charge of no payment held here; settle it in the Stripe dashboard")
		return nil
	}
	var refunded bool
	duplicate, _, err := f.store.TakeWebhook(ctx, ev.ID, ev.Type, p.OrderID, f.ft.Now(), func(l *payment.Ledger) ([]event.Event, error) {
		var undone payment.Payment
		if undone, refunded = l.RefundedAtStripe(p.StripeID, r.RefundID, f.ft.Now()); !refunded {
			return nil, nil
		}
		ev, err := paymentRefunded(undone)
		if err != nil {
			return nil, err
		}
		return []event.Event{ev}, nil
	})
	switch {
	case err != nil:
		return fmt.Errorf("store.TakeWebhook: %w", err)
	case duplicate:
		logger.InfoContext(ctx, "Stripe event taken before, ignored")
	case refunded:
		logger.InfoContext(ctx, "payment refunded at Stripe", slog.String("orderId", p.OrderID), slog.String("paymentId", p.ID))
	}
	return nil
}
