// Package store keeps what the notifications function knows and the emails
// it owes, in the shared document store:
//
//	users/{userId}     email: from user.registered, and from order.completed
//	                   for the buyer
//	orders/{orderId}   buyerId, ticketId, title, priceCents: from
//	                   order.created and order.completed
//	optouts/{userId}   at: the user unsubscribed from non-transactional email
//	mail/{kind-cause}  one email owed: kind, userId or orderId (whose buyer
//	                   it goes to), facts, createdAt, pendingAt while it is
//	                   to be sent (the time it may next be tried), attempts,
//	                   doneAt with sentAt or dropReason once finished
//	receipts/{id}      the events taken (eventing/receive)
//
// An email is queued in the transaction of the event that causes it, under
// an id made of its kind and cause, so a cause gets one email however
// often its event comes. Sending is claim, send, finish: a claim moves
// pendingAt past a lease in a transaction, so one sender at a time has an
// email; finishing clears pendingAt. The senders' query is
//
//	pendingAt <= now order by pendingAt
//
// a single-field range that Firestore indexes by itself.
package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/buytickets/buytickets/eventing/receive"
	"github.com/buytickets/buytickets/functions/notifications/internal/mail"
	"github.com/buytickets/buytickets/shared/store"
)

// The collections the function writes.
const (
	Users   = "users"
	Orders  = "orders"
	OptOuts = "optouts"
	Mail    = "mail"
)

// Collections returns every collection the function writes, for tests that
// look at what was stored.
func Collections() []string { return []string{Users, Orders, OptOuts, Mail, receive.Collection} }

type userDoc struct {
	Email string `store:"email"`
}

type orderDoc struct {
	BuyerID    string `store:"buyerId,omitempty"`
	TicketID   string `store:"ticketId,omitempty"`
	Title      string `store:"title,omitempty"`
	PriceCents int64  `store:"priceCents,omitempty"`
}

type optOutDoc struct {
	At time.Time `store:"at"`
}

type mailDoc struct {
	Kind       string    `store:"kind"`
	UserID     string    `store:"userId,omitempty"`
	OrderID    string    `store:"orderId,omitempty"`
	TicketID   string    `store:"ticketId,omitempty"`
	Title      string    `store:"title,omitempty"`
	Amount     int64     `store:"amount,omitempty"`
	Code       string    `store:"code,omitempty"`
	Admits     string    `store:"admits,omitempty"`
	CreatedAt  time.Time `store:"createdAt"`
	PendingAt  time.Time `store:"pendingAt,omitempty"`
	Attempts   int       `store:"attempts"`
	LastError  string    `store:"lastError,omitempty"`
	DoneAt     time.Time `store:"doneAt,omitempty"`
	SentAt     time.Time `store:"sentAt,omitempty"`
	DropReason string    `store:"dropReason,omitempty"`
	Trace      string    `store:"trace,omitempty"` // the traceparent of the event that queued it
}

// Queued is an email owed.
type Queued struct {
	// ID is mail.ID of its kind and cause.
	ID   string
	Kind mail.Kind
	// UserID is whom it goes to; "" for the buyer of Facts.OrderID.
	UserID    string
	Facts     mail.Facts
	CreatedAt time.Time
	// Attempts is how many tries failed or were claimed.
	Attempts int
	// Trace is the traceparent of the event that queued it, which each
	// try continues.
	Trace string
}

// Status is where an email stands.
type Status struct {
	Attempts   int
	SentAt     time.Time // zero unless sent
	DropReason string    // "" unless dropped
	Pending    bool
	// LastError is why its last finished try failed: "" until a try has
	// failed and been given its next time (a try under way has not).
	LastError string
}

// Store is the notifications function's store.
type Store struct {
	db store.Store
}

// New returns the store on db.
func New(db store.Store) *Store { return &Store{db: db} }

// RememberUserIn records in tx that userID's email is email.
func (s *Store) RememberUserIn(tx store.Tx, userID, email string) error {
	return tx.Set(Users, userID, userDoc{Email: email})
}

// OrderFacts are what an order event tells of its order; blank fields are
// left as they were.
type OrderFacts struct {
	BuyerID, TicketID, Title string
	PriceCents               int64
}

// RememberOrderIn merges in tx what an order event tells of orderID. It
// reads, so it comes before the transaction's writes.
func (s *Store) RememberOrderIn(tx store.Tx, orderID string, f OrderFacts) (func() error, error) {
	var d orderDoc
	if err := tx.Get(Orders, orderID, &d); err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("store: order %s: %w", orderID, err)
	}
	d.BuyerID = cmp.Or(f.BuyerID, d.BuyerID)
	d.TicketID = cmp.Or(f.TicketID, d.TicketID)
	d.Title = cmp.Or(f.Title, d.Title)
	d.PriceCents = cmp.Or(f.PriceCents, d.PriceCents)
	return func() error { return tx.Set(Orders, orderID, d) }, nil
}

// QueueIn returns the write that queues q in tx, due at now, or nil when
// an email of its id is already queued or finished: one per cause. It
// reads, so it comes before the transaction's writes.
func (s *Store) QueueIn(tx store.Tx, q Queued, now time.Time) (func() error, error) {
	var d mailDoc
	switch err := tx.Get(Mail, q.ID, &d); {
	case err == nil:
		return nil, nil
	case !errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("store: mail %s: %w", q.ID, err)
	}
	d = mailDoc{
		Kind: string(q.Kind), UserID: q.UserID, OrderID: q.Facts.OrderID, TicketID: q.Facts.TicketID,
		Title: q.Facts.Title, Amount: q.Facts.Amount, Code: q.Facts.Code, Admits: q.Facts.Admits,
		CreatedAt: now, PendingAt: now, Trace: q.Trace,
	}
	return func() error { return tx.Create(Mail, q.ID, d) }, nil
}

// Due returns up to limit emails whose next try is due at now, the
// longest waiting first.
func (s *Store) Due(ctx context.Context, now time.Time, limit int) ([]string, error) {
	docs, err := s.db.Query(ctx, Mail, store.Query{
		Filters: []store.Filter{store.Where("pendingAt", store.Le, now)},
		OrderBy: "pendingAt", Limit: limit,
	})
	if err != nil {
		return nil, fmt.Errorf("store.Due: %w", err)
	}
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	return ids, nil
}

// Next returns when the next email is due, or false when none is pending.
func (s *Store) Next(ctx context.Context) (time.Time, bool, error) {
	docs, err := s.db.Query(ctx, Mail, store.Query{
		Filters: []store.Filter{store.Where("pendingAt", store.Gt, time.Time{})},
		OrderBy: "pendingAt", Limit: 1,
	})
	if err != nil || len(docs) == 0 {
		return time.Time{}, false, err
	}
	var d mailDoc
	if err := docs[0].DataTo(&d); err != nil {
		return time.Time{}, false, fmt.Errorf("store.Next: %s: %w", docs[0].ID, err)
	}
	return d.PendingAt, true, nil
}

// ErrNotDue is an email another sender claimed, or that is finished or not
// yet due.
var ErrNotDue = errors.New("store: mail is not due")

// Claim takes the email id for one try at now: it counts the attempt and
// moves its next try a lease ahead, so no other sender takes it meanwhile
// (and it is taken again should this one never finish). ErrNotDue when it
// is not due.
func (s *Store) Claim(ctx context.Context, id string, now time.Time, lease time.Duration) (Queued, error) {
	var q Queued
	err := s.db.RunTransaction(ctx, func(_ context.Context, tx store.Tx) error {
		var d mailDoc
		if err := tx.Get(Mail, id, &d); err != nil {
			return err
		}
		if d.PendingAt.IsZero() || d.PendingAt.After(now) {
			return ErrNotDue
		}
		d.Attempts++
		d.PendingAt = now.Add(lease)
		q = Queued{
			ID: id, Kind: mail.Kind(d.Kind), UserID: d.UserID, CreatedAt: d.CreatedAt, Attempts: d.Attempts, Trace: d.Trace,
			Facts: mail.Facts{OrderID: d.OrderID, TicketID: d.TicketID, Title: d.Title, Amount: d.Amount, Code: d.Code, Admits: d.Admits},
		}
		return tx.Set(Mail, id, d)
	})
	if err != nil {
		return Queued{}, fmt.Errorf("store.Claim %s: %w", id, err)
	}
	return q, nil
}

// Recipient is whom an email goes to.
type Recipient struct {
	UserID string
	// Email is "" while the user's address is not known.
	Email string
	// OptedOut reports that the user unsubscribed from non-transactional
	// email.
	OptedOut bool
}

// Resolve returns whom q goes to, and q's facts completed with what its
// order's events told: its UserID, or else the buyer of its order.
func (s *Store) Resolve(ctx context.Context, q Queued) (Recipient, mail.Facts, error) {
	facts := q.Facts
	userID := q.UserID
	if facts.OrderID != "" {
		var o orderDoc
		if err := s.db.Get(ctx, Orders, facts.OrderID, &o); err != nil && !errors.Is(err, store.ErrNotFound) {
			return Recipient{}, facts, fmt.Errorf("store.Resolve: order %s: %w", facts.OrderID, err)
		}
		userID = cmp.Or(userID, o.BuyerID)
		facts.TicketID = cmp.Or(facts.TicketID, o.TicketID)
		facts.Title = cmp.Or(facts.Title, o.Title)
		facts.Amount = cmp.Or(facts.Amount, o.PriceCents)
	}
	r := Recipient{UserID: userID}
	if userID == "" {
		return r, facts, nil
	}
	var u userDoc
	if err := s.db.Get(ctx, Users, userID, &u); err != nil && !errors.Is(err, store.ErrNotFound) {
		return r, facts, fmt.Errorf("store.Resolve: user %s: %w", userID, err)
	}
	r.Email = u.Email
	var o optOutDoc
	switch err := s.db.Get(ctx, OptOuts, userID, &o); {
	case err == nil:
		r.OptedOut = true
	case !errors.Is(err, store.ErrNotFound):
		return r, facts, fmt.Errorf("store.Resolve: opt-out %s: %w", userID, err)
	}
	return r, facts, nil
}

// Sent finishes the email q as sent at now. It holds even when another
// try has claimed q since: the email did go out.
func (s *Store) Sent(ctx context.Context, q Queued, now time.Time) error {
	return s.finish(ctx, "store.Sent", q, false, func(d *mailDoc) {
		d.PendingAt, d.DoneAt, d.SentAt, d.LastError = time.Time{}, now, now, ""
	})
}

// Drop finishes the email q unsent at now, for reason, unless a later try
// has claimed it since.
func (s *Store) Drop(ctx context.Context, q Queued, now time.Time, reason string) error {
	return s.finish(ctx, "store.Drop", q, true, func(d *mailDoc) {
		d.PendingAt, d.DoneAt, d.DropReason = time.Time{}, now, reason
	})
}

// Retry makes the email q due again at at, after its try failed with cause,
// unless a later try has claimed it since.
func (s *Store) Retry(ctx context.Context, q Queued, at time.Time, cause error) error {
	return s.finish(ctx, "store.Retry", q, true, func(d *mailDoc) {
		d.PendingAt, d.LastError = at, cause.Error()
	})
}

// finish records the outcome of q's try. An email already finished stays
// as it is, whatever a slower try reports after: a try that outlived its
// lease must not queue again an email another try has sent. With
// ownClaimOnly, the outcome is dropped too when a later try holds q.
func (s *Store) finish(ctx context.Context, op string, q Queued, ownClaimOnly bool, change func(*mailDoc)) error {
	err := s.db.RunTransaction(ctx, func(_ context.Context, tx store.Tx) error {
		var d mailDoc
		if err := tx.Get(Mail, q.ID, &d); err != nil {
			return err
		}
		if !d.DoneAt.IsZero() || (ownClaimOnly && d.Attempts != q.Attempts) {
			return nil
		}
		change(&d)
		return tx.Set(Mail, q.ID, d)
	})
	if err != nil {
		return fmt.Errorf("%s %s: %w", op, q.ID, err)
	}
	return nil
}

// Status returns where the email id stands; store.ErrNotFound when none
// was queued.
func (s *Store) Status(ctx context.Context, id string) (Status, error) {
	var d mailDoc
	if err := s.db.Get(ctx, Mail, id, &d); err != nil {
		return Status{}, fmt.Errorf("store.Status %s: %w", id, err)
	}
	return Status{Attempts: d.Attempts, SentAt: d.SentAt, DropReason: d.DropReason, Pending: !d.PendingAt.IsZero(), LastError: d.LastError}, nil
}

// OptOut records at now that userID wants no more non-transactional
// email; doing it again changes nothing.
func (s *Store) OptOut(ctx context.Context, userID string, now time.Time) error {
	err := s.db.RunTransaction(ctx, func(_ context.Context, tx store.Tx) error {
		var d optOutDoc
		switch err := tx.Get(OptOuts, userID, &d); {
		case err == nil:
			return nil
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		return tx.Set(OptOuts, userID, optOutDoc{At: now})
	})
	if err != nil {
		return fmt.Errorf("store.OptOut %s: %w", userID, err)
	}
	return nil
}

// DeleteFinished deletes the emails finished at or before cutoff, and
// returns how many.
func (s *Store) DeleteFinished(ctx context.Context, cutoff time.Time) (int, error) {
	n, err := store.DeleteOlder(ctx, s.db, Mail, "doneAt", cutoff, store.MaxBatch)
	if err != nil {
		return n, fmt.Errorf("store.DeleteFinished: %w", err)
	}
	return n, nil
}
