package tickets

import (
	"context"
	"errors"
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/banlist"
	"github.com/buytickets/buytickets/eventing/receive"
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

// transition is one of the lock rules of ticket.Ticket.
type transition func(*ticket.Ticket, ticket.Reservation) ticket.Outcome

// receiver applies one order event to its ticket, in the transaction that
// records the event's receipt (receive.Handler): order.created locks the
// ticket, order.cancelled unlocks it, order.completed sells it, by the rules
// of ticket.Ticket's Lock, Unlock and Sell. The reservation number orders,
// not entityversion: these events are about orders, and the ticket's own
// order of them is its reservations'. A change a client sees bumps the
// ticket's version and emits ticket.updated through the outbox.
// user.banned and user.unbanned keep the ban list its API consults, and a
// ban withdraws the seller's listings on sale.
//
// eticket.issued, eticket.revoked and eticket.checkedin keep tickets'
// replica of the e-tickets, which resale listings are checked against; a
// revoked or used e-ticket's listing on sale is withdrawn, since nobody
// could use what it sells.
func (f *Function) receiver() receive.Func {
	routes := append(banlist.Routes(banlist.Hooks{Banned: f.withdrawListingsOf}),
		receive.On(eventing.TypeETicketIssued, f.receiveETicketIssued),
		receive.On(eventing.TypeETicketRevoked, f.receiveETicketRevoked),
		receive.On(eventing.TypeETicketCheckedIn, f.receiveETicketCheckedIn),
	)
	return receive.OrderEvents(f.receiveOrderCreated, f.receiveOrderCancelled, f.receiveOrderCompleted, routes...)
}

func (f *Function) receiveETicketIssued(ctx context.Context, tx store.Tx, ev event.Event, p eventing.ETicketIssued) error {
	if p.HolderID == "" || p.FaceValue < 0 {
		return eventing.Undecodable(ev, fmt.Errorf("e-ticket %q of holder %q at %d cents", p.Code, p.HolderID, p.FaceValue))
	}
	return f.applyETicket(ctx, tx, ev, p.Code, func(e *ticket.ETicket) {
		e.Issued(p.HolderID, p.IssuerID, p.OrderID, p.TicketID, p.Title, ticket.Price(p.FaceValue))
	})
}

func (f *Function) receiveETicketRevoked(ctx context.Context, tx store.Tx, ev event.Event, p eventing.ETicketRevoked) error {
	return f.applyETicket(ctx, tx, ev, p.Code, func(e *ticket.ETicket) { e.Revoked = true })
}

func (f *Function) receiveETicketCheckedIn(ctx context.Context, tx store.Tx, ev event.Event, p eventing.ETicketCheckedIn) error {
	return f.applyETicket(ctx, tx, ev, p.Code, func(e *ticket.ETicket) { e.CheckedIn = true })
}

// applyETicket changes the replica's e-ticket code as ev says, and, when
// that leaves it revoked or used, withdraws its resale listing if it is
// still on sale. A code no document can be named by is undecodable (400).
func (f *Function) applyETicket(ctx context.Context, tx store.Tx, ev event.Event, code string, apply func(*ticket.ETicket)) error {
	if !store.ValidID(code) {
		return eventing.Undecodable(ev, fmt.Errorf("e-ticket code %q", code))
	}
	var spent bool
	err := f.store.ApplyETicketIn(ctx, tx, code, func(e *ticket.ETicket) {
		apply(e)
		spent = e.Revoked || e.CheckedIn
	}, func(t *ticket.Ticket) (ticket.Outcome, []event.Event, error) {
		if !spent {
			return ticket.Ignored, nil, nil
		}
		return withUpdated(t, t.Withdraw())
	})
	if err != nil {
		return fmt.Errorf("store.ApplyETicketIn: %w", err)
	}
	return nil
}

// withdrawListingsOf withdraws every available listing of a seller just
// banned, in the transaction of the ban's receipt (ticket.Ticket.Withdraw):
// each leaves the public list and emits ticket.updated, so orders refuses
// to order it. Reserved and sold listings are left to their orders. An
// unban gives nothing back: the seller lists again.
func (f *Function) withdrawListingsOf(ctx context.Context, tx store.Tx, userID string) error {
	_, err := f.store.UpdateAvailableOfIn(ctx, tx, userID, func(t *ticket.Ticket) (ticket.Outcome, []event.Event, error) {
		return withUpdated(t, t.Withdraw())
	})
	if err != nil {
		return fmt.Errorf("store.UpdateAvailableOfIn: %w", err)
	}
	return nil
}

func (f *Function) receiveOrderCreated(ctx context.Context, tx store.Tx, ev event.Event, p eventing.OrderCreated) error {
	return f.apply(ctx, tx, ev, p.Ticket.ID, p.Ticket.Reservation, p.ID, (*ticket.Ticket).Lock)
}

// receiveOrderCancelled unlocks the ticket, and withdraws it instead of
// putting it back on sale when its seller is banned (ticket.UnlockBanned):
// a listing reserved when the ban came is withdrawn once its order ends.
func (f *Function) receiveOrderCancelled(ctx context.Context, tx store.Tx, ev event.Event, p eventing.OrderCancelled) error {
	var banErr error
	unlock := func(t *ticket.Ticket, r ticket.Reservation) ticket.Outcome {
		banned, err := f.ft.Bans.BannedIn(tx, t.UserID())
		if banErr = err; err != nil {
			return ticket.Ignored
		}
		if banned {
			return t.UnlockBanned(r)
		}
		return t.Unlock(r)
	}
	if err := f.apply(ctx, tx, ev, p.Ticket.ID, p.Ticket.Reservation, p.ID, unlock); err != nil {
		return err
	}
	return banErr
}

func (f *Function) receiveOrderCompleted(ctx context.Context, tx store.Tx, ev event.Event, p eventing.OrderCompleted) error {
	return f.apply(ctx, tx, ev, p.Ticket.ID, p.Ticket.Reservation, p.ID, (*ticket.Ticket).Sell)
}

// apply runs change on the ticket ticketID for reservation number of
// orderID, within tx, as ev asks. A reservation no order can hold is undecodable (400);
// so is a ticket that does not exist (ErrUnknownTicket).
func (f *Function) apply(ctx context.Context, tx store.Tx, ev event.Event, ticketID string, number int, orderID string, change transition) error {
	r, err := ticket.NewReservation(number, orderID)
	if err != nil {
		return eventing.Undecodable(ev, err)
	}
	_, err = f.store.UpdateIn(ctx, tx, ticketID, func(t *ticket.Ticket) (ticket.Outcome, []event.Event, error) {
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
