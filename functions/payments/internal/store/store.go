// Package store keeps the payments function's data in the shared document
// store:
//
//	orders/{id}      userId, status, amount (cents), expiresAt, version:
//	                 the replica of the orders function's orders
//	claims/{orderId} attempt, state, source?, amount, startedAt, chargingAt?
//	payments/{id}    orderId, stripeId, method, amount, currency, createdAt,
//	                 refundReason?, refundDueAt?, refundId?, refundedAt?
//	webhooks/{id}    type, receivedAt: the Stripe events taken, by event id
//
// beside eventing's outbox and receipts collections. Everything about one
// order (its replica, its claim, its payments) is read and written together
// as a payment.Ledger in one transaction, so two attempts to pay one order
// collide on its claim and only one commits.
//
// The sweep's work is found by fields that exist only while there is work:
// chargingAt while a claim's charge has no recorded outcome, refundDueAt
// while a refund is owed. Those queries, and the payments of an order by
// orderId, filter and order on one field only, so Firestore's automatic
// single-field indexes serve them and no composite index is declared.
package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing/outbox"
	"github.com/buytickets/buytickets/eventing/receive"
	"github.com/buytickets/buytickets/functions/payments/internal/payment"
	"github.com/buytickets/buytickets/shared/store"
)

// The collections, exported for tests that look at what was stored.
const (
	// Orders holds the replica of the orders, by order id.
	Orders = "orders"
	// Claims holds each order's claim, by order id.
	Claims = "claims"
	// Payments holds the payments, by payment id.
	Payments = "payments"
	// Webhooks holds the receipts of the Stripe events taken, by event id.
	Webhooks = "webhooks"
)

// Collections returns every collection the function writes, eventing's
// included.
func Collections() []string {
	return []string{Orders, Claims, Payments, Webhooks, outbox.Collection, receive.Collection}
}

type orderDoc struct {
	UserID    string    `store:"userId"`
	Status    string    `store:"status"`
	Amount    int64     `store:"amount"`
	ExpiresAt time.Time `store:"expiresAt"`
	Version   int       `store:"version"`
}

type claimDoc struct {
	Attempt   int       `store:"attempt"`
	State     string    `store:"state"`
	Source    string    `store:"source,omitempty"`
	Amount    int64     `store:"amount"`
	StartedAt time.Time `store:"startedAt"`
	// ChargingAt is StartedAt while the state is charging, and absent
	// otherwise: the sweep finds the claims to re-drive by it.
	ChargingAt time.Time `store:"chargingAt,omitempty"`
}

type paymentDoc struct {
	OrderID      string    `store:"orderId"`
	StripeID     string    `store:"stripeId"`
	Method       string    `store:"method"`
	Amount       int64     `store:"amount"`
	Currency     string    `store:"currency"`
	CreatedAt    time.Time `store:"createdAt"`
	RefundReason string    `store:"refundReason,omitempty"`
	RefundDueAt  time.Time `store:"refundDueAt,omitempty"`
	RefundID     string    `store:"refundId,omitempty"`
	RefundedAt   time.Time `store:"refundedAt,omitempty"`
}

type webhookDoc struct {
	Type       string    `store:"type"`
	ReceivedAt time.Time `store:"receivedAt"`
}

func marshalOrder(o payment.Order) orderDoc {
	return orderDoc{UserID: o.UserID, Status: string(o.Status), Amount: int64(o.Amount), ExpiresAt: o.ExpiresAt, Version: o.Version}
}

func (d orderDoc) toOrder(id string) payment.Order {
	return payment.Order{
		ID: id, UserID: d.UserID, Status: payment.Status(d.Status), Amount: payment.Cents(d.Amount),
		ExpiresAt: d.ExpiresAt, Version: d.Version,
	}
}

func marshalClaim(c payment.Claim) claimDoc {
	d := claimDoc{Attempt: c.Attempt, State: string(c.State), Source: c.Source, Amount: int64(c.Amount), StartedAt: c.StartedAt}
	if c.State == payment.Charging {
		d.ChargingAt = c.StartedAt
	}
	return d
}

func (d claimDoc) toClaim(orderID string) payment.Claim {
	return payment.Claim{
		OrderID: orderID, Attempt: d.Attempt, State: payment.ClaimState(d.State), Source: d.Source,
		Amount: payment.Cents(d.Amount), StartedAt: d.StartedAt,
	}
}

func marshalPayment(p payment.Payment) paymentDoc {
	return paymentDoc{
		OrderID: p.OrderID, StripeID: p.StripeID, Method: string(p.Method), Amount: int64(p.Amount),
		Currency: p.Currency, CreatedAt: p.CreatedAt,
		RefundReason: string(p.Refund.Reason), RefundDueAt: p.Refund.DueAt, RefundID: p.Refund.StripeID, RefundedAt: p.Refund.At,
	}
}

func (d paymentDoc) toPayment(id string) payment.Payment {
	return payment.Payment{
		ID: id, OrderID: d.OrderID, StripeID: d.StripeID, Method: payment.Method(d.Method),
		Amount: payment.Cents(d.Amount), Currency: d.Currency, CreatedAt: d.CreatedAt,
		Refund: payment.Refund{
			Reason: payment.RefundReason(d.RefundReason), DueAt: d.RefundDueAt, StripeID: d.RefundID, At: d.RefundedAt,
		},
	}
}

// Store is the payments function's persistence. Every change it writes goes
// with its events into the outbox, in the same transaction.
type Store struct {
	db  store.Store
	box *outbox.Outbox
}

// New returns a Store on db that records events in box.
func New(db store.Store, box *outbox.Outbox) *Store { return &Store{db: db, box: box} }

// UpdateFunc changes an order's ledger and returns the events the change
// causes. It may run more than once, so it has no effect of its own. An
// error leaves everything as it was.
type UpdateFunc func(l *payment.Ledger) ([]event.Event, error)

// Update runs UpdateTx in a transaction of its own and wakes the outbox
// relay after it commits. It returns the ledger as update left it.
func (s *Store) Update(ctx context.Context, orderID string, update UpdateFunc) (*payment.Ledger, error) {
	var updated *payment.Ledger
	err := s.box.Commit(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		updated, err = s.UpdateTx(ctx, tx, orderID, update)
		return err
	})
	if err != nil {
		return nil, err
	}
	return updated, nil
}

// UpdateTx reads the ledger of orderID in tx, runs update on it, and writes
// what update changed (the order, the claim, new or changed payments) and
// the events. Event receivers call it with the receipt's transaction; their
// receive.AfterCommit wakes the outbox relay.
func (s *Store) UpdateTx(ctx context.Context, tx store.Tx, orderID string, update UpdateFunc) (*payment.Ledger, error) {
	l, err := readLedger(tx, orderID)
	if err != nil {
		return nil, err
	}
	before := *l
	before.Payments = append([]payment.Payment(nil), l.Payments...)
	events, err := update(l)
	if err != nil {
		return nil, err
	}
	if l.Order != nil && (before.Order == nil || *l.Order != *before.Order) {
		if err := tx.Set(Orders, orderID, marshalOrder(*l.Order)); err != nil {
			return nil, err
		}
	}
	if l.Claim != before.Claim {
		if err := tx.Set(Claims, orderID, marshalClaim(l.Claim)); err != nil {
			return nil, err
		}
	}
	held := map[string]payment.Payment{}
	for _, p := range before.Payments {
		held[p.ID] = p
	}
	for _, p := range l.Payments {
		if old, ok := held[p.ID]; ok && old == p {
			continue
		}
		if !store.ValidID(p.ID) || p.OrderID != orderID {
			return nil, fmt.Errorf("store: payment %q of order %s cannot be stored", p.ID, orderID)
		}
		if err := tx.Set(Payments, p.ID, marshalPayment(p)); err != nil {
			return nil, err
		}
	}
	if err := s.box.Add(ctx, tx, events...); err != nil {
		return nil, err
	}
	return l, nil
}

// readLedger reads, in tx, everything payments holds about orderID.
func readLedger(tx store.Tx, orderID string) (*payment.Ledger, error) {
	l := payment.NewLedger(orderID)
	var od orderDoc
	switch err := tx.Get(Orders, orderID, &od); {
	case err == nil:
		o := od.toOrder(orderID)
		l.Order = &o
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	var cd claimDoc
	switch err := tx.Get(Claims, orderID, &cd); {
	case err == nil:
		l.Claim = cd.toClaim(orderID)
	case !errors.Is(err, store.ErrNotFound):
		return nil, err
	}
	docs, err := tx.Query(Payments, store.Query{Filters: []store.Filter{store.Where("orderId", store.Eq, orderID)}})
	if err != nil {
		return nil, err
	}
	if l.Payments, err = paymentsOf(docs); err != nil {
		return nil, err
	}
	sortByCreation(l.Payments)
	return l, nil
}

// Ledger returns what payments holds about orderID, read in a transaction
// of its own that writes nothing; a ledger with no order when the replica
// holds none.
func (s *Store) Ledger(ctx context.Context, orderID string) (*payment.Ledger, error) {
	var l *payment.Ledger
	err := s.db.RunTransaction(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		l, err = readLedger(tx, orderID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return l, nil
}

// TakeWebhook applies a Stripe event once: in one transaction it checks
// the event's receipt, runs update on the ledger of orderID (see UpdateTx)
// and records the receipt. A Stripe event taken before changes nothing and
// reports duplicate. It wakes the outbox relay after a commit.
func (s *Store) TakeWebhook(ctx context.Context, eventID, typ, orderID string, now time.Time, update UpdateFunc) (duplicate bool, l *payment.Ledger, err error) {
	if !store.ValidID(eventID) {
		return false, nil, fmt.Errorf("store.TakeWebhook: Stripe event id %q cannot name a document", eventID)
	}
	err = s.db.RunTransaction(ctx, func(ctx context.Context, tx store.Tx) error {
		duplicate, l = false, nil
		var seen webhookDoc
		switch err := tx.Get(Webhooks, eventID, &seen); {
		case err == nil:
			duplicate = true
			return nil
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		var err error
		if l, err = s.UpdateTx(ctx, tx, orderID, update); err != nil {
			return err
		}
		return tx.Create(Webhooks, eventID, webhookDoc{Type: typ, ReceivedAt: now})
	})
	if err != nil {
		return false, nil, err
	}
	if !duplicate {
		s.box.Notify()
	}
	return duplicate, l, nil
}

// Charging returns up to limit claims whose charge has no recorded outcome
// and that started at or before cutoff, oldest first.
func (s *Store) Charging(ctx context.Context, cutoff time.Time, limit int) ([]payment.Claim, error) {
	docs, err := s.db.Query(ctx, Claims, store.Query{
		Filters: []store.Filter{store.Where("chargingAt", store.Le, cutoff)},
		OrderBy: "chargingAt",
		Limit:   limit,
	})
	if err != nil {
		return nil, err
	}
	claims := make([]payment.Claim, 0, len(docs))
	for _, doc := range docs {
		var d claimDoc
		if err := doc.DataTo(&d); err != nil {
			return nil, fmt.Errorf("store: claim %s: %w", doc.ID, err)
		}
		claims = append(claims, d.toClaim(doc.ID))
	}
	return claims, nil
}

// RefundsDue returns up to limit payments owed back and not refunded yet,
// longest due first.
func (s *Store) RefundsDue(ctx context.Context, limit int) ([]payment.Payment, error) {
	docs, err := s.db.Query(ctx, Payments, store.Query{OrderBy: "refundDueAt", Limit: limit})
	if err != nil {
		return nil, err
	}
	return paymentsOf(docs)
}

// PaymentsOf returns the payments of orderID, oldest first.
func (s *Store) PaymentsOf(ctx context.Context, orderID string) ([]payment.Payment, error) {
	docs, err := s.db.Query(ctx, Payments, store.Query{Filters: []store.Filter{store.Where("orderId", store.Eq, orderID)}})
	if err != nil {
		return nil, err
	}
	payments, err := paymentsOf(docs)
	if err != nil {
		return nil, err
	}
	sortByCreation(payments)
	return payments, nil
}

// PaymentAt returns the payment Stripe knows by one of stripeIDs (a charge
// or a PaymentIntent; empty ones are skipped), and whether there is one.
func (s *Store) PaymentAt(ctx context.Context, stripeIDs ...string) (payment.Payment, bool, error) {
	for _, id := range stripeIDs {
		if id == "" {
			continue
		}
		docs, err := s.db.Query(ctx, Payments, store.Query{Filters: []store.Filter{store.Where("stripeId", store.Eq, id)}, Limit: 1})
		if err != nil {
			return payment.Payment{}, false, err
		}
		payments, err := paymentsOf(docs)
		if err != nil {
			return payment.Payment{}, false, err
		}
		if len(payments) > 0 {
			return payments[0], true, nil
		}
	}
	return payment.Payment{}, false, nil
}

// paymentsOf decodes payments in the order the query returned them.
func paymentsOf(docs []store.Doc) ([]payment.Payment, error) {
	payments := make([]payment.Payment, 0, len(docs))
	for _, doc := range docs {
		var d paymentDoc
		if err := doc.DataTo(&d); err != nil {
			return nil, fmt.Errorf("store: payment %s: %w", doc.ID, err)
		}
		payments = append(payments, d.toPayment(doc.ID))
	}
	return payments, nil
}

// sortByCreation sorts payments oldest first, ties by id: the order's
// first payment is the one it keeps.
func sortByCreation(payments []payment.Payment) {
	slices.SortStableFunc(payments, func(a, b payment.Payment) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}
