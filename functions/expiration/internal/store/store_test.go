package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/functions/expiration/internal/expiry"
	expirationstore "github.com/buytickets/buytickets/functions/expiration/internal/store"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/storetest"
)

func open(tb testing.TB) (store.Store, *expirationstore.Store) {
	tb.Helper()
	db := storetest.OpenTempSQLite(tb, "expiration")
	return db, expirationstore.New(db, eventingtest.Unrelayed(tb, db))
}

func put(tb testing.TB, db store.Store, s *expirationstore.Store, e *expiry.Expiry) {
	tb.Helper()
	err := db.RunTransaction(context.Background(), func(_ context.Context, tx store.Tx) error { return s.PutTx(tx, e) })
	if err != nil {
		tb.Fatal(err)
	}
}

func TestExpiriesReadBackAsWritten(t *testing.T) {
	t.Parallel()
	db, s := open(t)
	at := time.Date(2030, 1, 2, 3, 4, 5, 6e6, time.UTC)
	e, err := expiry.New("o1", 7, at)
	if err != nil {
		t.Fatal(err)
	}
	put(t, db, s, e)
	closed, _ := expiry.NewClosed("o2")
	put(t, db, s, closed)
	got, err := s.Expiry(context.Background(), "o1")
	if err != nil || got.State() != expiry.Scheduled || got.Reservation() != 7 || !got.ExpiresAt().Equal(at) {
		t.Errorf("Expiry(o1) = %+v, %v", got, err)
	}
	got, err = s.Expiry(context.Background(), "o2")
	if err != nil || got.State() != expiry.Closed || !got.ExpiresAt().IsZero() {
		t.Errorf("Expiry(o2) = %+v, %v", got, err)
	}
	if _, err := s.Expiry(context.Background(), "o3"); !errors.Is(err, expiry.ErrNotFound) {
		t.Errorf("Expiry(o3): %v, want ErrNotFound", err)
	}
	err = db.RunTransaction(context.Background(), func(_ context.Context, tx store.Tx) error {
		if _, ok, err := s.ExpiryTx(tx, "o3"); ok || err != nil {
			t.Errorf("ExpiryTx(o3) = %v, %v; want none", ok, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestUpdateExpiryWritesAChangeWithItsEventsOrNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, s := open(t)
	e, _ := expiry.New("o1", 1, time.Now().Add(-time.Second))
	put(t, db, s, e)

	if err := s.UpdateExpiry(ctx, "o9", nil); !errors.Is(err, expiry.ErrNotFound) {
		t.Errorf("update of an unknown order: %v, want ErrNotFound", err)
	}
	refused := errors.New("refused")
	err := s.UpdateExpiry(ctx, "o1", func(e *expiry.Expiry) ([]event.Event, error) {
		e.Close()
		return nil, refused
	})
	if !errors.Is(err, refused) {
		t.Fatal(err)
	}
	if got, _ := s.Expiry(ctx, "o1"); got.State() != expiry.Scheduled {
		t.Fatalf("a failed update left %s", got.State())
	}
	expire := func(e *expiry.Expiry) ([]event.Event, error) {
		ok, err := e.Expire(time.Now())
		if err != nil || !ok {
			return nil, err
		}
		ev, err := eventing.NewExpirationCompleted(eventing.ExpirationCompleted{OrderID: e.OrderID()})
		return []event.Event{ev}, err
	}
	for range 2 {
		if err := s.UpdateExpiry(ctx, "o1", expire); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := s.Expiry(ctx, "o1"); got.State() != expiry.Expired {
		t.Errorf("state %s, want expired", got.State())
	}
	if n := len(eventingtest.Recorded(t, db)); n != 1 {
		t.Errorf("%d events in the outbox, want 1", n)
	}
}
