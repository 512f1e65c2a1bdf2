// Package store keeps the payouts function's data in the shared document
// store:
//
//	payouts/{orderId}   everything known of one order's sale (payout.Ledger):
//	                    chargeId?, refunded[], and once sold id, sellerId,
//	                    price, amount, fee (cents), status, hold?, createdAt,
//	                    releaseAt, retryAt?, attempt, releasingAt?,
//	                    destination?, transferId?, releasedAt?, reverseDue,
//	                    reversalId?, reversedAt?
//	accounts/{userId}   a seller's connected account: accountId,
//	                    payoutsEnabled, createdAt, updatedAt
//
// beside eventing's outbox and receipts collections. A payout is keyed by
// its order, so an order has one payout however often its sale is
// delivered, and the events about it (payment.created, eticket.checkedin,
// payment.refunded) meet in one document whatever their order.
//
// The release loop finds its work by fields that exist only while there is
// work: dueAt while a payout waits for its release time, releasingAt while
// a transfer has no recorded outcome, reverseDueAt while a transfer is owed
// back, awaitingSeller while a payout waits for its seller's onboarding.
// Those filter and order on one field, which Firestore's single-field
// indexes serve; a seller's list (sellerId == X order by createdAt desc)
// needs the composite index of config/payouts/firestore.indexes.json.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing/outbox"
	"github.com/buytickets/buytickets/eventing/receive"
	"github.com/buytickets/buytickets/functions/payouts/internal/payout"
	"github.com/buytickets/buytickets/shared/store"
)

// The collections, exported for tests that look at what was stored.
const (
	// Payouts holds each order's payout.Ledger, by order id.
	Payouts = "payouts"
	// Accounts holds the sellers' connected accounts, by user id.
	Accounts = "accounts"
)

// Collections returns every collection the function writes, eventing's
// included.
func Collections() []string {
	return []string{Payouts, Accounts, outbox.Collection, receive.Collection}
}

type payoutDoc struct {
	ChargeID    string    `store:"chargeId,omitempty"`
	Refunded    []string  `store:"refunded,omitempty"`
	ID          string    `store:"id,omitempty"`
	SellerID    string    `store:"sellerId,omitempty"`
	Price       int64     `store:"price"`
	Amount      int64     `store:"amount"`
	Fee         int64     `store:"fee"`
	Status      string    `store:"status,omitempty"`
	Hold        string    `store:"hold,omitempty"`
	CreatedAt   time.Time `store:"createdAt,omitempty"`
	ReleaseAt   time.Time `store:"releaseAt,omitempty"`
	RetryAt     time.Time `store:"retryAt,omitempty"`
	Attempt     int       `store:"attempt"`
	ReleasingAt time.Time `store:"releasingAt,omitempty"`
	Destination string    `store:"destination,omitempty"`
	TransferID  string    `store:"transferId,omitempty"`
	ReleasedAt  time.Time `store:"releasedAt,omitempty"`
	ReverseDue  bool      `store:"reverseDue"`
	ReversalID  string    `store:"reversalId,omitempty"`
	ReversedAt  time.Time `store:"reversedAt,omitempty"`
	// The sweeps' work, derived from the rest on every write.
	DueAt          time.Time `store:"dueAt,omitempty"`
	AwaitingSeller string    `store:"awaitingSeller,omitempty"`
	ReverseDueAt   time.Time `store:"reverseDueAt,omitempty"`
}

type accountDoc struct {
	AccountID      string    `store:"accountId"`
	PayoutsEnabled bool      `store:"payoutsEnabled"`
	CreatedAt      time.Time `store:"createdAt"`
	UpdatedAt      time.Time `store:"updatedAt,omitempty"`
}

func marshal(l *payout.Ledger, now time.Time) payoutDoc {
	d := payoutDoc{ChargeID: l.ChargeID, Refunded: l.Refunded}
	p := l.Payout
	if p == nil {
		return d
	}
	d.ID, d.SellerID, d.Price, d.Amount, d.Fee = p.ID, p.SellerID, int64(p.Price), int64(p.Amount), int64(p.Fee)
	d.Status, d.Hold, d.CreatedAt, d.ReleaseAt, d.RetryAt = string(p.Status), p.Hold, p.CreatedAt, p.ReleaseAt, p.RetryAt
	d.Attempt, d.ReleasingAt, d.Destination = p.Attempt, p.ReleasingAt, p.Destination
	d.TransferID, d.ReleasedAt, d.ReverseDue, d.ReversalID, d.ReversedAt = p.TransferID, p.ReleasedAt, p.ReverseDue, p.ReversalID, p.ReversedAt
	switch {
	case p.Status == payout.Pending && p.Hold == payout.AwaitingOnboarding:
		d.AwaitingSeller = p.SellerID
	case p.Status == payout.Pending && l.ChargeID != "" && !p.Claimed():
		d.DueAt = p.ReleaseAt
		if p.RetryAt.After(d.DueAt) {
			d.DueAt = p.RetryAt
		}
	}
	if l.ReversalDue() {
		d.ReverseDueAt = now.UTC()
	}
	return d
}

func (d payoutDoc) unmarshal(orderID string) *payout.Ledger {
	l := &payout.Ledger{OrderID: orderID, ChargeID: d.ChargeID, Refunded: d.Refunded}
	if d.ID == "" {
		return l
	}
	l.Payout = &payout.Payout{
		ID: d.ID, OrderID: orderID, SellerID: d.SellerID, Price: payout.Cents(d.Price), Amount: payout.Cents(d.Amount),
		Fee: payout.Cents(d.Fee), Status: payout.Status(d.Status), Hold: d.Hold, CreatedAt: d.CreatedAt,
		ReleaseAt: d.ReleaseAt, RetryAt: d.RetryAt, Attempt: d.Attempt, ReleasingAt: d.ReleasingAt,
		Destination: d.Destination, TransferID: d.TransferID, ReleasedAt: d.ReleasedAt, ReverseDue: d.ReverseDue,
		ReversalID: d.ReversalID, ReversedAt: d.ReversedAt,
	}
	return l
}

func (d accountDoc) unmarshal(userID string) *payout.Account {
	return &payout.Account{UserID: userID, AccountID: d.AccountID, PayoutsEnabled: d.PayoutsEnabled, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt}
}

// Store is the payouts function's persistence. Every change is written in
// one transaction with the events it causes, which its outbox relays after
// commit.
type Store struct {
	db  store.Store
	box *outbox.Outbox
	now func() time.Time
}

// New returns a Store on db that records events in box, on the clock now.
func New(db store.Store, box *outbox.Outbox, now func() time.Time) *Store {
	return &Store{db: db, box: box, now: now}
}

// UpdateFunc changes an order's ledger, knowing its seller's connected
// account (nil when the seller has none), and returns the events the change
// causes. It runs in a transaction that may run again, so it must have no
// other effect.
type UpdateFunc func(l *payout.Ledger, seller *payout.Account) ([]event.Event, error)

// UpdateIn reads the ledger of orderID (empty when there is none) and the
// account of its seller (sellerID, or the seller its payout names when
// that is ""), lets fn change the ledger and writes it with fn's events,
// within tx.
func (s *Store) UpdateIn(ctx context.Context, tx store.Tx, orderID, sellerID string, fn UpdateFunc) error {
	var d payoutDoc
	if err := tx.Get(Payouts, orderID, &d); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	l := d.unmarshal(orderID)
	if sellerID == "" && l.Payout != nil {
		sellerID = l.Payout.SellerID
	}
	a, err := accountIn(tx, sellerID)
	if err != nil {
		return err
	}
	evs, err := fn(l, a)
	if err != nil {
		return err
	}
	if err := tx.Set(Payouts, orderID, marshal(l, s.now())); err != nil {
		return err
	}
	return s.box.Add(ctx, tx, evs...)
}

func accountIn(tx store.Tx, userID string) (*payout.Account, error) {
	if !store.ValidID(userID) {
		return nil, nil
	}
	var d accountDoc
	switch err := tx.Get(Accounts, userID, &d); {
	case errors.Is(err, store.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return d.unmarshal(userID), nil
}

// Update is UpdateIn in a transaction of its own, after which the outbox
// is woken.
func (s *Store) Update(ctx context.Context, orderID string, fn UpdateFunc) error {
	return s.box.Commit(ctx, func(ctx context.Context, tx store.Tx) error { return s.UpdateIn(ctx, tx, orderID, "", fn) })
}

// Ledger returns what is held about orderID; an empty ledger when nothing.
func (s *Store) Ledger(ctx context.Context, orderID string) (*payout.Ledger, error) {
	var d payoutDoc
	if err := s.db.Get(ctx, Payouts, orderID, &d); err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	return d.unmarshal(orderID), nil
}

// OfSeller returns at most limit ledgers of the payouts of sellerID after
// the one of order after ("" for the first page), newest first, and
// whether more follow.
func (s *Store) OfSeller(ctx context.Context, sellerID string, limit int, after string) (page []*payout.Ledger, more bool, err error) {
	docs, err := s.db.Query(ctx, Payouts, store.Query{
		Filters: []store.Filter{store.Where("sellerId", store.Eq, sellerID)},
		OrderBy: "createdAt", Desc: true, Limit: limit + 1, After: after,
	})
	if err != nil {
		return nil, false, err
	}
	if len(docs) > limit {
		docs, more = docs[:limit], true
	}
	page = make([]*payout.Ledger, 0, len(docs))
	for _, doc := range docs {
		var d payoutDoc
		if err := doc.DataTo(&d); err != nil {
			return nil, false, fmt.Errorf("store.Doc.DataTo %s: %w", doc.ID, err)
		}
		page = append(page, d.unmarshal(doc.ID))
	}
	return page, more, nil
}

// Due returns the orders of at most limit payouts due at now, soonest
// first.
func (s *Store) Due(ctx context.Context, now time.Time, limit int) ([]string, error) {
	return s.ids(ctx, "dueAt", now, limit)
}

// NextDue returns when the next payout falls due after now, and false when
// none waits.
func (s *Store) NextDue(ctx context.Context) (time.Time, bool, error) {
	docs, err := s.db.Query(ctx, Payouts, store.Query{
		Filters: []store.Filter{store.Where("dueAt", store.Gt, time.Time{})}, OrderBy: "dueAt", Limit: 1,
	})
	if err != nil || len(docs) == 0 {
		return time.Time{}, false, err
	}
	var d payoutDoc
	if err := docs[0].DataTo(&d); err != nil {
		return time.Time{}, false, err
	}
	return d.DueAt, true, nil
}

// Releasing returns the orders of at most limit payouts whose transfer was
// claimed at before or earlier and has no recorded outcome.
func (s *Store) Releasing(ctx context.Context, before time.Time, limit int) ([]string, error) {
	return s.ids(ctx, "releasingAt", before, limit)
}

// ReversalsDue returns the orders of at most limit payouts whose transfer
// is owed back.
func (s *Store) ReversalsDue(ctx context.Context, limit int) ([]string, error) {
	return s.ids(ctx, "reverseDueAt", s.now(), limit)
}

// ids returns the ids of at most limit payouts whose field is at or
// before t, in its order.
func (s *Store) ids(ctx context.Context, field string, t time.Time, limit int) ([]string, error) {
	docs, err := s.db.Query(ctx, Payouts, store.Query{
		Filters: []store.Filter{store.Where(field, store.Le, t.UTC())}, OrderBy: field, Limit: limit,
	})
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(docs))
	for _, d := range docs {
		ids = append(ids, d.ID)
	}
	return ids, nil
}

// Account returns the connected account of userID, or payout.ErrNotFound.
func (s *Store) Account(ctx context.Context, userID string) (*payout.Account, error) {
	var d accountDoc
	if err := s.db.Get(ctx, Accounts, userID, &d); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, payout.ErrNotFound.With(err)
		}
		return nil, err
	}
	return d.unmarshal(userID), nil
}

// AddAccount keeps a as its seller's connected account unless the seller
// has one already, and returns the one kept.
func (s *Store) AddAccount(ctx context.Context, a payout.Account) (*payout.Account, error) {
	var kept *payout.Account
	err := s.db.RunTransaction(ctx, func(_ context.Context, tx store.Tx) error {
		held, err := accountIn(tx, a.UserID)
		if err != nil || held != nil {
			kept = held
			return err
		}
		kept = &a
		return tx.Create(Accounts, a.UserID, accountDoc{AccountID: a.AccountID, CreatedAt: a.CreatedAt.UTC()})
	})
	return kept, err
}

// maxRequeue is the most payouts one account.updated releases from their
// wait in its transaction; the rest wait for the next update or sweep.
const maxRequeue = 200

// UpdateAccount records that the connected account accountID can (or can
// no longer) receive payouts, as Stripe said at at, unless Stripe said
// something later already. When the account becomes ready, the payouts of
// its seller waiting for it fall due. It returns the account, or
// payout.ErrNotFound for an account of no seller here, and how many
// payouts it made due.
func (s *Store) UpdateAccount(ctx context.Context, accountID string, enabled bool, at time.Time) (*payout.Account, int, error) {
	var a *payout.Account
	var requeued int
	err := s.db.RunTransaction(ctx, func(_ context.Context, tx store.Tx) error {
		requeued = 0
		docs, err := tx.Query(Accounts, store.Query{Filters: []store.Filter{store.Where("accountId", store.Eq, accountID)}, Limit: 1})
		if err != nil {
			return err
		}
		if len(docs) == 0 {
			return payout.ErrNotFound
		}
		var d accountDoc
		if err := docs[0].DataTo(&d); err != nil {
			return err
		}
		a = d.unmarshal(docs[0].ID)
		if !a.UpdatedAt.IsZero() && at.Before(a.UpdatedAt) {
			return nil
		}
		a.PayoutsEnabled, a.UpdatedAt = enabled, at.UTC()
		var waiting []store.Doc
		if a.Ready() {
			waiting, err = tx.Query(Payouts, store.Query{
				Filters: []store.Filter{store.Where("awaitingSeller", store.Eq, a.UserID)}, Limit: maxRequeue,
			})
			if err != nil {
				return err
			}
		}
		if err := tx.Set(Accounts, a.UserID, accountDoc{AccountID: a.AccountID, PayoutsEnabled: a.PayoutsEnabled, CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}); err != nil {
			return err
		}
		for _, doc := range waiting {
			var pd payoutDoc
			if err := doc.DataTo(&pd); err != nil {
				return err
			}
			l := pd.unmarshal(doc.ID)
			if !l.AccountReady() {
				continue
			}
			requeued++
			if err := tx.Set(Payouts, doc.ID, marshal(l, s.now())); err != nil {
				return err
			}
		}
		return nil
	})
	return a, requeued, err
}
