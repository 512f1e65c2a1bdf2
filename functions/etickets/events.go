package etickets

import (
	"context"
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/banlist"
	"github.com/buytickets/buytickets/eventing/receive"
	"github.com/buytickets/buytickets/functions/etickets/internal/eticket"
	"github.com/buytickets/buytickets/shared/store"
)

// receiver applies one delivered event in the transaction that records its
// receipt (receive.Handler): order.completed issues the order's e-ticket,
// once whatever the deliveries do, and payment.refunded revokes it (or,
// come first, makes it be born revoked); user.banned and user.unbanned
// keep the ban list its API consults.
//
// Resale: ticket.created and ticket.updated of a resale listing (one with
// resaleOf) mark its e-ticket listed, so that it cannot be checked in,
// and a withdrawal gives it back; other listings are ignored. The
// order.completed of a resale revokes the e-ticket sold again (reason
// resold) and issues the buyer a new one, still checked in by the
// original issuer.
func (f *Function) receiver() receive.Func {
	return receive.Table(append([]receive.Route{
		receive.On(eventing.TypeOrderCompleted, f.receiveOrderCompleted),
		receive.On(eventing.TypePaymentRefunded, f.receivePaymentRefunded),
		receive.On(eventing.TypeTicketCreated, f.receiveTicketCreated),
		receive.On(eventing.TypeTicketUpdated, f.receiveTicketUpdated),
	}, banlist.Routes(banlist.Hooks{})...)...)
}

func (f *Function) receiveOrderCompleted(ctx context.Context, tx store.Tx, ev event.Event, p eventing.OrderCompleted) error {
	sale := eticket.Sale{
		OrderID: p.ID, TicketID: p.Ticket.ID, HolderID: p.UserID, IssuerID: p.SellerID,
		Title: p.Ticket.Title, FaceValue: eventing.Cents(p.Ticket.Price),
	}
	if p.Ticket.Event != nil {
		sale.Event = *p.Ticket.Event
	}
	if p.Ticket.Seat != nil {
		sale.Seat = *p.Ticket.Seat
	}
	issue := func(sale eticket.Sale) (*eticket.ETicket, error) {
		code, err := f.signer.Code(sale.OrderID)
		if err != nil {
			return nil, eventing.Undecodable(ev, err)
		}
		e, err := eticket.Issue(code, sale, f.ft.Now())
		if err != nil {
			return nil, eventing.Undecodable(ev, err)
		}
		return e, nil
	}
	if p.Ticket.ResaleOf == "" {
		return f.store.IssueIn(ctx, tx, p.ID, func() (*eticket.ETicket, error) { return issue(sale) }, issuedEvents, revokedEvents)
	}
	resold, err := f.resold(ev, p.Ticket.ResaleOf)
	if err != nil {
		return err
	}
	return f.store.ResellIn(ctx, tx, resold, p.ID, f.ft.Now(), func(old *eticket.ETicket) (*eticket.ETicket, error) {
		return issue(old.Resale(sale))
	}, issuedEvents, revokedEvents)
}

func (f *Function) receiveTicketCreated(_ context.Context, tx store.Tx, ev event.Event, p eventing.TicketCreated) error {
	return f.list(tx, ev, p.ResaleOf, eticket.Listing{TicketID: p.ID, Version: p.Version})
}

func (f *Function) receiveTicketUpdated(_ context.Context, tx store.Tx, ev event.Event, p eventing.TicketUpdated) error {
	return f.list(tx, ev, p.ResaleOf, eticket.Listing{TicketID: p.ID, Version: p.Version, Withdrawn: p.Status == statusWithdrawn})
}

// statusWithdrawn is the status of a listing taken off sale (DESIGN §3).
const statusWithdrawn = "withdrawn"

// list records l, a listing of the e-ticket code, when it is a resale
// listing (code is not ""): ticket events of other listings change nothing.
func (f *Function) list(tx store.Tx, ev event.Event, code string, l eticket.Listing) error {
	if code == "" {
		return nil
	}
	if !store.ValidID(l.TicketID) {
		return eventing.Undecodable(ev, fmt.Errorf("ticket id %q", l.TicketID))
	}
	orderID, err := f.resold(ev, code)
	if err != nil {
		return err
	}
	return f.store.ListIn(tx, orderID, l)
}

// resold returns the order whose e-ticket code a resale sells again, or
// refuses a code that is none of this function's as undecodable.
func (f *Function) resold(ev event.Event, code string) (string, error) {
	orderID, _, err := eticket.Verify(f.signer.Public(), code)
	if err != nil {
		return "", eventing.Undecodable(ev, fmt.Errorf("resale of %q: %w", code, err))
	}
	return orderID, nil
}

func (f *Function) receivePaymentRefunded(ctx context.Context, tx store.Tx, ev event.Event, p eventing.PaymentRefunded) error {
	if !store.ValidID(p.OrderID) {
		return eventing.Undecodable(ev, fmt.Errorf("order id %q", p.OrderID))
	}
	return f.store.RevokeIn(ctx, tx, p.OrderID, eticket.ReasonRefunded, f.ft.Now(), revokedEvents)
}

// issuedEvents is the eticket.issued of a new e-ticket.
func issuedEvents(e *eticket.ETicket) ([]event.Event, error) {
	s := e.Sale()
	ev, err := eventing.NewETicketIssued(eventing.ETicketIssued{
		Code: e.Code(), OrderID: s.OrderID, TicketID: s.TicketID, HolderID: s.HolderID,
		IssuerID: s.IssuerID, Title: s.Title, FaceValue: s.FaceValue, Event: eventOf(s), Seat: seatOf(s),
	})
	if err != nil {
		return nil, fmt.Errorf("eventing.NewETicketIssued: %w", err)
	}
	return []event.Event{ev}, nil
}

// revokedEvents is the eticket.revoked of a revoked e-ticket.
func revokedEvents(e *eticket.ETicket) ([]event.Event, error) {
	_, reason := e.RevokedAt()
	ev, err := eventing.NewETicketRevoked(eventing.ETicketRevoked{Code: e.Code(), OrderID: e.Sale().OrderID, Reason: reason})
	if err != nil {
		return nil, fmt.Errorf("eventing.NewETicketRevoked: %w", err)
	}
	return []event.Event{ev}, nil
}

// checkedInEvents is the eticket.checkedin of a used e-ticket.
func checkedInEvents(e *eticket.ETicket) ([]event.Event, error) {
	ev, err := eventing.NewETicketCheckedIn(eventing.ETicketCheckedIn{Code: e.Code(), OrderID: e.Sale().OrderID, CheckedInAt: e.CheckedInAt()})
	if err != nil {
		return nil, fmt.Errorf("eventing.NewETicketCheckedIn: %w", err)
	}
	return []event.Event{ev}, nil
}

// eventOf is what s admits to, as events and answers carry it; nil when
// its listing said nothing.
func eventOf(s eticket.Sale) *eventing.TicketEvent {
	if s.Event == (eventing.TicketEvent{}) {
		return nil
	}
	return &s.Event
}

// seatOf is the seat of s, as events and answers carry it; nil when its
// listing said none.
func seatOf(s eticket.Sale) *eventing.TicketSeat {
	if s.Seat == (eventing.TicketSeat{}) {
		return nil
	}
	return &s.Seat
}
