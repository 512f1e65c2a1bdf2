package payments_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/functions/payments/internal/payment"
	paymentsstore "github.com/buytickets/buytickets/functions/payments/internal/store"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/testenv"
)

func TestConcurrentPaymentsForOneOrderChargeOnce(t *testing.T) {
	t.Parallel()
	const attempts, replicas = 20, 2
	path := filepath.Join(t.TempDir(), "payments.db")
	first := newFn(t, withStore(openSQLiteAt(t, path)))
	fns := []*fn{first}
	for range replicas - 1 {
		fns = append(fns, newFn(t, withStore(openSQLiteAt(t, path)), sharing(first), withStripeAt(first.stripe.URL)))
	}
	orderID := first.placeOrder("buyer", 19.99)

	results := make([]response, attempts)
	testenv.Race(attempts, func(i int) func() {
		u := fns[i%replicas].user("buyer")
		return func() { results[i] = u.pay(orderID, "tok_visa") }
	})

	var paid []paymentBody
	for i, res := range results {
		switch res.Code {
		case http.StatusCreated:
			paid = append(paid, paymentOf(t, res.Body))
		case http.StatusConflict:
			httpxtest.WantError(t, res, http.StatusConflict, "Payment in progress", "")
		case http.StatusBadRequest:
			httpxtest.WantError(t, res, http.StatusBadRequest, "Order is already paid", "")
		default:
			t.Errorf("attempt %d: %d %s, want 201, 409 or 400", i, res.Code, res.Body)
		}
	}
	if len(paid) != 1 {
		t.Fatalf("%d payments created, want 1", len(paid))
	}
	if n := len(first.stripe.Requests("/v1/charges")); n != 1 {
		t.Errorf("%d charges reached Stripe, want 1", n)
	}
	docs, err := first.db.Query(context.Background(), paymentsstore.Payments, store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 || docs[0].ID != paid[0].ID {
		t.Errorf("%d payments stored, want the one answered", len(docs))
	}
	first.sink.wait(t, eventing.TypePaymentCreated, orderID)
}

// crashingStore fails the first n transactions that write a payment, as a
// process dying between the charge and its record would leave them.
type crashingStore struct {
	store.Store
	crashes atomic.Int32
}

var errCrash = errors.New("simulated crash before the payment was recorded")

func (c *crashingStore) RunTransaction(ctx context.Context, fn func(context.Context, store.Tx) error) error {
	return c.Store.RunTransaction(ctx, func(ctx context.Context, tx store.Tx) error {
		return fn(ctx, crashingTx{Tx: tx, c: c})
	})
}

type crashingTx struct {
	store.Tx
	c *crashingStore
}

func (t crashingTx) Set(collection, id string, doc any) error {
	if collection == paymentsstore.Payments && t.c.crashes.Add(-1) >= 0 {
		return errCrash
	}
	return t.Tx.Set(collection, id, doc)
}

func TestCrashBetweenChargeAndRecordIsRecoveredByTheSweepWithOneCharge(t *testing.T) {
	t.Parallel()
	db := &crashingStore{Store: openSQLite(t)}
	db.crashes.Store(1)
	f := newFn(t, withStore(db))
	orderID := f.placeOrder("buyer", 19.99)
	buyer := f.user("buyer")

	httpxtest.WantError(t, buyer.pay(orderID, "tok_visa"), http.StatusInternalServerError, "Something went wrong", "")
	l := f.ledger(orderID)
	if l.Claim.State != payment.Charging || len(l.Payments) != 0 {
		t.Fatalf("after the crash the ledger is %+v, want a charging claim and no payment", l)
	}
	httpxtest.WantError(t, buyer.pay(orderID, "tok_visa"), http.StatusConflict, "Payment in progress", "")

	f.clock.Advance(payment.IdempotencyWindow / 24)
	res, code := f.sweep()
	if code != http.StatusOK || res.Redriven != 1 || res.Charged != 1 {
		t.Fatalf("sweep: %d %+v, want the claim re-driven and recorded", code, res)
	}
	requests := f.stripe.Requests("/v1/charges")
	if keys := f.stripe.Keys("/v1/charges"); len(requests) != 2 || !slices.Equal(keys, []string{"charge-" + orderID + "-1"}) {
		t.Errorf("%d requests with keys %v, want the one charge sent twice with its key", len(requests), keys)
	}
	if !equalForms(requests[1].Form, requests[0].Form) {
		t.Errorf("the re-drive sent %v, the first request %v: Stripe refuses a key with other parameters", requests[1].Form, requests[0].Form)
	}
	l = f.ledger(orderID)
	if len(l.Payments) != 1 || l.Claim.State != payment.Done {
		t.Errorf("ledger %+v, want one payment and a done claim", l)
	}
	f.sink.wait(t, eventing.TypePaymentCreated, orderID)
	if res, code := f.sweep(); code != http.StatusOK || res.Redriven != 0 {
		t.Errorf("second sweep: %d %+v, want nothing to re-drive", code, res)
	}
	httpxtest.WantError(t, buyer.pay(orderID, "tok_visa"), http.StatusBadRequest, "Order is already paid", "")
}

func TestSweepRunsOnATickerInTheEmbeddedDefault(t *testing.T) {
	t.Parallel()
	db := &crashingStore{Store: openSQLite(t)}
	db.crashes.Store(1)
	f := newFn(t, withStore(db), sweepingEvery(20*time.Millisecond))
	orderID := f.placeOrder("buyer", 20)
	httpxtest.WantError(t, f.user("buyer").pay(orderID, "tok_visa"), http.StatusInternalServerError, "Something went wrong", "")
	f.clock.Advance(time.Hour)
	f.sink.wait(t, eventing.TypePaymentCreated, orderID)
	if keys := f.stripe.Keys("/v1/charges"); len(keys) != 1 {
		t.Errorf("keys %v, want one charge", keys)
	}
}

func TestManyOrdersPaidAtOnceEachChargeOnce(t *testing.T) {
	t.Parallel()
	const orders = 10
	f := newFn(t)
	ids := make([]string, orders)
	for i := range ids {
		ids[i] = f.placeOrder(fmt.Sprintf("buyer-%d", i), 10)
	}
	codes := make([]int, orders)
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() { codes[i] = f.user(fmt.Sprintf("buyer-%d", i)).pay(id, "tok_visa").Code })
	}
	wg.Wait()
	for i, code := range codes {
		if code != http.StatusCreated {
			t.Errorf("order %d: %d, want 201", i, code)
		}
	}
	if keys := f.stripe.Keys("/v1/charges"); len(keys) != orders {
		t.Errorf("%d charges, want %d", len(keys), orders)
	}
}
