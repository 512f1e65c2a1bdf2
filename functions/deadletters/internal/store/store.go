// Package store keeps dead letters in the shared document store:
//
//	deadletters/{IDOf(source, id, errordest)}  event, eventType, eventId, source, subject,
//	                                           errorCode, errorDest, errorData, receivedAt
//
// The id is a hash of the delivery, so the broker handing over the same
// delivery twice finds its dead letter already there.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/buytickets/buytickets/functions/deadletters/internal/deadletter"
	"github.com/buytickets/buytickets/shared/store"
)

// Collection holds the dead letters, by id.
const Collection = "deadletters"

// orderField is the field listings are sorted by, oldest first.
const orderField = "receivedAt"

type deadLetterDoc struct {
	Event      string    `store:"event"`
	EventType  string    `store:"eventType"`
	EventID    string    `store:"eventId"`
	Source     string    `store:"source"`
	Subject    string    `store:"subject,omitempty"`
	ErrorCode  int       `store:"errorCode"`
	ErrorDest  string    `store:"errorDest"`
	ErrorData  string    `store:"errorData"`
	ReceivedAt time.Time `store:"receivedAt"`
}

func marshal(d deadletter.DeadLetter) deadLetterDoc {
	return deadLetterDoc{
		Event: d.Event, EventType: d.EventType, EventID: d.EventID, Source: d.Source, Subject: d.Subject,
		ErrorCode: d.ErrorCode, ErrorDest: d.ErrorDest, ErrorData: d.ErrorData, ReceivedAt: d.ReceivedAt,
	}
}

func (doc deadLetterDoc) unmarshal(id string) deadletter.DeadLetter {
	return deadletter.DeadLetter{
		ID: id, Event: doc.Event, EventType: doc.EventType, EventID: doc.EventID, Source: doc.Source,
		Subject: doc.Subject, ErrorCode: doc.ErrorCode, ErrorDest: doc.ErrorDest, ErrorData: doc.ErrorData,
		ReceivedAt: doc.ReceivedAt,
	}
}

// Store is the dead-letter function's persistence.
type Store struct {
	db store.Store
}

// New returns a Store on db.
func New(db store.Store) *Store { return &Store{db: db} }

// Record stores d unless a dead letter with its id is there already, and
// reports whether it created it. A duplicate is not an error: the broker may
// hand the same delivery over more than once, and the first copy is kept
// unchanged. The create is what decides, so of two racing copies exactly
// one is stored.
func (s *Store) Record(ctx context.Context, d deadletter.DeadLetter) (created bool, err error) {
	err = s.db.RunTransaction(ctx, func(_ context.Context, tx store.Tx) error {
		return tx.Create(Collection, d.ID, marshal(d))
	})
	switch {
	case errors.Is(err, store.ErrConflict):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

// List returns the page p of the dead letters, oldest first, and whether
// more follow it. An after that names no dead letter, such as one replayed
// since, fails with store.ErrBadCursor.
func (s *Store) List(ctx context.Context, p deadletter.Page) (page []deadletter.DeadLetter, more bool, err error) {
	docs, err := s.db.Query(ctx, Collection, store.Query{OrderBy: orderField, Limit: p.Limit + 1, After: p.After})
	if err != nil {
		return nil, false, err
	}
	if len(docs) > p.Limit {
		docs, more = docs[:p.Limit], true
	}
	page = make([]deadletter.DeadLetter, 0, len(docs))
	for _, d := range docs {
		var doc deadLetterDoc
		if err := d.DataTo(&doc); err != nil {
			return nil, false, fmt.Errorf("store.Doc.DataTo %s: %w", d.ID, err)
		}
		page = append(page, doc.unmarshal(d.ID))
	}
	return page, more, nil
}

// Get returns the dead letter id, or deadletter.ErrNotFound.
func (s *Store) Get(ctx context.Context, id string) (deadletter.DeadLetter, error) {
	var doc deadLetterDoc
	err := s.db.Get(ctx, Collection, id, &doc)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return deadletter.DeadLetter{}, fmt.Errorf("%w: %w", deadletter.ErrNotFound, err)
	case err != nil:
		return deadletter.DeadLetter{}, err
	}
	return doc.unmarshal(id), nil
}

// Delete removes the dead letter id; removing one already gone is not an
// error, so two replays that both succeed both succeed.
func (s *Store) Delete(ctx context.Context, id string) error {
	return s.db.RunTransaction(ctx, func(_ context.Context, tx store.Tx) error {
		return tx.Delete(Collection, id)
	})
}
