package orders

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/functions/orders/internal/order"
	"github.com/buytickets/buytickets/functions/orders/internal/reservation"
	ordersstore "github.com/buytickets/buytickets/functions/orders/internal/store"
	"github.com/buytickets/buytickets/functions/orders/internal/ticket"
	"github.com/buytickets/buytickets/shared/apperr"
	"github.com/buytickets/buytickets/shared/store"
)

// errUnknownOrder refuses an event about an order orders never wrote:
// expiration and payments learn of orders only from orders' own events, so
// no redelivery would make it known.
var errUnknownOrder = apperr.New(apperr.Invalid, "Unknown order")

// settleOrder applies update to the order an event names, in the event's
// transaction.
func (f *Function) settleOrder(ctx context.Context, tx store.Tx, ev event.Event, orderID string, update ordersstore.UpdateFunc) error {
	if !order.ValidID(orderID) {
		return eventing.Undecodable(ev, fmt.Errorf("order id %q", orderID))
	}
	_, err := f.store.UpdateOrderTx(ctx, tx, orderID, f.metrics.countingOnCommit(ctx, update))
	if errors.Is(err, order.ErrNotFound) {
		return fmt.Errorf("%w: %s", errUnknownOrder, orderID)
	}
	return err
}

// expire cancels a created order whose window has passed (reason expired),
// gives its ticket back and makes its order.cancelled. A complete or
// already cancelled order is left as it is: a paid order is never undone
// by a late expiry.
func (f *Function) expire(now time.Time) ordersstore.UpdateFunc {
	return func(o *order.Order, r *reservation.Reservation) ([]event.Event, error) {
		return cancel(o, r, order.ReasonExpired, now)
	}
}

// complete marks a created order paid by p at now and makes its order.completed;
// the ticket stays held by it, now sold. A cancelled order stays cancelled
// (payments refunds the payment) and a complete one is left as it is. A
// payment of another amount or currency than the order's is refused
// (order.ErrPaymentMismatch), for the dead-letter sink.
func (f *Function) complete(p eventing.PaymentCreated, now time.Time) ordersstore.UpdateFunc {
	return func(o *order.Order, _ *reservation.Reservation) ([]event.Event, error) {
		switch err := o.Pay(ticket.Cents(p.Amount), p.Currency, now); {
		case errors.Is(err, order.ErrAlreadyComplete), errors.Is(err, order.ErrCancelled):
			return nil, nil
		case err != nil:
			return nil, err
		}
		it := o.Item()
		ev, err := eventing.NewOrderCompleted(eventing.OrderCompleted{
			ID:         o.ID(),
			Version:    o.Version(),
			UserID:     o.UserID(),
			BuyerEmail: o.BuyerEmail(),
			SellerID:   it.SellerID,
			Ticket: eventing.OrderCompletedTicket{
				ID: it.TicketID, Title: it.Title, Price: it.Price.Dollars(), Reservation: o.Reservation(),
				ResaleOf: it.ResaleOf, Event: eventData(it.Event), Seat: seatData(it.Seat),
			},
		})
		if err != nil {
			return nil, fmt.Errorf("eventing.NewOrderCompleted: %w", err)
		}
		return []event.Event{ev}, nil
	}
}
