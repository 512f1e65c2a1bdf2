package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/functions/payments/internal/payment"
	paymentsstore "github.com/buytickets/buytickets/functions/payments/internal/store"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/storetest"
	"github.com/buytickets/buytickets/shared/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var t0 = testenv.Epoch

// eachDriver runs fn as a parallel subtest on every driver, with a Store
// whose outbox is never relayed, so the outbox shows what was recorded.
func eachDriver(t *testing.T, fn func(t *testing.T, db store.Store, s *paymentsstore.Store)) {
	t.Helper()
	storetest.EachStore(t, "payments", func(t *testing.T, db store.Store) {
		fn(t, db, paymentsstore.New(db, eventingtest.Unrelayed(t, db)))
	})
}

// placed puts an open order of buyer for 19.99 dollars into the replica
// and returns its id.
func placed(t *testing.T, s *paymentsstore.Store) string {
	t.Helper()
	id := payment.NewID()
	o, err := payment.NewOrder(id, "buyer", 19.99, t0.Add(15*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(context.Background(), id, func(l *payment.Ledger) ([]event.Event, error) {
		l.Mirror(o, o.Version, t0)
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	return id
}

// count returns how many documents collection holds.
func TestLedgerIsWrittenAndReadBackWhole(t *testing.T) {
	t.Parallel()
	eachDriver(t, func(t *testing.T, db store.Store, s *paymentsstore.Store) {
		ctx := context.Background()
		id := placed(t, s)
		var claim payment.Claim
		_, err := s.Update(ctx, id, func(l *payment.Ledger) ([]event.Event, error) {
			var err error
			claim, err = l.Begin("buyer", "tok_visa", t0.Add(time.Second))
			return nil, err
		})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.Charging(ctx, t0.Add(time.Second), 10); err != nil || len(got) != 1 || got[0] != claim {
			t.Errorf("Charging = %+v, %v; want the claim %+v", got, err, claim)
		}

		var rec payment.Recorded
		updated, err := s.Update(ctx, id, func(l *payment.Ledger) ([]event.Event, error) {
			var err error
			rec, err = l.Record(payment.Payment{ID: payment.NewID(), StripeID: "ch_1", Method: payment.MethodCharge, Amount: 1999, Currency: "usd"}, claim.Attempt, t0.Add(2*time.Second))
			if err != nil {
				return nil, err
			}
			cancelled := *l.Order
			cancelled.Status, cancelled.Version = payment.Cancelled, 1
			l.Mirror(cancelled, cancelled.Version, t0.Add(3*time.Second))
			ev, err := eventing.NewPaymentCreated(eventing.PaymentCreated{ID: rec.Payment.ID, OrderID: id, StripeID: "ch_1", Amount: 1999, Currency: "usd"})
			return []event.Event{ev}, err
		})
		if err != nil {
			t.Fatal(err)
		}
		read, err := s.Ledger(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if *read.Order != *updated.Order || read.Claim != updated.Claim || len(read.Payments) != 1 {
			t.Fatalf("read %+v, wrote %+v", read, updated)
		}
		p := read.Payments[0]
		want := updated.Payments[0]
		if p != want || p.Refund.Reason != payment.ReasonCancelled || !p.Refund.DueAt.Equal(t0.Add(3*time.Second)) {
			t.Errorf("payment read %+v, wrote %+v", p, want)
		}
		if got, err := s.Charging(ctx, t0.Add(time.Hour), 10); err != nil || len(got) != 0 {
			t.Errorf("Charging = %+v, %v; want none once the claim is done", got, err)
		}
		if got, err := s.RefundsDue(ctx, 10); err != nil || len(got) != 1 || got[0] != p {
			t.Errorf("RefundsDue = %+v, %v; want the payment", got, err)
		}
		if n := len(eventingtest.Recorded(t, db)); n != 1 {
			t.Errorf("%d events in the outbox, want the one added with the change", n)
		}

		_, err = s.Update(ctx, id, func(l *payment.Ledger) ([]event.Event, error) {
			l.Refunded(p.ID, "re_1", t0.Add(4*time.Second))
			return nil, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.RefundsDue(ctx, 10); err != nil || len(got) != 0 {
			t.Errorf("RefundsDue = %+v, %v; want none once refunded", got, err)
		}
		if got, err := s.PaymentsOf(ctx, id); err != nil || len(got) != 1 || got[0].Refund.StripeID != "re_1" {
			t.Errorf("PaymentsOf = %+v, %v", got, err)
		}
	})
}

func TestUnknownOrderHasAnEmptyLedger(t *testing.T) {
	t.Parallel()
	eachDriver(t, func(t *testing.T, db store.Store, s *paymentsstore.Store) {
		l, err := s.Ledger(context.Background(), payment.NewID())
		if err != nil || l.Order != nil || l.Claim.Attempt != 0 || len(l.Payments) != 0 {
			t.Errorf("Ledger = %+v, %v; want an empty one", l, err)
		}
	})
}

func TestFailedUpdateWritesNothing(t *testing.T) {
	t.Parallel()
	eachDriver(t, func(t *testing.T, db store.Store, s *paymentsstore.Store) {
		id := placed(t, s)
		refusal := errors.New("refused")
		_, err := s.Update(context.Background(), id, func(l *payment.Ledger) ([]event.Event, error) {
			l.Begin("buyer", "tok_visa", t0)
			return nil, refusal
		})
		if !errors.Is(err, refusal) {
			t.Fatalf("Update: %v, want the refusal", err)
		}
		if n := storetest.Count(t, db, paymentsstore.Claims); n != 0 {
			t.Errorf("%d claims written by a failed update", n)
		}
	})
}

func TestOneOfManyConcurrentAttemptsClaimsTheOrder(t *testing.T) {
	t.Parallel()
	eachDriver(t, func(t *testing.T, db store.Store, s *paymentsstore.Store) {
		const attempts = 10
		id := placed(t, s)
		errs := make([]error, attempts)
		var wg sync.WaitGroup
		for i := range attempts {
			wg.Go(func() {
				_, errs[i] = s.Update(context.Background(), id, func(l *payment.Ledger) ([]event.Event, error) {
					_, err := l.Begin("buyer", fmt.Sprintf("tok_%d", i), t0)
					return nil, err
				})
			})
		}
		wg.Wait()
		won := 0
		for i, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, payment.ErrInProgress):
				t.Errorf("attempt %d: %v, want ErrInProgress", i, err)
			}
		}
		l, err := s.Ledger(context.Background(), id)
		if won != 1 || err != nil || l.Claim.Attempt != 1 {
			t.Errorf("%d attempts claimed the order, claim %+v; want one, attempt 1", won, l.Claim)
		}
	})
}

func TestStripeEventIsTakenOnce(t *testing.T) {
	t.Parallel()
	eachDriver(t, func(t *testing.T, db store.Store, s *paymentsstore.Store) {
		ctx := context.Background()
		id := placed(t, s)
		calls := 0
		record := func(l *payment.Ledger) ([]event.Event, error) {
			calls++
			_, err := l.Record(payment.Payment{ID: payment.NewID(), StripeID: "pi_1", Method: payment.MethodIntent, Amount: 1999, Currency: "usd"}, 0, t0)
			return nil, err
		}
		refusal := errors.New("refused")
		if _, _, err := s.TakeWebhook(ctx, "evt_1", "payment_intent.succeeded", id, t0, func(*payment.Ledger) ([]event.Event, error) {
			return nil, refusal
		}); !errors.Is(err, refusal) {
			t.Fatalf("TakeWebhook: %v, want the refusal", err)
		}
		if n := storetest.Count(t, db, paymentsstore.Webhooks); n != 0 {
			t.Errorf("a failed event left %d receipts", n)
		}
		for i, want := range []bool{false, true} {
			duplicate, _, err := s.TakeWebhook(ctx, "evt_1", "payment_intent.succeeded", id, t0, record)
			if err != nil || duplicate != want {
				t.Errorf("delivery %d: duplicate %v, %v; want %v", i+1, duplicate, err, want)
			}
		}
		if got, err := s.PaymentsOf(ctx, id); err != nil || len(got) != 1 || calls < 1 {
			t.Errorf("PaymentsOf = %+v, %v; want one payment", got, err)
		}
		if _, _, err := s.TakeWebhook(ctx, "evt/1", "x", id, t0, record); err == nil {
			t.Error("an event id naming no document was taken")
		}
	})
}

func TestChargingFindsOnlyClaimsOldEnough(t *testing.T) {
	t.Parallel()
	eachDriver(t, func(t *testing.T, db store.Store, s *paymentsstore.Store) {
		ctx := context.Background()
		var ids []string
		for i := range 3 {
			id := placed(t, s)
			ids = append(ids, id)
			if _, err := s.Update(ctx, id, func(l *payment.Ledger) ([]event.Event, error) {
				_, err := l.Begin("buyer", "tok_visa", t0.Add(time.Duration(i)*time.Minute))
				return nil, err
			}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Charging(ctx, t0.Add(time.Minute), 10)
		if err != nil || len(got) != 2 || got[0].OrderID != ids[0] || got[1].OrderID != ids[1] {
			t.Errorf("Charging = %+v, %v; want the two oldest, oldest first", got, err)
		}
		if got, err := s.Charging(ctx, t0.Add(time.Hour), 1); err != nil || len(got) != 1 {
			t.Errorf("Charging with limit 1 = %+v, %v", got, err)
		}
	})
}
