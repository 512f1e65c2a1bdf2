// Package store keeps tickets in the shared document store, with the
// events each change causes:
//
//	tickets/{id}    title, priceCents, userId, status, version, createdAt,
//	                orderId (while reserved or sold), reservation,
//	                reservationOrderId, reservationState (once an order event named it),
//	                faceValueCents, resaleOf (on a resale listing),
//	                eventName, venue, city, startsAt, seatSection, seatRow,
//	                seatNumber (as the seller described the ticket),
//	                terms, cityKey (what searches match)
//	etickets/{code} the replica of an e-ticket: holderId, issuerId, orderId,
//	                title, faceValueCents, revoked, checkedIn, listing (the id
//	                of its last resale listing)
//	outbox/{id}     the events to send (eventing/outbox)
//	receipts/{id}   the order events taken (eventing/receive)
//
// Prices are whole cents. The listings query tickets by status or by
// seller, newest first:
//
//	status == "available" order by createdAt desc, __name__ desc
//	userId == X           order by createdAt desc, __name__ desc
//
// Firestore serves each with a composite index, declared in
// config/tickets/firestore.indexes.json (gcloud's index file format); the
// SQLite driver needs none.
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
	"github.com/buytickets/buytickets/functions/tickets/internal/search"
	"github.com/buytickets/buytickets/functions/tickets/internal/ticket"
	"github.com/buytickets/buytickets/shared/store"
)

// Tickets holds the tickets, by id.
const Tickets = "tickets"

// ETickets holds the replica of the e-tickets, by code.
const ETickets = "etickets"

// Collections returns every collection the function writes, for tests that
// look at what was stored.
func Collections() []string {
	return []string{Tickets, ETickets, outbox.Collection, receive.Collection}
}

// siftBatch is how many tickets a search that the store answers only in
// part reads at a time.
const siftBatch = 200

// orderField is the field listings are sorted by, newest first.
const orderField = "createdAt"

type ticketDoc struct {
	Title              string    `store:"title"`
	PriceCents         int64     `store:"priceCents"`
	UserID             string    `store:"userId"`
	Status             string    `store:"status"`
	Version            int       `store:"version"`
	CreatedAt          time.Time `store:"createdAt"`
	OrderID            string    `store:"orderId,omitempty"`
	Reservation        int       `store:"reservation,omitempty"`
	ReservationOrderID string    `store:"reservationOrderId,omitempty"`
	ReservationState   string    `store:"reservationState,omitempty"`
	FaceValueCents     int64     `store:"faceValueCents,omitempty"`
	ResaleOf           string    `store:"resaleOf,omitempty"`
	// What the ticket admits to.
	eventing.TicketAdmission `store:",inline"`
	// Terms are the words and word prefixes the ticket is found by
	// (search.Terms), and CityKey its city folded, for searches.
	Terms   []string `store:"terms,omitempty"`
	CityKey string   `store:"cityKey,omitempty"`
}

type eticketDoc struct {
	HolderID       string `store:"holderId,omitempty"`
	IssuerID       string `store:"issuerId,omitempty"`
	OrderID        string `store:"orderId,omitempty"`
	Title          string `store:"title,omitempty"`
	FaceValueCents int64  `store:"faceValueCents,omitempty"`
	Revoked        bool   `store:"revoked,omitempty"`
	CheckedIn      bool   `store:"checkedIn,omitempty"`
	Listing        string `store:"listing,omitempty"`
	TicketID       string `store:"ticketId,omitempty"`
}

func marshalETicket(e ticket.ETicket) eticketDoc {
	return eticketDoc{
		HolderID: e.HolderID, IssuerID: e.IssuerID, OrderID: e.OrderID, Title: e.Title,
		FaceValueCents: e.FaceValue.Cents(), Revoked: e.Revoked, CheckedIn: e.CheckedIn, Listing: e.Listing,
		TicketID: e.TicketID,
	}
}

func (d eticketDoc) unmarshal(code string) ticket.ETicket {
	return ticket.ETicket{
		Code: code, HolderID: d.HolderID, IssuerID: d.IssuerID, OrderID: d.OrderID, Title: d.Title,
		FaceValue: ticket.Price(d.FaceValueCents), Revoked: d.Revoked, CheckedIn: d.CheckedIn, Listing: d.Listing,
		TicketID: d.TicketID,
	}
}

func marshal(tk ticket.Ticket) ticketDoc {
	t := tk.State()
	return ticketDoc{
		Title: t.Title, PriceCents: t.Price.Cents(), UserID: t.UserID, Status: string(t.Status),
		Version: t.Version, CreatedAt: t.CreatedAt, OrderID: t.OrderID,
		Reservation: t.Reservation.Number, ReservationOrderID: t.Reservation.OrderID,
		ReservationState: string(t.ReservationState),
		FaceValueCents:   t.FaceValue.Cents(), ResaleOf: t.ResaleOf,
		TicketAdmission: eventing.AdmissionOf(eventing.TicketEvent(t.Event), eventing.TicketSeat(t.Seat)),
		Terms:           search.Terms(t.Title, t.Event.Name, t.Event.Venue, t.Event.City),
		CityKey:         search.Fold(t.Event.City),
	}
}

func (d ticketDoc) unmarshal(id string) (ticket.Ticket, error) {
	t, err := ticket.UnmarshalFromStore(ticket.State{
		ID: id, Title: d.Title, Price: ticket.Price(d.PriceCents), UserID: d.UserID, Status: ticket.Status(d.Status),
		Version: d.Version, CreatedAt: d.CreatedAt, OrderID: d.OrderID,
		Reservation:      ticket.Reservation{Number: d.Reservation, OrderID: d.ReservationOrderID},
		ReservationState: ticket.ReservationState(d.ReservationState),
		FaceValue:        ticket.Price(d.FaceValueCents), ResaleOf: d.ResaleOf,
		Event: ticket.Event(d.Event()), Seat: ticket.Seat(d.Seat()),
	})
	if err != nil {
		return ticket.Ticket{}, fmt.Errorf("store: %w", err)
	}
	return t, nil
}

// Store is the tickets function's persistence. Every change is written in
// one transaction with the events it causes, which its outbox relays after
// commit.
type Store struct {
	db  store.Store
	box *outbox.Outbox
}

// New returns a Store on db that records events in box.
func New(db store.Store, box *outbox.Outbox) *Store { return &Store{db: db, box: box} }

// Create stores the new ticket t and events, in one transaction, and wakes
// the outbox once it commits.
func (s *Store) Create(ctx context.Context, t ticket.Ticket, events ...event.Event) error {
	return s.box.Commit(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := tx.Create(Tickets, t.ID(), marshal(t)); err != nil {
			return err
		}
		return s.box.Add(ctx, tx, events...)
	})
}

// Get returns the ticket id, or ticket.ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (ticket.Ticket, error) {
	if !ticket.ValidID(id) {
		return ticket.Ticket{}, ticket.ErrNotFound
	}
	var d ticketDoc
	if err := s.db.Get(ctx, Tickets, id, &d); err != nil {
		return ticket.Ticket{}, notFound(err)
	}
	return d.unmarshal(id)
}

// List returns the page l of the tickets on sale at now, narrowed and
// ordered by l.Search, or of the tickets of seller userID when l.Mine,
// newest first (ties by id, in the same direction), and whether more
// follow it. The store answers what its indexes can (the status, a word,
// the city, a bound on the field the page is ordered by); the page reads
// on past the tickets that fail the rest, such as a listing whose event
// has begun though its status still says available. An l.After that names
// no ticket fails with ticket.ErrBadCursor.
func (s *Store) List(ctx context.Context, l ticket.Listing, userID string, now time.Time) (page []ticket.Ticket, more bool, err error) {
	q := listQuery(l, userID, now)
	page = make([]ticket.Ticket, 0, l.Limit+1)
	for q.After = l.After; len(page) <= l.Limit; {
		docs, err := s.db.Query(ctx, Tickets, q)
		if errors.Is(err, store.ErrBadCursor) {
			return nil, false, fmt.Errorf("%w: %w", ticket.ErrBadCursor, err)
		}
		if err != nil {
			return nil, false, err
		}
		for _, doc := range docs {
			var d ticketDoc
			if err := doc.DataTo(&d); err != nil {
				return nil, false, fmt.Errorf("store.Doc.DataTo %s: %w", doc.ID, err)
			}
			t, err := d.unmarshal(doc.ID)
			if err != nil {
				return nil, false, err
			}
			terms := d.Terms
			if terms == nil {
				terms = t.Terms() // stored before listings kept their terms
			}
			if l.Mine || l.Search.Admits(t, terms, now) {
				page = append(page, t)
			}
			q.After = doc.ID
		}
		if len(docs) < q.Limit {
			break // the end of the list
		}
	}
	if len(page) > l.Limit {
		page, more = page[:l.Limit], true
	}
	return page, more, nil
}

// listQuery is the store query of l: what of it the store's indexes
// answer (config/tickets/firestore.indexes.json declares Firestore's).
func listQuery(l ticket.Listing, userID string, now time.Time) store.Query {
	q := store.Query{OrderBy: orderField, Desc: true, Limit: l.Limit + 1}
	if !l.Mine && l.Search.Sifts() {
		// Many of what the store finds may fail the rest of the search:
		// read on in larger steps.
		q.Limit = max(q.Limit, siftBatch)
	}
	if l.Mine {
		q.Filters = []store.Filter{store.Where("userId", store.Eq, userID)}
		return q
	}
	s := l.Search
	q.Filters = []store.Filter{store.Where("status", store.Eq, string(ticket.Available))}
	if len(s.Words) > 0 {
		q.Filters = append(q.Filters, store.Where("terms", store.Contains, search.Narrowest(s.Words)))
	}
	if s.City != "" {
		q.Filters = append(q.Filters, store.Where("cityKey", store.Eq, s.City))
	}
	switch s.Sort {
	case ticket.Soonest:
		q.OrderBy, q.Desc = "startsAt", false
		// Events that have begun sort first: the store leaves them out.
		// One lower bound, the later, so that the store seeks to it.
		if s.From.After(now) {
			q.Filters = append(q.Filters, store.Where("startsAt", store.Ge, s.From))
		} else {
			q.Filters = append(q.Filters, store.Where("startsAt", store.Gt, now))
		}
		if !s.To.IsZero() {
			q.Filters = append(q.Filters, store.Where("startsAt", store.Lt, s.To))
		}
	case ticket.Cheapest:
		q.OrderBy, q.Desc = "priceCents", false
		if s.MinPrice > 0 {
			q.Filters = append(q.Filters, store.Where("priceCents", store.Ge, s.MinPrice.Cents()))
		}
		if s.MaxPrice > 0 {
			q.Filters = append(q.Filters, store.Where("priceCents", store.Le, s.MaxPrice.Cents()))
		}
	}
	return q
}

// UpdateFunc changes the ticket t it is given and says what it did: an
// outcome other than ticket.Ignored writes t back, with events. It may run
// more than once, as transactions collide, so it must have no other effect.
type UpdateFunc func(t *ticket.Ticket) (ticket.Outcome, []event.Event, error)

// Update reads the ticket id, lets fn change it and writes the change and
// its events, all in one transaction, then wakes the outbox. It returns the
// ticket as fn left it, fn's error, or ticket.ErrNotFound.
func (s *Store) Update(ctx context.Context, id string, fn UpdateFunc) (ticket.Ticket, error) {
	var t ticket.Ticket
	var out ticket.Outcome
	err := s.db.RunTransaction(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		t, out, err = s.update(ctx, tx, id, fn)
		return err
	})
	if err != nil {
		return ticket.Ticket{}, err
	}
	if out == ticket.Changed {
		s.box.Notify()
	}
	return t, nil
}

// UpdateIn is Update within tx, the transaction of a receiver that also
// records the event's receipt; its caller wakes the outbox after commit
// (receive.AfterCommit).
func (s *Store) UpdateIn(ctx context.Context, tx store.Tx, id string, fn UpdateFunc) (ticket.Ticket, error) {
	t, _, err := s.update(ctx, tx, id, fn)
	return t, err
}

func (s *Store) update(ctx context.Context, tx store.Tx, id string, fn UpdateFunc) (ticket.Ticket, ticket.Outcome, error) {
	if !ticket.ValidID(id) {
		return ticket.Ticket{}, ticket.Ignored, ticket.ErrNotFound
	}
	var d ticketDoc
	if err := tx.Get(Tickets, id, &d); err != nil {
		return ticket.Ticket{}, ticket.Ignored, notFound(err)
	}
	t, err := d.unmarshal(id)
	if err != nil {
		return ticket.Ticket{}, ticket.Ignored, err
	}
	out, events, err := fn(&t)
	if err != nil || out == ticket.Ignored {
		return t, out, err
	}
	if err := tx.Set(Tickets, id, marshal(t)); err != nil {
		return ticket.Ticket{}, out, err
	}
	if err := s.box.Add(ctx, tx, events...); err != nil {
		return ticket.Ticket{}, out, err
	}
	return t, out, nil
}

// UpdateAvailableOfIn runs fn, in tx, on each Available ticket of seller
// userID, and writes each it changed with its events, as UpdateIn does for
// one ticket; its caller wakes the outbox after commit. The one query comes
// before every write, as the store demands. It returns how many tickets fn
// changed.
func (s *Store) UpdateAvailableOfIn(ctx context.Context, tx store.Tx, userID string, fn UpdateFunc) (int, error) {
	// Equality filters only: Firestore serves them by merging single-field
	// indexes, with no composite index to declare.
	docs, err := tx.Query(Tickets, store.Query{Filters: []store.Filter{
		store.Where("userId", store.Eq, userID),
		store.Where("status", store.Eq, string(ticket.Available)),
	}})
	if err != nil {
		return 0, err
	}
	changed := 0
	for _, doc := range docs {
		var d ticketDoc
		if err := doc.DataTo(&d); err != nil {
			return changed, fmt.Errorf("store.Doc.DataTo %s: %w", doc.ID, err)
		}
		t, err := d.unmarshal(doc.ID)
		if err != nil {
			return changed, err
		}
		out, events, err := fn(&t)
		if err != nil {
			return changed, err
		}
		if out == ticket.Ignored {
			continue
		}
		if err := tx.Set(Tickets, doc.ID, marshal(t)); err != nil {
			return changed, err
		}
		if err := s.box.Add(ctx, tx, events...); err != nil {
			return changed, err
		}
		changed++
	}
	return changed, nil
}

// ResellFunc makes the resale listing of the e-ticket e, as the replica
// holds it (a zero ETicket but for its code when the replica has never
// heard of it); live reports whether e's last listing still holds it. It
// may run more than once, as transactions collide, so it must have no
// other effect.
type ResellFunc func(e ticket.ETicket, live bool) (ticket.Ticket, []event.Event, error)

// CreateResale lists the e-ticket code again, in one transaction: it reads
// the replica's e-ticket and its last listing, lets fn make the new
// listing, and stores it with fn's events and as the e-ticket's listing,
// then wakes the outbox. Two resales of one e-ticket collide on its
// replica document, so at most one listing holds it at a time.
func (s *Store) CreateResale(ctx context.Context, code string, fn ResellFunc) (ticket.Ticket, error) {
	var t ticket.Ticket
	err := s.box.Commit(ctx, func(ctx context.Context, tx store.Tx) error {
		e, last, err := s.eticketIn(tx, code)
		if err != nil {
			return err
		}
		live := last != nil && last.Live()
		var events []event.Event
		if t, events, err = fn(e, live); err != nil {
			return err
		}
		e.Listing = t.ID()
		if err := tx.Create(Tickets, t.ID(), marshal(t)); err != nil {
			return err
		}
		if err := tx.Set(ETickets, code, marshalETicket(e)); err != nil {
			return err
		}
		return s.box.Add(ctx, tx, events...)
	})
	if err != nil {
		return ticket.Ticket{}, err
	}
	return t, nil
}

// ApplyETicketIn changes the replica's e-ticket code (a valid document id)
// with apply, within tx, creating it when the replica has never heard of it, and then runs
// listing, when given, on the e-ticket's last resale listing and writes
// what listing changed with its events, as UpdateIn does. Its caller wakes
// the outbox after commit.
func (s *Store) ApplyETicketIn(ctx context.Context, tx store.Tx, code string, apply func(*ticket.ETicket), listing UpdateFunc) error {
	e, last, err := s.eticketIn(tx, code)
	if err != nil {
		return err
	}
	apply(&e)
	if err := tx.Set(ETickets, code, marshalETicket(e)); err != nil {
		return err
	}
	if listing == nil || last == nil {
		return nil
	}
	out, events, err := listing(last)
	if err != nil || out == ticket.Ignored {
		return err
	}
	if err := tx.Set(Tickets, last.ID(), marshal(*last)); err != nil {
		return err
	}
	return s.box.Add(ctx, tx, events...)
}

// eticketIn reads the replica's e-ticket code (all but its code zero when
// the replica holds none) and its last resale listing (nil for none).
func (s *Store) eticketIn(tx store.Tx, code string) (ticket.ETicket, *ticket.Ticket, error) {
	if !store.ValidID(code) {
		return ticket.ETicket{Code: code}, nil, nil
	}
	var d eticketDoc
	switch err := tx.Get(ETickets, code, &d); {
	case errors.Is(err, store.ErrNotFound):
		return ticket.ETicket{Code: code}, nil, nil
	case err != nil:
		return ticket.ETicket{}, nil, err
	}
	e := d.unmarshal(code)
	if e.TicketID != "" && store.ValidID(e.TicketID) {
		// What the e-ticket admits to is what its listing said.
		var od ticketDoc
		switch err := tx.Get(Tickets, e.TicketID, &od); {
		case err == nil:
			e.Event, e.Seat = ticket.Event(od.Event()), ticket.Seat(od.Seat())
		case !errors.Is(err, store.ErrNotFound):
			return ticket.ETicket{}, nil, fmt.Errorf("listing %s of an e-ticket: %w", e.TicketID, err)
		}
	}
	if e.Listing == "" {
		return e, nil, nil
	}
	var td ticketDoc
	if err := tx.Get(Tickets, e.Listing, &td); err != nil {
		return ticket.ETicket{}, nil, fmt.Errorf("listing %s of an e-ticket: %w", e.Listing, err)
	}
	last, err := td.unmarshal(e.Listing)
	if err != nil {
		return ticket.ETicket{}, nil, err
	}
	return e, &last, nil
}

// notFound turns a missing document into ticket.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: %w", ticket.ErrNotFound, err)
	}
	return err
}
