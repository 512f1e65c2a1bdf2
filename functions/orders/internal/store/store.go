// Package store keeps the orders function's data in the shared document
// store:
//
//	orders/{id}             userId, status, cancelReason?, createdAt, expiresAt,
//	                        cancelledAt?, completedAt?, ticket{id,title,priceCents},
//	                        reservation, version
//	tickets/{id}            title, priceCents, userId, status, version, createdAt?:
//	                        the replica of the tickets function's tickets
//	reservations/{ticketId} reservation (the counter), orderId? (the holder)
//
// beside eventing's outbox and receipts collections. The reservation is a
// document of its own, so a ticket.updated never touches it and reserving
// never changes the replica's version; and since placing an order reads it,
// two orders racing for one ticket collide on it and only one commits.
//
// Two queries need a composite index in Firestore, declared in
// config/orders/firestore.indexes.json: orders by userId, newest createdAt
// first (OrdersOf), and orders by userId and status (the open orders that
// PlaceOrder counts).
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/outbox"
	"github.com/buytickets/buytickets/eventing/receive"
	"github.com/buytickets/buytickets/functions/orders/internal/order"
	"github.com/buytickets/buytickets/functions/orders/internal/reservation"
	"github.com/buytickets/buytickets/functions/orders/internal/ticket"
	"github.com/buytickets/buytickets/shared/store"
)

// The collections, exported for tests that look at what was stored.
const (
	// Orders holds the orders, by id.
	Orders = "orders"
	// Tickets holds the replica of the tickets, by ticket id.
	Tickets = "tickets"
	// Reservations holds each reserved ticket's reservation, by ticket id.
	Reservations = "reservations"
)

// Collections returns every collection the function writes, eventing's
// included.
func Collections() []string {
	return []string{Orders, Tickets, Reservations, outbox.Collection, receive.Collection}
}

type orderDoc struct {
	UserID       string    `store:"userId"`
	BuyerEmail   string    `store:"buyerEmail,omitempty"`
	Status       string    `store:"status"`
	CancelReason string    `store:"cancelReason,omitempty"`
	CreatedAt    time.Time `store:"createdAt"`
	ExpiresAt    time.Time `store:"expiresAt"`
	CancelledAt  time.Time `store:"cancelledAt,omitempty"`
	// CompletedAt is absent on orders paid before it was kept.
	CompletedAt time.Time      `store:"completedAt,omitempty"`
	Ticket      orderTicketDoc `store:"ticket"`
	Reservation int            `store:"reservation"`
	Version     int            `store:"version"`
	Trace       string         `store:"trace,omitempty"` // the trace that placed it
}

type orderTicketDoc struct {
	ID         string `store:"id"`
	Title      string `store:"title"`
	PriceCents int64  `store:"priceCents"`
	SellerID   string `store:"sellerId,omitempty"`
	ResaleOf   string `store:"resaleOf,omitempty"`
	// What the ticket admits to, as described when the order was placed.
	eventing.TicketAdmission `store:",inline"`
}

type ticketDoc struct {
	Title      string    `store:"title"`
	PriceCents int64     `store:"priceCents"`
	UserID     string    `store:"userId"`
	Status     string    `store:"status"`
	Version    int       `store:"version"`
	CreatedAt  time.Time `store:"createdAt,omitempty"`
	ResaleOf   string    `store:"resaleOf,omitempty"`
	// What the ticket admits to, as tickets describes it.
	eventing.TicketAdmission `store:",inline"`
}

type reservationDoc struct {
	Reservation int    `store:"reservation"`
	OrderID     string `store:"orderId,omitempty"`
}

func marshalOrder(o *order.Order) orderDoc {
	it := o.Item()
	return orderDoc{
		UserID:       o.UserID(),
		BuyerEmail:   o.BuyerEmail(),
		Status:       string(o.Status()),
		CancelReason: string(o.CancelReason()),
		CreatedAt:    o.CreatedAt(),
		ExpiresAt:    o.ExpiresAt(),
		CancelledAt:  o.CancelledAt(),
		CompletedAt:  o.CompletedAt(),
		Trace:        o.Trace(),
		Ticket: orderTicketDoc{
			ID: it.TicketID, Title: it.Title, PriceCents: int64(it.Price), SellerID: it.SellerID, ResaleOf: it.ResaleOf,
			TicketAdmission: admission(it.Event, it.Seat),
		},
		Reservation: o.Reservation(),
		Version:     o.Version(),
	}
}

func (d orderDoc) toOrder(id string) *order.Order {
	return order.UnmarshalFromStore(order.State{
		ID:         id,
		UserID:     d.UserID,
		BuyerEmail: d.BuyerEmail,
		Status:     order.Status(d.Status),
		Reason:     order.Reason(d.CancelReason),
		Item: order.Item{
			TicketID: d.Ticket.ID, Title: d.Ticket.Title, Price: ticket.Cents(d.Ticket.PriceCents), SellerID: d.Ticket.SellerID,
			ResaleOf: d.Ticket.ResaleOf,
			Event:    ticket.Event(d.Ticket.Event()),
			Seat:     ticket.Seat(d.Ticket.Seat()),
		},
		Reservation: d.Reservation,
		Version:     d.Version,
		CreatedAt:   d.CreatedAt,
		ExpiresAt:   d.ExpiresAt,
		CancelledAt: d.CancelledAt,
		CompletedAt: d.CompletedAt,
		Trace:       d.Trace,
	})
}

func marshalTicket(t ticket.Ticket) ticketDoc {
	return ticketDoc{
		Title: t.Title, PriceCents: int64(t.Price), UserID: t.SellerID,
		Status: t.Status, Version: t.Version, CreatedAt: t.CreatedAt, ResaleOf: t.ResaleOf,
		TicketAdmission: admission(t.Event, t.Seat),
	}
}

// admission is how a ticket's event and seat are stored.
func admission(e ticket.Event, s ticket.Seat) eventing.TicketAdmission {
	return eventing.AdmissionOf(eventing.TicketEvent(e), eventing.TicketSeat(s))
}

func (d ticketDoc) toTicket(id string) ticket.Ticket {
	return ticket.Ticket{
		ID: id, Title: d.Title, Price: ticket.Cents(d.PriceCents), SellerID: d.UserID,
		Status: d.Status, Version: d.Version, CreatedAt: d.CreatedAt, ResaleOf: d.ResaleOf,
		Event: ticket.Event(d.Event()), Seat: ticket.Seat(d.Seat()),
	}
}

// Store is the orders function's persistence. Every change it writes goes
// with its events into the outbox, in the same transaction.
type Store struct {
	db  store.Store
	box *outbox.Outbox
}

// New returns a Store on db that records events in box.
func New(db store.Store, box *outbox.Outbox) *Store { return &Store{db: db, box: box} }

// PlaceFunc decides a new order on what PlaceOrder read, and returns the
// placement and the events it causes. It may run more than once, so it has
// no effect of its own.
type PlaceFunc func(in order.Placing) (order.Placement, []event.Event, error)

// PlaceOrder places buyerID's order for ticketID in one transaction: it
// reads the replica's ticket (order.ErrTicketNotFound when it holds none),
// the ticket's reservation and the order holding it, and the buyer's
// created orders; place decides; and it writes the new order, the
// reservation, the expired holder place cancelled, if any, and the events.
// It returns the new order. Each of checks runs first, in the transaction,
// and refuses the order by failing: a check that reads (the buyer's ban)
// decides on what the transaction commits with.
//
// Before the transaction, place decides once on committed reads outside
// any: an order it refuses there (a ticket already reserved, unknown, or
// the buyer's limits) is refused as it stood a moment ago, without waiting
// among the writers, which at an on-sale are mostly refusals queueing
// behind the few orders that win. Only an order that could be placed
// opens the transaction, which decides again on what it commits with.
func (s *Store) PlaceOrder(ctx context.Context, ticketID, buyerID string, place PlaceFunc, checks ...func(store.Tx) error) (*order.Order, error) {
	if err := refusedOutside(ctx, s.db, ticketID, buyerID, place); err != nil {
		return nil, err
	}
	var placed *order.Order
	err := s.box.Commit(ctx, func(ctx context.Context, tx store.Tx) error {
		placed = nil // the transaction may run more than once
		for _, check := range checks {
			if err := check(tx); err != nil {
				return err
			}
		}
		in, err := readPlacing(tx, ticketID, buyerID)
		if err != nil {
			return err
		}
		p, events, err := place(in)
		if err != nil {
			return err
		}
		if p.Expired != nil {
			if err := tx.Set(Orders, p.Expired.ID(), marshalOrder(p.Expired)); err != nil {
				return err
			}
		}
		if err := tx.Create(Orders, p.Order.ID(), marshalOrder(p.Order)); err != nil {
			return err
		}
		if err := setReservation(tx, p.Reservation); err != nil {
			return err
		}
		if err := s.box.Add(ctx, tx, events...); err != nil {
			return err
		}
		placed = p.Order
		return nil
	})
	if err != nil {
		return nil, err
	}
	return placed, nil
}

// refusedOutside returns place's refusal of the order on reads outside any
// transaction, or nil when place would place it, or the reads failed (the
// transaction then decides).
func refusedOutside(ctx context.Context, db store.Store, ticketID, buyerID string, place PlaceFunc) error {
	in, err := readPlacing(store.Outside(ctx, db), ticketID, buyerID)
	if errors.Is(err, order.ErrTicketNotFound) {
		return err
	}
	if err != nil {
		return nil
	}
	_, _, err = place(in)
	return err
}

// readPlacing reads, in tx, what placing an order for ticketID is decided on.
func readPlacing(tx store.Reader, ticketID, buyerID string) (order.Placing, error) {
	in := order.Placing{BuyerID: buyerID}
	var td ticketDoc
	if err := tx.Get(Tickets, ticketID, &td); errors.Is(err, store.ErrNotFound) {
		return in, fmt.Errorf("%w: %s", order.ErrTicketNotFound, ticketID)
	} else if err != nil {
		return in, err
	}
	in.Ticket = td.toTicket(ticketID)
	r, err := getReservation(tx, ticketID)
	if err != nil {
		return in, err
	}
	in.Reservation = r
	if r.Held() {
		holder, err := getOrder(tx, r.OrderID)
		switch {
		case err == nil:
			in.Holder = holder
		case !errors.Is(err, order.ErrNotFound):
			return in, err
		}
	}
	docs, err := tx.Query(Orders, store.Query{Filters: []store.Filter{
		store.Where("userId", store.Eq, buyerID),
		store.Where("status", store.Eq, string(order.Created)),
	}})
	if err != nil {
		return in, err
	}
	if in.Created, err = ordersOf(docs); err != nil {
		return in, err
	}
	// Equality filters only: Firestore serves them by merging single-field
	// indexes, with no composite index to declare.
	docs, err = tx.Query(Orders, store.Query{Filters: []store.Filter{
		store.Where("userId", store.Eq, buyerID),
		store.Where("ticket.id", store.Eq, ticketID),
	}})
	if err != nil {
		return in, err
	}
	in.Earlier, err = ordersOf(docs)
	return in, err
}

// UpdateFunc changes an order, and the reservation of its ticket when the
// change gives it back, and returns the events the change causes. It may
// run more than once, so it has no effect of its own. An error leaves
// everything as it was.
type UpdateFunc func(o *order.Order, r *reservation.Reservation) ([]event.Event, error)

// UpdateOrder runs UpdateOrderTx in a transaction of its own and wakes the
// outbox relay after it commits. It returns the order as update left it.
func (s *Store) UpdateOrder(ctx context.Context, id string, update UpdateFunc) (*order.Order, error) {
	var updated *order.Order
	err := s.box.Commit(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		updated, err = s.UpdateOrderTx(ctx, tx, id, update)
		return err
	})
	if err != nil {
		return nil, err
	}
	return updated, nil
}

// UpdateOrderTx reads the order id (order.ErrNotFound when there is none)
// and its ticket's reservation in tx, runs update on them, and writes the
// order when its version changed, the reservation when it changed, and the
// events. Event receivers call it with the receipt's transaction; their
// receive.AfterCommit wakes the outbox relay.
func (s *Store) UpdateOrderTx(ctx context.Context, tx store.Tx, id string, update UpdateFunc) (*order.Order, error) {
	o, err := getOrder(tx, id)
	if err != nil {
		return nil, err
	}
	r, err := getReservation(tx, o.Item().TicketID)
	if err != nil {
		return nil, err
	}
	version, held := o.Version(), r
	events, err := update(o, &r)
	if err != nil {
		return nil, err
	}
	if o.Version() != version {
		if err := tx.Set(Orders, id, marshalOrder(o)); err != nil {
			return nil, err
		}
	}
	if r != held {
		if err := setReservation(tx, r); err != nil {
			return nil, err
		}
	}
	if err := s.box.Add(ctx, tx, events...); err != nil {
		return nil, err
	}
	return o, nil
}

// UpdateCreatedOfTx runs update, in tx, on each order of buyerID in status
// created, with the reservation of its ticket, and writes what changed and
// the events, as UpdateOrderTx does for one order; it returns the orders as
// update left them. Every read comes before the first write, as the store
// demands, so a receiver can cancel all of a buyer's orders in the
// transaction of one event.
func (s *Store) UpdateCreatedOfTx(ctx context.Context, tx store.Tx, buyerID string, update UpdateFunc) ([]*order.Order, error) {
	docs, err := tx.Query(Orders, store.Query{Filters: []store.Filter{
		store.Where("userId", store.Eq, buyerID),
		store.Where("status", store.Eq, string(order.Created)),
	}})
	if err != nil {
		return nil, err
	}
	orders, err := ordersOf(docs)
	if err != nil {
		return nil, err
	}
	// One reservation per ticket, shared by the orders of it, so that
	// each update sees what the one before did.
	held := map[string]reservation.Reservation{}
	reservations := map[string]*reservation.Reservation{}
	for _, o := range orders {
		id := o.Item().TicketID
		if _, ok := reservations[id]; ok {
			continue
		}
		r, err := getReservation(tx, id)
		if err != nil {
			return nil, err
		}
		held[id], reservations[id] = r, &r
	}
	var events []event.Event
	for _, o := range orders {
		version := o.Version()
		evs, err := update(o, reservations[o.Item().TicketID])
		if err != nil {
			return nil, err
		}
		if o.Version() != version {
			if err := tx.Set(Orders, o.ID(), marshalOrder(o)); err != nil {
				return nil, err
			}
		}
		events = append(events, evs...)
	}
	for id, r := range reservations {
		if *r != held[id] {
			if err := setReservation(tx, *r); err != nil {
				return nil, err
			}
		}
	}
	if err := s.box.Add(ctx, tx, events...); err != nil {
		return nil, err
	}
	return orders, nil
}

// Order returns the order id, or an error matching order.ErrNotFound.
func (s *Store) Order(ctx context.Context, id string) (*order.Order, error) {
	var d orderDoc
	if err := s.db.Get(ctx, Orders, id, &d); errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", order.ErrNotFound, id)
	} else if err != nil {
		return nil, err
	}
	return d.toOrder(id), nil
}

// OrdersOf returns the page of userID's orders that l selects, newest
// first, and whether more follow; order.ErrBadCursor when l.After is no
// order of that listing.
func (s *Store) OrdersOf(ctx context.Context, userID string, l order.Listing) (page []*order.Order, more bool, err error) {
	docs, err := s.db.Query(ctx, Orders, store.Query{
		Filters: []store.Filter{store.Where("userId", store.Eq, userID)},
		OrderBy: "createdAt",
		Desc:    true,
		Limit:   l.Limit + 1,
		After:   l.After,
	})
	if errors.Is(err, store.ErrBadCursor) {
		return nil, false, fmt.Errorf("%w: %w", order.ErrBadCursor, err)
	}
	if err != nil {
		return nil, false, err
	}
	if len(docs) > l.Limit {
		docs, more = docs[:l.Limit], true
	}
	page, err = ordersOf(docs)
	return page, more, err
}

// ApplyFunc decides what the replica holds of a ticket after an event, given
// what it holds now (holds is false when it holds nothing): the ticket to
// hold and true, or false to leave the replica as it is.
type ApplyFunc func(held ticket.Ticket, holds bool) (ticket.Ticket, bool, error)

// ApplyTicket reads the replica's ticket id in tx, runs apply on it and
// writes what apply returns, if anything. It never touches the ticket's
// reservation.
func (s *Store) ApplyTicket(tx store.Tx, id string, apply ApplyFunc) error {
	var d ticketDoc
	holds := true
	if err := tx.Get(Tickets, id, &d); errors.Is(err, store.ErrNotFound) {
		holds = false
	} else if err != nil {
		return err
	}
	var held ticket.Ticket
	if holds {
		held = d.toTicket(id)
	}
	next, ok, err := apply(held, holds)
	if err != nil || !ok {
		return err
	}
	return tx.Set(Tickets, id, marshalTicket(next))
}

// Ticket returns the replica's ticket id, or an error matching
// order.ErrTicketNotFound.
func (s *Store) Ticket(ctx context.Context, id string) (ticket.Ticket, error) {
	var d ticketDoc
	if err := s.db.Get(ctx, Tickets, id, &d); errors.Is(err, store.ErrNotFound) {
		return ticket.Ticket{}, fmt.Errorf("%w: %s", order.ErrTicketNotFound, id)
	} else if err != nil {
		return ticket.Ticket{}, err
	}
	return d.toTicket(id), nil
}

// Reservation returns the reservation of ticketID; a ticket never
// reserved has the zero one.
func (s *Store) Reservation(ctx context.Context, ticketID string) (reservation.Reservation, error) {
	var d reservationDoc
	if err := s.db.Get(ctx, Reservations, ticketID, &d); errors.Is(err, store.ErrNotFound) {
		return reservation.Of(ticketID), nil
	} else if err != nil {
		return reservation.Reservation{}, err
	}
	return reservation.Reservation{TicketID: ticketID, Counter: d.Reservation, OrderID: d.OrderID}, nil
}

func getOrder(tx store.Reader, id string) (*order.Order, error) {
	var d orderDoc
	if err := tx.Get(Orders, id, &d); errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", order.ErrNotFound, id)
	} else if err != nil {
		return nil, err
	}
	return d.toOrder(id), nil
}

func getReservation(tx store.Reader, ticketID string) (reservation.Reservation, error) {
	var d reservationDoc
	if err := tx.Get(Reservations, ticketID, &d); errors.Is(err, store.ErrNotFound) {
		return reservation.Of(ticketID), nil
	} else if err != nil {
		return reservation.Reservation{}, err
	}
	return reservation.Reservation{TicketID: ticketID, Counter: d.Reservation, OrderID: d.OrderID}, nil
}

func setReservation(tx store.Tx, r reservation.Reservation) error {
	return tx.Set(Reservations, r.TicketID, reservationDoc{Reservation: r.Counter, OrderID: r.OrderID})
}

func ordersOf(docs []store.Doc) ([]*order.Order, error) {
	orders := make([]*order.Order, 0, len(docs))
	for _, doc := range docs {
		var d orderDoc
		if err := doc.DataTo(&d); err != nil {
			return nil, fmt.Errorf("store: order %s: %w", doc.ID, err)
		}
		orders = append(orders, d.toOrder(doc.ID))
	}
	return orders, nil
}
