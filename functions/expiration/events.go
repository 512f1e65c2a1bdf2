package expiration

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/functions/expiration/internal/expiry"
	"github.com/buytickets/buytickets/shared/apperr"
	"github.com/buytickets/buytickets/shared/scheduler"
	"github.com/buytickets/buytickets/shared/store"
)

// errUnexpectedType refuses an event of a type no Trigger of expiration
// selects: a misrouted event, for the dead-letter sink.
var errUnexpectedType = apperr.New(apperr.Invalid, "Unexpected event type")

// receiveEvent applies one delivered event in the transaction that records
// its receipt (receive.Handler): order.created schedules the order's task,
// order.cancelled and order.completed cancel it.
func (f *Function) receiveEvent(ctx context.Context, tx store.Tx, ev event.Event) error {
	switch ev.Type() {
	case eventing.TypeOrderCreated:
		var p eventing.OrderCreated
		if err := eventing.Decode(ev, &p); err != nil {
			return err
		}
		e, err := expiry.New(p.ID, p.Ticket.Reservation, p.ExpiresAt)
		if err != nil {
			return undecodable(ev, err)
		}
		return f.scheduleExpiry(tx, e)
	case eventing.TypeOrderCancelled:
		var p eventing.OrderCancelled
		if err := eventing.Decode(ev, &p); err != nil {
			return err
		}
		return f.closeExpiry(tx, ev, p.ID)
	case eventing.TypeOrderCompleted:
		var p eventing.OrderCompleted
		if err := eventing.Decode(ev, &p); err != nil {
			return err
		}
		return f.closeExpiry(tx, ev, p.ID)
	default:
		return fmt.Errorf("%w: %s", errUnexpectedType, ev.Type())
	}
}

// scheduleExpiry records e and schedules its task in tx, unless expiration
// already knows the order: scheduled by an earlier order.created, or
// closed before this one arrived.
func (f *Function) scheduleExpiry(tx store.Tx, e *expiry.Expiry) error {
	_, known, err := f.store.ExpiryTx(tx, e.OrderID())
	if err != nil || known {
		return err
	}
	task, err := f.task(e)
	if err != nil {
		return err
	}
	if err := f.store.PutTx(tx, e); err != nil {
		return err
	}
	return f.tasks.ScheduleTx(tx, task)
}

// closeExpiry closes the expiry of orderID in tx and cancels its task;
// an order not yet scheduled is recorded closed, so its order.created,
// should it arrive later, schedules nothing.
func (f *Function) closeExpiry(tx store.Tx, ev event.Event, orderID string) error {
	if !expiry.ValidOrderID(orderID) {
		return undecodable(ev, fmt.Errorf("order id %q", orderID))
	}
	e, known, err := f.store.ExpiryTx(tx, orderID)
	if err != nil {
		return err
	}
	if !known {
		closed, err := expiry.NewClosed(orderID)
		if err != nil {
			return err
		}
		return f.store.PutTx(tx, closed)
	}
	if !e.Close() {
		return nil
	}
	if err := f.store.PutTx(tx, e); err != nil {
		return err
	}
	return f.tasks.CancelTx(tx, e.TaskName())
}

// task returns the task that expires e at its expiresAt.
func (f *Function) task(e *expiry.Expiry) (scheduler.Task, error) {
	body, err := json.Marshal(expireRequest{OrderID: e.OrderID()})
	if err != nil {
		return scheduler.Task{}, fmt.Errorf("expiration: task body: %w", err)
	}
	return scheduler.Task{Name: e.TaskName(), URL: f.taskURL, Body: body, At: e.ExpiresAt()}, nil
}

// undecodable classifies err, about ev's data, as eventing.ErrUndecodable:
// 400, for the dead-letter sink, since no redelivery would change it.
func undecodable(ev event.Event, err error) error {
	return eventing.ErrUndecodable.With(fmt.Errorf("%s %s: %w", ev.Type(), ev.ID(), err))
}
