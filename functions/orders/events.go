package orders

import (
	"context"
	"fmt"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/banlist"
	"github.com/buytickets/buytickets/eventing/receive"
	"github.com/buytickets/buytickets/functions/orders/internal/order"
	"github.com/buytickets/buytickets/functions/orders/internal/reservation"
	"github.com/buytickets/buytickets/functions/orders/internal/ticket"
	"github.com/buytickets/buytickets/shared/store"
)

// receiver applies one delivered event in the transaction that records its
// receipt (receive.Handler): the tickets' events update the replica,
// expiration.completed cancels an unpaid order and payment.created
// completes a paid one; user.banned and user.unbanned keep the ban list its
// API consults, and a ban cancels the user's unpaid orders.
func (f *Function) receiver() receive.Func {
	return receive.Table(append([]receive.Route{
		receive.On(eventing.TypeTicketCreated, f.receiveTicketCreated),
		receive.On(eventing.TypeTicketUpdated, f.receiveTicketUpdated),
		receive.On(eventing.TypeExpirationCompleted, f.receiveExpirationCompleted),
		receive.On(eventing.TypePaymentCreated, f.receivePaymentCreated),
	}, banlist.Routes(banlist.Hooks{Banned: f.cancelOrdersOf})...)...)
}

// cancelOrdersOf cancels every created order of a user just banned (reason
// banned), in the transaction of the ban's receipt, by the one cancellation
// rule: each gives its ticket back and emits order.cancelled, so tickets
// unlocks the ticket, expiration drops the order's timer and payments
// refunds a payment that lands later. Paid orders stay paid.
func (f *Function) cancelOrdersOf(ctx context.Context, tx store.Tx, userID string) error {
	now := f.ft.Now()
	_, err := f.store.UpdateCreatedOfTx(ctx, tx, userID, f.metrics.countingOnCommit(ctx, func(o *order.Order, r *reservation.Reservation) ([]event.Event, error) {
		return cancel(o, r, order.ReasonBanned, now)
	}))
	if err != nil {
		return fmt.Errorf("store.UpdateCreatedOfTx: %w", err)
	}
	return nil
}

func (f *Function) receiveTicketCreated(_ context.Context, tx store.Tx, ev event.Event, p eventing.TicketCreated) error {
	t, err := ticket.New(p.ID, p.Title, p.Price, p.UserID, ticket.Available, p.CreatedAt)
	if err != nil {
		return eventing.Undecodable(ev, err)
	}
	t.ResaleOf, t.Event, t.Seat = p.ResaleOf, eventOf(p.Event), seatOf(p.Seat)
	return f.mirrorTicket(tx, ev, t)
}

// eventOf is the event a ticket event describes; zero when it names none.
func eventOf(e *eventing.TicketEvent) ticket.Event {
	if e == nil {
		return ticket.Event{}
	}
	return ticket.Event{Name: e.Name, Venue: e.Venue, City: e.City, StartsAt: e.StartsAt.UTC()}
}

// seatOf is the seat a ticket event describes; zero when it names none.
func seatOf(s *eventing.TicketSeat) ticket.Seat {
	if s == nil {
		return ticket.Seat{}
	}
	return ticket.Seat{Section: s.Section, Row: s.Row, Number: s.Number}
}

// eventData is e as events carry it; nil when it is zero.
func eventData(e ticket.Event) *eventing.TicketEvent {
	if e == (ticket.Event{}) {
		return nil
	}
	return &eventing.TicketEvent{Name: e.Name, Venue: e.Venue, City: e.City, StartsAt: e.StartsAt}
}

// seatData is s as events carry it; nil when it is zero.
func seatData(s ticket.Seat) *eventing.TicketSeat {
	if s == (ticket.Seat{}) {
		return nil
	}
	return &eventing.TicketSeat{Section: s.Section, Row: s.Row, Number: s.Number}
}

func (f *Function) receiveTicketUpdated(_ context.Context, tx store.Tx, ev event.Event, p eventing.TicketUpdated) error {
	t, err := ticket.New(p.ID, p.Title, p.Price, p.UserID, p.Status, time.Time{})
	if err != nil {
		return eventing.Undecodable(ev, err)
	}
	t.ResaleOf, t.Event, t.Seat = p.ResaleOf, eventOf(p.Event), seatOf(p.Seat)
	return f.mirrorTicket(tx, ev, t)
}

func (f *Function) receiveExpirationCompleted(ctx context.Context, tx store.Tx, ev event.Event, p eventing.ExpirationCompleted) error {
	return f.settleOrder(ctx, tx, ev, p.OrderID, f.expire(f.ft.Now()))
}

func (f *Function) receivePaymentCreated(ctx context.Context, tx store.Tx, ev event.Event, p eventing.PaymentCreated) error {
	return f.settleOrder(ctx, tx, ev, p.OrderID, f.complete(p, f.ft.Now()))
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
		return eventing.Undecodable(ev, fmt.Errorf("ticket id %q cannot name a document", t.ID))
	}
	if t, err = t.At(version); err != nil {
		return eventing.Undecodable(ev, err)
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
