// Package store keeps e-tickets in the shared document store, with the
// events each change causes:
//
//	etickets/{orderId}   code, ticketId, holderId, issuerId, title, faceValue,
//	                     status, issuedAt, checkedInAt, revokedAt, revokeReason
//	refunds/{orderId}    a refund that arrived before its order's e-ticket
//	                     (reason, at), so the e-ticket is born revoked
//	listings/{ticketId}  a resale listing of the e-ticket of orderId, as
//	                     tickets last said: orderId, version, withdrawn
//	outbox/{id}          the events to send (eventing/outbox)
//	receipts/{id}        the events taken (eventing/receive)
//
// An order has at most one e-ticket because the e-ticket is keyed by the
// order; a resale's new e-ticket is keyed by the resale's order. The
// listings of an e-ticket are queried by orderId == X, an equality filter
// Firestore serves with no composite index. The holder's e-tickets are listed newest first:
//
//	holderId == X order by issuedAt desc, __name__ desc
//
// which Firestore serves with the composite index declared in
// config/etickets/firestore.indexes.json.
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
	"github.com/buytickets/buytickets/functions/etickets/internal/eticket"
	"github.com/buytickets/buytickets/shared/store"
)

// The collections of e-tickets, of refunds that came first, and of the
// resale listings of e-tickets.
const (
	ETickets = "etickets"
	Refunds  = "refunds"
	Listings = "listings"
)

// Collections returns every collection the function writes, for tests that
// look at what was stored.
func Collections() []string {
	return []string{ETickets, Refunds, Listings, outbox.Collection, receive.Collection}
}

type eticketDoc struct {
	Code         string    `store:"code"`
	TicketID     string    `store:"ticketId"`
	HolderID     string    `store:"holderId"`
	IssuerID     string    `store:"issuerId"`
	Title        string    `store:"title"`
	FaceValue    int64     `store:"faceValue"`
	Status       string    `store:"status"`
	IssuedAt     time.Time `store:"issuedAt"`
	CheckedInAt  time.Time `store:"checkedInAt,omitempty"`
	RevokedAt    time.Time `store:"revokedAt,omitempty"`
	RevokeReason string    `store:"revokeReason,omitempty"`
	// What the e-ticket admits to, as its order said.
	eventing.TicketAdmission `store:",inline"`
}

type listingDoc struct {
	OrderID   string `store:"orderId"`
	Version   int    `store:"version"`
	Withdrawn bool   `store:"withdrawn"`
}

type refundDoc struct {
	Reason string    `store:"reason"`
	At     time.Time `store:"at"`
}

func marshal(e *eticket.ETicket) eticketDoc {
	s := e.State()
	return eticketDoc{
		Code: s.Code, TicketID: s.Sale.TicketID, HolderID: s.Sale.HolderID, IssuerID: s.Sale.IssuerID,
		Title: s.Sale.Title, FaceValue: s.Sale.FaceValue, Status: string(s.Status), IssuedAt: s.IssuedAt,
		CheckedInAt: s.CheckedInAt, RevokedAt: s.RevokedAt, RevokeReason: s.RevokeReason,
		TicketAdmission: eventing.AdmissionOf(s.Sale.Event, s.Sale.Seat),
	}
}

func (d eticketDoc) unmarshal(orderID string) *eticket.ETicket {
	return eticket.UnmarshalFromStore(eticket.Stored{
		Code: d.Code,
		Sale: eticket.Sale{OrderID: orderID, TicketID: d.TicketID, HolderID: d.HolderID, IssuerID: d.IssuerID,
			Title: d.Title, FaceValue: d.FaceValue,
			Event: d.Event(), Seat: d.Seat(),
		},
		Status: eticket.Status(d.Status), IssuedAt: d.IssuedAt, CheckedInAt: d.CheckedInAt,
		RevokedAt: d.RevokedAt, RevokeReason: d.RevokeReason,
	})
}

// Store is the etickets function's persistence. Every change is written in
// one transaction with the events it causes, which its outbox relays after
// commit.
type Store struct {
	db  store.Store
	box *outbox.Outbox
}

// New returns a Store on db that records events in box.
func New(db store.Store, box *outbox.Outbox) *Store { return &Store{db: db, box: box} }

// Events makes the events of a change to an e-ticket; it is called in the
// transaction, so it must have no other effect.
type Events func(e *eticket.ETicket) ([]event.Event, error)

// IssueIn stores the e-ticket issue makes, within tx, unless the order
// already has one (issuing is idempotent whatever the deliveries do). A
// refund recorded before it revokes it at once; issued makes the events of
// a valid e-ticket, revoked those of one born revoked.
func (s *Store) IssueIn(ctx context.Context, tx store.Tx, orderID string, issue func() (*eticket.ETicket, error), issued, revoked Events) error {
	return s.issueOnce(ctx, tx, orderID, issue, issued, revoked)
}

// ResellIn completes the resale of the e-ticket of order resold by the
// order orderID, within tx, unless that order has its e-ticket already
// (whatever the deliveries do, one new e-ticket): it revokes the resold
// e-ticket for eticket.ReasonResold at now with revoked's events, if it
// is not revoked already, and stores the new e-ticket issue makes of it
// with issued's events, born revoked when its own refund came first. A
// resold e-ticket this function never issued is eticket.ErrUnknownResale.
func (s *Store) ResellIn(ctx context.Context, tx store.Tx, resold, orderID string, now time.Time, issue func(resold *eticket.ETicket) (*eticket.ETicket, error), issued, revoked Events) error {
	return s.issueOnce(ctx, tx, orderID, func() (*eticket.ETicket, error) {
		var od eticketDoc
		if err := tx.Get(ETickets, resold, &od); errors.Is(err, store.ErrNotFound) {
			return nil, eticket.ErrUnknownResale.With(fmt.Errorf("e-ticket of order %s: %w", resold, err))
		} else if err != nil {
			return nil, err
		}
		old := od.unmarshal(resold)
		e, err := issue(old)
		if err != nil {
			return nil, err
		}
		if old.Revoke(eticket.ReasonResold, now) {
			if err := s.write(ctx, tx, resold, old, revoked); err != nil {
				return nil, err
			}
		}
		return e, nil
	}, issued, revoked)
}

// issueOnce stores the e-ticket of orderID that issue makes, within tx,
// with issued's events, unless the order has its e-ticket already; one
// whose refund came first is born revoked, with revoked's events.
func (s *Store) issueOnce(ctx context.Context, tx store.Tx, orderID string, issue func() (*eticket.ETicket, error), issued, revoked Events) error {
	var d eticketDoc
	switch err := tx.Get(ETickets, orderID, &d); {
	case err == nil:
		return nil
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	var refund refundDoc
	refundErr := tx.Get(Refunds, orderID, &refund)
	if refundErr != nil && !errors.Is(refundErr, store.ErrNotFound) {
		return refundErr
	}
	e, err := issue()
	if err != nil {
		return err
	}
	events := issued
	if refundErr == nil {
		e.Revoke(refund.Reason, refund.At)
		events = revoked
	}
	return s.write(ctx, tx, orderID, e, events)
}

// ListIn records what tickets said of the resale listing l of the e-ticket
// of orderID, within tx, unless it heard as much or more already, and
// lists or restores the e-ticket by all it knows of its listings
// (eticket.ETicket.Relist). Every listing event writes the e-ticket, so
// that two about one e-ticket collide and see each other. An e-ticket
// this function never issued is eticket.ErrUnknownResale.
func (s *Store) ListIn(tx store.Tx, orderID string, l eticket.Listing) error {
	var d eticketDoc
	if err := tx.Get(ETickets, orderID, &d); errors.Is(err, store.ErrNotFound) {
		return eticket.ErrUnknownResale.With(fmt.Errorf("e-ticket of order %s: %w", orderID, err))
	} else if err != nil {
		return err
	}
	docs, err := tx.Query(Listings, store.Query{Filters: []store.Filter{store.Where("orderId", store.Eq, orderID)}})
	if err != nil {
		return err
	}
	listings := []eticket.Listing{l}
	for _, doc := range docs {
		var ld listingDoc
		if err := doc.DataTo(&ld); err != nil {
			return fmt.Errorf("store.Doc.DataTo %s: %w", doc.ID, err)
		}
		held := eticket.Listing{TicketID: doc.ID, Version: ld.Version, Withdrawn: ld.Withdrawn}
		if doc.ID != l.TicketID {
			listings = append(listings, held)
		} else if !l.Newer(held, true) {
			return nil
		}
	}
	e := d.unmarshal(orderID)
	e.Relist(listings)
	if err := tx.Set(Listings, l.TicketID, listingDoc{OrderID: orderID, Version: l.Version, Withdrawn: l.Withdrawn}); err != nil {
		return err
	}
	return tx.Set(ETickets, orderID, marshal(e))
}

// RevokeIn revokes the order's e-ticket for reason at now, within tx, and
// writes revoked's events; an order without an e-ticket yet keeps the
// refund, so that its e-ticket is born revoked.
func (s *Store) RevokeIn(ctx context.Context, tx store.Tx, orderID, reason string, now time.Time, revoked Events) error {
	var d eticketDoc
	err := tx.Get(ETickets, orderID, &d)
	if errors.Is(err, store.ErrNotFound) {
		return tx.Set(Refunds, orderID, refundDoc{Reason: reason, At: now.UTC()})
	}
	if err != nil {
		return err
	}
	e := d.unmarshal(orderID)
	if !e.Revoke(reason, now) {
		return nil
	}
	return s.write(ctx, tx, orderID, e, revoked)
}

// CheckIn reads the order's e-ticket, lets checkIn change it and writes the
// change and checkedIn's events, in one transaction, then wakes the outbox.
// It returns the e-ticket as checkIn left it, checkIn's error, or
// eticket.ErrNotFound.
func (s *Store) CheckIn(ctx context.Context, orderID string, checkIn func(*eticket.ETicket) error, checkedIn Events) (*eticket.ETicket, error) {
	var e *eticket.ETicket
	err := s.box.Commit(ctx, func(ctx context.Context, tx store.Tx) error {
		var d eticketDoc
		if err := tx.Get(ETickets, orderID, &d); err != nil {
			return notFound(err)
		}
		e = d.unmarshal(orderID)
		if err := checkIn(e); err != nil {
			return err
		}
		return s.write(ctx, tx, orderID, e, checkedIn)
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// Get returns the order's e-ticket, or eticket.ErrNotFound.
func (s *Store) Get(ctx context.Context, orderID string) (*eticket.ETicket, error) {
	var d eticketDoc
	if err := s.db.Get(ctx, ETickets, orderID, &d); err != nil {
		return nil, notFound(err)
	}
	return d.unmarshal(orderID), nil
}

// Held returns at most limit e-tickets of holderID after the one of the
// order after ("" for the first page), newest first, and whether more
// follow. An after that names no e-ticket fails with store.ErrBadCursor.
func (s *Store) Held(ctx context.Context, holderID string, limit int, after string) (page []*eticket.ETicket, more bool, err error) {
	docs, err := s.db.Query(ctx, ETickets, store.Query{
		Filters: []store.Filter{store.Where("holderId", store.Eq, holderID)},
		OrderBy: "issuedAt", Desc: true, Limit: limit + 1, After: after,
	})
	if err != nil {
		return nil, false, err
	}
	if len(docs) > limit {
		docs, more = docs[:limit], true
	}
	page = make([]*eticket.ETicket, 0, len(docs))
	for _, doc := range docs {
		var d eticketDoc
		if err := doc.DataTo(&d); err != nil {
			return nil, false, fmt.Errorf("store.Doc.DataTo %s: %w", doc.ID, err)
		}
		page = append(page, d.unmarshal(doc.ID))
	}
	return page, more, nil
}

// write sets the e-ticket and adds the events events makes of it.
func (s *Store) write(ctx context.Context, tx store.Tx, orderID string, e *eticket.ETicket, events Events) error {
	evs, err := events(e)
	if err != nil {
		return err
	}
	if err := tx.Set(ETickets, orderID, marshal(e)); err != nil {
		return err
	}
	return s.box.Add(ctx, tx, evs...)
}

// notFound turns a missing document into eticket.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return eticket.ErrNotFound.With(err)
	}
	return err
}
