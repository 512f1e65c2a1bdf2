package payments

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stripe/stripe-go/v76"

	"github.com/buytickets/buytickets/functions/payments/internal/payment"
	"github.com/buytickets/buytickets/shared/logging"
	"github.com/buytickets/buytickets/shared/store"
)

// This file takes Stripe's webhook events: a PaymentIntent that succeeded
// becomes the order's payment, once however often Stripe sends it.

// The Stripe event types the webhook acts on.
const (
	stripeIntentSucceeded = "payment_intent.succeeded"
	stripeIntentFailed    = "payment_intent.payment_failed"
)

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
