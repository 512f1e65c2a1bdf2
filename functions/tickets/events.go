package tickets

import (
	"context"
	"errors"
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/functions/tickets/internal/ticket"
	"github.com/buytickets/buytickets/shared/apperr"
	"github.com/buytickets/buytickets/shared/store"
)

// ErrUnknownTicket is an order event about a ticket tickets never had.
// Orders learns of a ticket only from its ticket.created, which is sent
// after the ticket is committed here, so no retry can make it appear: the
// event is answered 400 and goes to the dead-letter sink, where the fault
// in orders shows, rather than 404, which the broker would retry in vain.
var ErrUnknownTicket = apperr.New(apperr.Invalid, "Unknown ticket")

// errUnexpectedType is an event of a type no Trigger of tickets selects.
var errUnexpectedType = apperr.New(apperr.Invalid, "Unexpected event type")

// transition is one of the lock rules of ticket.Ticket.
type transition func(*ticket.Ticket, ticket.Reservation) ticket.Outcome

// receive applies one order event to its ticket, in tx, the transaction
// that records the event's receipt (receive.Handler): order.created locks
// the ticket, order.cancelled unlocks it, order.completed sells it, by the
// rules of ticket.Ticket's Lock, Unlock and Sell. The reservation number
// orders, not entityversion: these events are about orders, and the
// ticket's own order of them is its reservations'. A change a client sees
// bumps the ticket's version and emits ticket.updated through the outbox.
func (f *Function) receive(_ context.Context, tx store.Tx, ev event.Event) error {
	switch ev.Type() {
	case eventing.TypeOrderCreated:
		var p eventing.OrderCreated
		if err := eventing.Decode(ev, &p); err != nil {
			return err
		}
		return f.apply(tx, p.Ticket.ID, p.Ticket.Reservation, p.ID, (*ticket.Ticket).Lock)
	case eventing.TypeOrderCancelled:
		var p eventing.OrderCancelled
		if err := eventing.Decode(ev, &p); err != nil {
			return err
		}
		return f.apply(tx, p.Ticket.ID, p.Ticket.Reservation, p.ID, (*ticket.Ticket).Unlock)
	case eventing.TypeOrderCompleted:
		var p eventing.OrderCompleted
		if err := eventing.Decode(ev, &p); err != nil {
			return err
		}
		return f.apply(tx, p.Ticket.ID, p.Ticket.Reservation, p.ID, (*ticket.Ticket).Sell)
	}
	return errUnexpectedType.With(fmt.Errorf("tickets.receive: type %q", ev.Type()))
}

// apply runs change on the ticket ticketID for reservation number of
// orderID, within tx. A reservation no order can hold is undecodable (400);
// so is a ticket that does not exist (ErrUnknownTicket).
func (f *Function) apply(tx store.Tx, ticketID string, number int, orderID string, change transition) error {
	r, err := ticket.NewReservation(number, orderID)
	if err != nil {
		return eventing.ErrUndecodable.With(err)
	}
	_, err = f.store.UpdateIn(tx, ticketID, func(t *ticket.Ticket) (ticket.Outcome, []event.Event, error) {
		return withUpdated(t, change(t, r))
	})
	if errors.Is(err, ticket.ErrNotFound) {
		return ErrUnknownTicket.With(fmt.Errorf("ticket %q: %w", ticketID, err))
	}
	if err != nil {
		return fmt.Errorf("store.UpdateIn: %w", err)
	}
	return nil
}
