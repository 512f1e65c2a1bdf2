package orders

import (
	"context"
	"fmt"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/receive"
	"github.com/buytickets/buytickets/functions/orders/internal/order"
	"github.com/buytickets/buytickets/functions/orders/internal/ticket"
	"github.com/buytickets/buytickets/shared/apperr"
	"github.com/buytickets/buytickets/shared/store"
)

// errUnexpectedType refuses an event of a type no Trigger of orders
// selects: a misrouted event, for the dead-letter sink.
var errUnexpectedType = apperr.New(apperr.Invalid, "Unexpected event type")

// receiveEvent applies one delivered event in the transaction that records
// its receipt (receive.Handler): the tickets' events update the replica,
// expiration.completed cancels an unpaid order and payment.created
// completes a paid one.
func (f *Function) receiveEvent(ctx context.Context, tx store.Tx, ev event.Event) error {
	switch ev.Type() {
	case eventing.TypeTicketCreated:
		var p eventing.TicketCreated
		if err := eventing.Decode(ev, &p); err != nil {
			return err
		}
		t, err := ticket.New(p.ID, p.Title, p.Price, p.UserID, ticket.Available, p.CreatedAt)
		if err != nil {
			return undecodable(ev, err)
		}
		return f.mirrorTicket(tx, ev, t)
	case eventing.TypeTicketUpdated:
		var p eventing.TicketUpdated
		if err := eventing.Decode(ev, &p); err != nil {
			return err
		}
		t, err := ticket.New(p.ID, p.Title, p.Price, p.UserID, p.Status, time.Time{})
		if err != nil {
			return undecodable(ev, err)
		}
		return f.mirrorTicket(tx, ev, t)
	case eventing.TypeExpirationCompleted:
		var p eventing.ExpirationCompleted
		if err := eventing.Decode(ev, &p); err != nil {
			return err
		}
		return f.settleOrder(tx, ev, p.OrderID, f.expire(f.now()))
	case eventing.TypePaymentCreated:
		var p eventing.PaymentCreated
		if err := eventing.Decode(ev, &p); err != nil {
			return err
		}
		return f.settleOrder(tx, ev, p.OrderID, f.complete())
	default:
		return fmt.Errorf("%w: %s", errUnexpectedType, ev.Type())
	}
}

// mirrorTicket makes t the replica's ticket at ev's entityversion when that
// is the version after the one it holds (or 0 when it holds none): an older
// or equal version is ignored, a later one is receive.ErrTooEarly (409,
// redelivered later). The ticket's reservation is not touched.
func (f *Function) mirrorTicket(tx store.Tx, ev event.Event, t ticket.Ticket) error {
	version, err := eventing.EntityVersion(ev)
	if err != nil {
		return err
	}
	if !store.ValidID(t.ID) {
		return undecodable(ev, fmt.Errorf("ticket id %q cannot name a document", t.ID))
	}
	if t, err = t.At(version); err != nil {
		return undecodable(ev, err)
	}
	err = f.store.ApplyTicket(tx, t.ID, func(held ticket.Ticket, holds bool) (ticket.Ticket, bool, error) {
		apply, err := receive.InOrder(ev, held.Version, holds)
		if err != nil || !apply {
			return ticket.Ticket{}, false, err
		}
		if t.CreatedAt.IsZero() {
			t.CreatedAt = held.CreatedAt // ticket.updated does not carry it
		}
		return t, true, nil
	})
	if err != nil {
		return fmt.Errorf("store.ApplyTicket %s: %w", t.ID, err)
	}
	return nil
}

// undecodable classifies err, about ev's data, as eventing.ErrUndecodable:
// 400, for the dead-letter sink, since no redelivery would change it.
func undecodable(ev event.Event, err error) error {
	return eventing.ErrUndecodable.With(fmt.Errorf("%s %s: %w", ev.Type(), ev.ID(), err))
}

// orderCreated returns the order.created event of a new order.
func orderCreated(o *order.Order) (event.Event, error) {
	it := o.Item()
	ev, err := eventing.NewOrderCreated(eventing.OrderCreated{
		ID:        o.ID(),
		Version:   o.Version(),
		Status:    string(o.Status()),
		UserID:    o.UserID(),
		ExpiresAt: o.ExpiresAt(),
		Ticket:    eventing.OrderCreatedTicket{ID: it.TicketID, Price: it.Price.Dollars(), Reservation: o.Reservation()},
	})
	if err != nil {
		return event.Event{}, fmt.Errorf("eventing.NewOrderCreated: %w", err)
	}
	return ev, nil
}

// orderCancelled returns the order.cancelled event of a cancelled order.
func orderCancelled(o *order.Order) (event.Event, error) {
	ev, err := eventing.NewOrderCancelled(eventing.OrderCancelled{
		ID:      o.ID(),
		Version: o.Version(),
		Reason:  string(o.CancelReason()),
		Ticket:  eventing.OrderCancelledTicket{ID: o.Item().TicketID, Reservation: o.Reservation()},
	})
	if err != nil {
		return event.Event{}, fmt.Errorf("eventing.NewOrderCancelled: %w", err)
	}
	return ev, nil
}
