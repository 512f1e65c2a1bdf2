// Package store keeps the expiration function's data in the shared
// document store:
//
//	expiries/{orderId}   state, reservation, expiresAt?
//
// beside eventing's outbox and receipts collections, and the scheduler's:
// the embedded scheduler's tasks (scheduledTasks) on the embedded default,
// the intents relayed to Cloud Tasks (taskIntents) in production. Every
// query filters or orders on one field only, so Firestore's automatic
// single-field indexes serve them all and no composite index is declared.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing/outbox"
	"github.com/buytickets/buytickets/eventing/receive"
	"github.com/buytickets/buytickets/functions/expiration/internal/expiry"
	"github.com/buytickets/buytickets/shared/scheduler/embedded"
	"github.com/buytickets/buytickets/shared/scheduler/relay"
	"github.com/buytickets/buytickets/shared/store"
)

// Expiries holds each order's expiry, by order id.
const Expiries = "expiries"

// Collections returns every collection the function writes, eventing's and
// the scheduler's included.
func Collections() []string {
	return []string{Expiries, outbox.Collection, receive.Collection, embedded.Collection, relay.Collection}
}

type expiryDoc struct {
	State       string    `store:"state"`
	Reservation int       `store:"reservation"`
	ExpiresAt   time.Time `store:"expiresAt,omitempty"`
}

func marshalExpiry(e *expiry.Expiry) expiryDoc {
	return expiryDoc{State: string(e.State()), Reservation: e.Reservation(), ExpiresAt: e.ExpiresAt()}
}

func (d expiryDoc) toExpiry(orderID string) *expiry.Expiry {
	return expiry.UnmarshalFromStore(orderID, d.Reservation, d.ExpiresAt, expiry.State(d.State))
}

// Store is the expiration function's persistence. Every change it writes
// goes with its events into the outbox, in the same transaction.
type Store struct {
	db  store.Store
	box *outbox.Outbox
}

// New returns a Store on db that records events in box.
func New(db store.Store, box *outbox.Outbox) *Store { return &Store{db: db, box: box} }

// ExpiryTx reads the expiry of orderID in tx; ok is false when there is
// none.
func (s *Store) ExpiryTx(tx store.Tx, orderID string) (e *expiry.Expiry, ok bool, err error) {
	var d expiryDoc
	switch err := tx.Get(Expiries, orderID, &d); {
	case errors.Is(err, store.ErrNotFound):
		return nil, false, nil
	case err != nil:
		return nil, false, err
	}
	return d.toExpiry(orderID), true, nil
}

// PutTx writes e in tx, whole.
func (s *Store) PutTx(tx store.Tx, e *expiry.Expiry) error {
	return tx.Set(Expiries, e.OrderID(), marshalExpiry(e))
}

// UpdateFunc changes an expiry and returns the events the change causes.
// It may run more than once, so it has no effect of its own. An error
// leaves everything as it was.
type UpdateFunc func(e *expiry.Expiry) ([]event.Event, error)

// UpdateExpiry reads the expiry of orderID (expiry.ErrNotFound when there
// is none), runs update on it and writes it, when its state changed, with
// the events, in one transaction; it wakes the outbox relay after commit.
func (s *Store) UpdateExpiry(ctx context.Context, orderID string, update UpdateFunc) error {
	return s.box.Commit(ctx, func(ctx context.Context, tx store.Tx) error {
		e, ok, err := s.ExpiryTx(tx, orderID)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: %s", expiry.ErrNotFound, orderID)
		}
		state := e.State()
		events, err := update(e)
		if err != nil {
			return err
		}
		if e.State() != state {
			if err := s.PutTx(tx, e); err != nil {
				return err
			}
		}
		return s.box.Add(ctx, tx, events...)
	})
}

// Expiry returns the expiry of orderID, or an error matching
// expiry.ErrNotFound.
func (s *Store) Expiry(ctx context.Context, orderID string) (*expiry.Expiry, error) {
	var d expiryDoc
	if err := s.db.Get(ctx, Expiries, orderID, &d); errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", expiry.ErrNotFound, orderID)
	} else if err != nil {
		return nil, err
	}
	return d.toExpiry(orderID), nil
}
