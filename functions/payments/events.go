package payments

import (
	"context"
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/banlist"
	"github.com/buytickets/buytickets/eventing/receive"
	"github.com/buytickets/buytickets/functions/payments/internal/payment"
	"github.com/buytickets/buytickets/shared/store"
)

// receiver applies one delivered event in the transaction that records its
// receipt (receive.Handler): the order events update the replica, and a
// cancellation makes the order's payments owed back; user.banned and
// user.unbanned keep the ban list its API consults.
func (f *Function) receiver() receive.Func {
	return receive.OrderEvents(f.receiveOrderCreated, f.receiveOrderCancelled, f.receiveOrderCompleted,
		banlist.Routes(banlist.Hooks{})...)
}

func (f *Function) receiveOrderCreated(ctx context.Context, tx store.Tx, ev event.Event, p eventing.OrderCreated) error {
	o, err := payment.NewOrder(p.ID, p.UserID, p.Ticket.Price, p.ExpiresAt)
	if err != nil {
		return eventing.Undecodable(ev, err)
	}
	return f.mirror(ctx, tx, ev, o.ID, func(*payment.Order) (payment.Order, error) { return o, nil })
}

func (f *Function) receiveOrderCancelled(ctx context.Context, tx store.Tx, ev event.Event, p eventing.OrderCancelled) error {
	return f.mirror(ctx, tx, ev, p.ID, withStatus(ev, payment.Cancelled))
}

func (f *Function) receiveOrderCompleted(ctx context.Context, tx store.Tx, ev event.Event, p eventing.OrderCompleted) error {
	return f.mirror(ctx, tx, ev, p.ID, withStatus(ev, payment.Complete))
}

// afterEvent runs after an event took effect: the outbox relay sends what
// it recorded, and refunds that a cancellation made due are settled.
func (f *Function) afterEvent() {
	f.ft.Box.Notify()
	f.wakeRefunds()
}

// nextFunc returns the order the replica holds after an event, given the
// one it holds now (nil when none).
type nextFunc func(held *payment.Order) (payment.Order, error)

// withStatus returns the held order in status, for ev: an event that
// changes an order the replica must already hold.
func withStatus(ev event.Event, status payment.Status) nextFunc {
	return func(held *payment.Order) (payment.Order, error) {
		if held == nil {
			return payment.Order{}, eventing.Undecodable(ev, fmt.Errorf("%s at version 0", ev.Type()))
		}
		return held.InStatus(status), nil
	}
}

// mirror makes next's order the replica's order id at ev's entityversion
// when that is the version after the one it holds (or 0 when it holds
// none): an older or equal version is ignored, a later one is
// receive.ErrTooEarly (409, redelivered later).
func (f *Function) mirror(ctx context.Context, tx store.Tx, ev event.Event, id string, next nextFunc) error {
	version, err := eventing.EntityVersion(ev)
	if err != nil {
		return err
	}
	if !store.ValidID(id) {
		return eventing.Undecodable(ev, fmt.Errorf("order id %q cannot name a document", id))
	}
	_, err = f.store.UpdateTx(ctx, tx, id, func(l *payment.Ledger) ([]event.Event, error) {
		var held payment.Order
		if l.Order != nil {
			held = *l.Order
		}
		apply, err := receive.InOrder(ev, held.Version, l.Order != nil)
		if err != nil || !apply {
			return nil, err
		}
		o, err := next(l.Order)
		if err != nil {
			return nil, err
		}
		l.Mirror(o, version, f.ft.Now())
		return nil, nil
	})
	if err != nil {
		return fmt.Errorf("store.UpdateTx %s: %w", id, err)
	}
	return nil
}

// paymentCreated returns the payment.created event of a payment the order
// keeps.
func paymentCreated(p payment.Payment) (event.Event, error) {
	ev, err := eventing.NewPaymentCreated(eventing.PaymentCreated{
		ID: p.ID, OrderID: p.OrderID, StripeID: p.StripeID, Amount: int64(p.Amount), Currency: p.Currency,
	})
	if err != nil {
		return event.Event{}, fmt.Errorf("eventing.NewPaymentCreated: %w", err)
	}
	return ev, nil
}

// paymentRefunded returns the payment.refunded event of a payment given
// back.
func paymentRefunded(p payment.Payment) (event.Event, error) {
	ev, err := eventing.NewPaymentRefunded(eventing.PaymentRefunded{
		ID: p.ID, OrderID: p.OrderID, StripeID: p.StripeID, Amount: int64(p.Amount), Currency: p.Currency,
		Reason: string(p.Refund.Reason),
	})
	if err != nil {
		return event.Event{}, fmt.Errorf("eventing.NewPaymentRefunded: %w", err)
	}
	return ev, nil
}
