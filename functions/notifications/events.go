package notifications

import (
	"context"
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/receive"
	"github.com/buytickets/buytickets/functions/notifications/internal/mail"
	notificationsstore "github.com/buytickets/buytickets/functions/notifications/internal/store"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/tracing"
)

// reasonExpired is order.cancelled's reason for an order whose window
// passed unpaid (DESIGN §3).
const reasonExpired = "expired"

// receiver applies one delivered event in the transaction that records its
// receipt (receive.Handler): it remembers users' addresses and orders'
// buyers, and queues the email an event causes, once per cause.
func (f *Function) receiver() receive.Func {
	return receive.Table(
		receive.On(eventing.TypeUserRegistered, f.receiveUserRegistered),
		receive.On(eventing.TypeOrderCreated, f.receiveOrderCreated),
		receive.On(eventing.TypeOrderCompleted, f.receiveOrderCompleted),
		receive.On(eventing.TypeOrderCancelled, f.receiveOrderCancelled),
		receive.On(eventing.TypePaymentRefunded, f.receivePaymentRefunded),
		receive.On(eventing.TypeETicketIssued, f.receiveETicketIssued),
	)
}

func (f *Function) receiveUserRegistered(_ context.Context, tx store.Tx, ev event.Event, p eventing.UserRegistered) error {
	if !store.ValidID(p.ID) || p.Email == "" {
		return eventing.Undecodable(ev, fmt.Errorf("user %q with email %q", p.ID, p.Email))
	}
	return f.store.RememberUserIn(tx, p.ID, p.Email)
}

func (f *Function) receiveOrderCreated(ctx context.Context, tx store.Tx, ev event.Event, p eventing.OrderCreated) error {
	if err := validOrder(ev, p.ID); err != nil {
		return err
	}
	return f.queue(ctx, tx, p.ID, notificationsstore.OrderFacts{BuyerID: p.UserID, TicketID: p.Ticket.ID, PriceCents: eventing.Cents(p.Ticket.Price)})
}

// receiveOrderCompleted remembers the buyer's address and tells the seller
// of the sale.
func (f *Function) receiveOrderCompleted(ctx context.Context, tx store.Tx, ev event.Event, p eventing.OrderCompleted) error {
	if err := validOrder(ev, p.ID); err != nil {
		return err
	}
	facts := mail.Facts{
		OrderID: p.ID, TicketID: p.Ticket.ID, Title: p.Ticket.Title, Amount: eventing.Cents(p.Ticket.Price),
		Admits: admits(p.Ticket.Event, p.Ticket.Seat),
	}
	var sale []notificationsstore.Queued
	if store.ValidID(p.SellerID) {
		sale = append(sale, notificationsstore.Queued{ID: mail.ID(mail.Sale, p.ID), Kind: mail.Sale, UserID: p.SellerID, Facts: facts})
	}
	if err := f.queue(ctx, tx, p.ID, notificationsstore.OrderFacts{
		BuyerID: p.UserID, TicketID: p.Ticket.ID, Title: p.Ticket.Title, PriceCents: facts.Amount,
	}, sale...); err != nil {
		return err
	}
	if p.BuyerEmail == "" || !store.ValidID(p.UserID) {
		return nil
	}
	return f.store.RememberUserIn(tx, p.UserID, p.BuyerEmail)
}

// receiveOrderCancelled tells the buyer their reservation expired; a buyer
// who cancelled knows.
func (f *Function) receiveOrderCancelled(ctx context.Context, tx store.Tx, ev event.Event, p eventing.OrderCancelled) error {
	if err := validOrder(ev, p.ID); err != nil {
		return err
	}
	if p.Reason != reasonExpired {
		return nil
	}
	return f.queue(ctx, tx, p.ID, notificationsstore.OrderFacts{TicketID: p.Ticket.ID}, notificationsstore.Queued{
		ID: mail.ID(mail.Expired, p.ID), Kind: mail.Expired, Facts: mail.Facts{OrderID: p.ID, TicketID: p.Ticket.ID},
	})
}

func (f *Function) receivePaymentRefunded(ctx context.Context, tx store.Tx, ev event.Event, p eventing.PaymentRefunded) error {
	if err := validOrder(ev, p.OrderID); err != nil {
		return err
	}
	return f.queue(ctx, tx, p.OrderID, notificationsstore.OrderFacts{}, notificationsstore.Queued{
		ID: mail.ID(mail.Refund, p.OrderID), Kind: mail.Refund, Facts: mail.Facts{OrderID: p.OrderID, Amount: p.Amount},
	})
}

// receiveETicketIssued gives the buyer their e-ticket.
func (f *Function) receiveETicketIssued(ctx context.Context, tx store.Tx, ev event.Event, p eventing.ETicketIssued) error {
	if err := validOrder(ev, p.OrderID); err != nil {
		return err
	}
	if p.Code == "" || !store.ValidID(p.HolderID) {
		return eventing.Undecodable(ev, fmt.Errorf("e-ticket %q of holder %q", p.Code, p.HolderID))
	}
	return f.queue(ctx, tx, p.OrderID, notificationsstore.OrderFacts{BuyerID: p.HolderID, TicketID: p.TicketID, Title: p.Title}, notificationsstore.Queued{
		ID: mail.ID(mail.Confirmation, p.OrderID), Kind: mail.Confirmation, UserID: p.HolderID,
		Facts: mail.Facts{
			OrderID: p.OrderID, TicketID: p.TicketID, Title: p.Title, Amount: p.FaceValue, Code: p.Code,
			Admits: admits(p.Event, p.Seat),
		},
	})
}

// queue merges what an event tells of orderID into the order's replica and
// queues each email of emails unless its cause already has it, in tx: the
// reads first, then the writes. Each email keeps the trace of ctx, the
// event's, which its sending continues.
func (f *Function) queue(ctx context.Context, tx store.Tx, orderID string, order notificationsstore.OrderFacts, emails ...notificationsstore.Queued) error {
	writes := make([]func() error, 0, 1+len(emails))
	remember, err := f.store.RememberOrderIn(tx, orderID, order)
	if err != nil {
		return err
	}
	writes = append(writes, remember)
	now, trace := f.now(), tracing.Traceparent(ctx)
	for _, q := range emails {
		q.Trace = trace
		w, err := f.store.QueueIn(tx, q, now)
		if err != nil {
			return err
		}
		if w != nil {
			writes = append(writes, w)
		}
	}
	for _, w := range writes {
		if err := w(); err != nil {
			return err
		}
	}
	return nil
}

// validOrder refuses an event whose order id could not name a document.
func validOrder(ev event.Event, orderID string) error {
	if !store.ValidID(orderID) {
		return eventing.Undecodable(ev, fmt.Errorf("order id %q", orderID))
	}
	return nil
}

// admits is the line an email says what a ticket admits to with
// (mail.Admits); "" when its event says nothing.
func admits(e *eventing.TicketEvent, s *eventing.TicketSeat) string {
	var ev eventing.TicketEvent
	var seat eventing.TicketSeat
	if e != nil {
		ev = *e
	}
	if s != nil {
		seat = *s
	}
	return mail.Admits(ev.Name, ev.Venue, ev.City, ev.StartsAt, seat.Section, seat.Row, seat.Number)
}
