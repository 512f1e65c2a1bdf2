package expiration

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/receive"
	"github.com/buytickets/buytickets/functions/expiration/internal/expiry"
	"github.com/buytickets/buytickets/shared/scheduler"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/tracing"
)

// receiver applies one delivered event in the transaction that records its
// receipt (receive.Handler): order.created schedules the order's task,
// order.cancelled and order.completed cancel it.
func (f *Function) receiver() receive.Func {
	return receive.OrderEvents(f.receiveOrderCreated, f.receiveOrderCancelled, f.receiveOrderCompleted)
}

func (f *Function) receiveOrderCancelled(_ context.Context, tx store.Tx, ev event.Event, p eventing.OrderCancelled) error {
	return f.closeExpiry(tx, ev, p.ID)
}

func (f *Function) receiveOrderCompleted(_ context.Context, tx store.Tx, ev event.Event, p eventing.OrderCompleted) error {
	return f.closeExpiry(tx, ev, p.ID)
}

func (f *Function) receiveOrderCreated(ctx context.Context, tx store.Tx, ev event.Event, p eventing.OrderCreated) error {
	e, err := expiry.New(p.ID, p.Ticket.Reservation, p.ExpiresAt)
	if err != nil {
		return eventing.Undecodable(ev, err)
	}
	return f.scheduleExpiry(ctx, tx, e)
}

// scheduleExpiry records e and schedules its task in tx, unless expiration
// already knows the order: scheduled by an earlier order.created, or
// closed before this one arrived. The task's call continues the trace of
// ctx.
func (f *Function) scheduleExpiry(ctx context.Context, tx store.Tx, e *expiry.Expiry) error {
	_, known, err := f.store.ExpiryTx(tx, e.OrderID())
	if err != nil || known {
		return err
	}
	task, err := f.task(e, tracing.Traceparent(ctx))
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
		return eventing.Undecodable(ev, fmt.Errorf("order id %q", orderID))
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

// task returns the task that expires e at its expiresAt, in the trace
// traceparent names.
func (f *Function) task(e *expiry.Expiry, traceparent string) (scheduler.Task, error) {
	body, err := json.Marshal(expireRequest{OrderID: e.OrderID()})
	if err != nil {
		return scheduler.Task{}, fmt.Errorf("expiration: task body: %w", err)
	}
	return scheduler.Task{Name: e.TaskName(), URL: f.taskURL, Body: body, At: e.ExpiresAt(), Trace: traceparent}, nil
}
