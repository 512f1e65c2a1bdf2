package store_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/functions/tickets/internal/store"
	"github.com/buytickets/buytickets/functions/tickets/internal/ticket"
	"github.com/buytickets/buytickets/shared/apperr"
	sharedstore "github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/storetest"
	"github.com/buytickets/buytickets/shared/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var t0 = testenv.Epoch

// eachDriver runs fn as a parallel subtest on every driver, with a Store
// whose outbox is never relayed, so what it holds can be counted.
func eachDriver(t *testing.T, fn func(t *testing.T, db sharedstore.Store, s *store.Store)) {
	t.Helper()
	storetest.EachStore(t, "tickets", func(t *testing.T, db sharedstore.Store) {
		fn(t, db, store.New(db, eventingtest.Unrelayed(t, db)))
	})
}

func wantCounts(tb testing.TB, db sharedstore.Store, tickets, events int) {
	tb.Helper()
	if got := storetest.Count(tb, db, store.Tickets); got != tickets {
		tb.Errorf("%d tickets stored, want %d", got, tickets)
	}
	if got := len(eventingtest.Recorded(tb, db)); got != events {
		tb.Errorf("%d events in the outbox, want %d", got, events)
	}
}

// newTicket returns a ticket by seller created at t0 plus minutes.
func newTicket(seller string, minutes int) ticket.Ticket {
	return ticket.New(seller, ticket.Details{Title: "Concert", Price: 1999}, t0.Add(time.Duration(minutes)*time.Minute))
}

func createdEvent(tb testing.TB, t ticket.Ticket) event.Event {
	tb.Helper()
	ev, err := eventing.NewTicketCreated(eventing.TicketCreated{ID: t.ID(), Title: t.Title(), Price: t.Price().Dollars(), UserID: t.UserID(), CreatedAt: t.CreatedAt()})
	if err != nil {
		tb.Fatal(err)
	}
	return ev
}

func create(tb testing.TB, s *store.Store, t ticket.Ticket) {
	tb.Helper()
	if err := s.Create(context.Background(), t, createdEvent(tb, t)); err != nil {
		tb.Fatalf("Create: %v", err)
	}
}

func TestACreatedTicketIsStoredWithItsEventAndReadBack(t *testing.T) {
	t.Parallel()
	eachDriver(t, func(t *testing.T, db sharedstore.Store, s *store.Store) {
		ctx := context.Background()
		tk := newTicket("seller", 0)
		create(t, s, tk)
		got, err := s.Get(ctx, tk.ID())
		if err != nil || got != tk {
			t.Fatalf("Get = %+v, %v; want %+v", got, err, tk)
		}
		// The stored shape, which other tools read.
		docs, err := db.Query(ctx, store.Tickets, sharedstore.Query{})
		if err != nil || len(docs) != 1 {
			t.Fatalf("tickets: %v, %v", docs, err)
		}
		var stored struct {
			Title      string    `store:"title"`
			PriceCents int64     `store:"priceCents"`
			UserID     string    `store:"userId"`
			Status     string    `store:"status"`
			Version    int       `store:"version"`
			CreatedAt  time.Time `store:"createdAt"`
		}
		if err := docs[0].DataTo(&stored); err != nil {
			t.Fatal(err)
		}
		keys := slices.Sorted(maps.Keys(docs[0].Fields))
		if wantKeys := []string{"createdAt", "priceCents", "status", "terms", "title", "userId", "version"}; !slices.Equal(keys, wantKeys) ||
			docs[0].ID != tk.ID() || stored.Title != "Concert" || stored.PriceCents != 1999 || stored.UserID != "seller" ||
			stored.Status != "available" || stored.Version != 0 || !stored.CreatedAt.Equal(t0) {
			t.Errorf("stored %s %v, want the ticket's fields %v", docs[0].ID, docs[0].Fields, wantKeys)
		}
		wantCounts(t, db, 1, 1)

		if err := s.Create(ctx, tk, createdEvent(t, tk)); !errors.Is(err, sharedstore.ErrConflict) {
			t.Errorf("Create again = %v, want ErrConflict", err)
		}
		wantCounts(t, db, 1, 1)
		for _, id := range []string{ticket.NewID(), "not-an-id", "a/b"} {
			if _, err := s.Get(ctx, id); !errors.Is(err, ticket.ErrNotFound) {
				t.Errorf("Get(%q) = %v, want ErrNotFound", id, err)
			}
		}
	})
}

func TestListingPagesNewestFirstUntilExhausted(t *testing.T) {
	t.Parallel()
	eachDriver(t, func(t *testing.T, db sharedstore.Store, s *store.Store) {
		ctx := context.Background()
		var want []string // newest first
		for i := range 5 {
			// Two tickets a minute: ties are ordered by id, also newest first.
			a, b := newTicket("seller", i), newTicket("other", i)
			create(t, s, a)
			create(t, s, b)
			pair := []string{a.ID(), b.ID()}
			slices.Sort(pair)
			want = append([]string{pair[1], pair[0]}, want...)
		}
		var got []string
		l := ticket.Listing{Limit: 3}
		for pages := 1; ; pages++ {
			page, more, err := s.List(ctx, l, "", t0)
			if err != nil {
				t.Fatal(err)
			}
			for _, tk := range page {
				got = append(got, tk.ID())
			}
			if !more {
				if pages != 4 || len(page) != 1 {
					t.Errorf("%d pages, the last of %d, want 4 pages ending with 1", pages, len(page))
				}
				break
			}
			l.After = page[len(page)-1].ID()
		}
		if !slices.Equal(got, want) {
			t.Errorf("listing\n%v, want\n%v", got, want)
		}

		mine, more, err := s.List(ctx, ticket.Listing{Limit: 100, Mine: true}, "other", t0)
		if err != nil || more || len(mine) != 5 {
			t.Fatalf("List(mine) = %d tickets, more %v, %v; want 5", len(mine), more, err)
		}
		for _, tk := range mine {
			if tk.UserID() != "other" {
				t.Errorf("List(mine) holds %+v", tk)
			}
		}
		if _, _, err := s.List(ctx, ticket.Listing{Limit: 10, After: ticket.NewID()}, "", t0); !errors.Is(err, ticket.ErrBadCursor) ||
			apperr.KindOf(err) != apperr.Invalid {
			t.Errorf("List after an unknown id = %v, want ErrBadCursor", err)
		}
		if page, more, err := s.List(ctx, ticket.Listing{Limit: 10}, "", t0); err != nil || more || len(page) != 10 {
			t.Errorf("a page of all 10 = %d, more %v, %v", len(page), more, err)
		}
	})
}

// lock is an UpdateFunc that locks the ticket for reservation n, with no
// event unless it changed.
func lock(tb testing.TB, n int) store.UpdateFunc {
	return func(t *ticket.Ticket) (ticket.Outcome, []event.Event, error) {
		r, err := ticket.NewReservation(n, "order")
		if err != nil {
			return ticket.Ignored, nil, err
		}
		out := t.Lock(r)
		if out != ticket.Changed {
			return out, nil, nil
		}
		ev, err := eventing.NewTicketUpdated(eventing.TicketUpdated{ID: t.ID(), Version: t.Version(), Status: string(t.Status())})
		return out, []event.Event{ev}, err
	}
}

func TestUpdatesWriteTheTicketAndItsEventsOrNothing(t *testing.T) {
	t.Parallel()
	eachDriver(t, func(t *testing.T, db sharedstore.Store, s *store.Store) {
		ctx := context.Background()
		tk := newTicket("seller", 0)
		create(t, s, tk)

		got, err := s.Update(ctx, tk.ID(), lock(t, 1))
		if err != nil || got.Status() != ticket.Reserved || got.Version() != 1 || got.OrderID() != "order" {
			t.Fatalf("Update(lock) = %+v, %v", got, err)
		}
		wantCounts(t, db, 1, 2)
		if read, err := s.Get(ctx, tk.ID()); err != nil || read != got {
			t.Errorf("Get after lock = %+v, %v; want %+v", read, err, got)
		}
		docs, err := db.Query(ctx, store.Tickets, sharedstore.Query{})
		if err != nil || len(docs) != 1 {
			t.Fatalf("tickets: %v, %v", docs, err)
		}
		wantKeys := []string{"createdAt", "orderId", "priceCents", "reservation", "reservationOrderId", "reservationState", "status", "terms", "title", "userId", "version"}
		if keys := slices.Sorted(maps.Keys(docs[0].Fields)); !slices.Equal(keys, wantKeys) ||
			docs[0].Fields["reservationState"] != "locked" || docs[0].Fields["status"] != "reserved" {
			t.Errorf("a locked ticket is stored as %v, want the fields %v", docs[0].Fields, wantKeys)
		}

		// The same lock again is ignored: nothing is written.
		if again, err := s.Update(ctx, tk.ID(), lock(t, 1)); err != nil || again != got {
			t.Errorf("Update(lock) again = %+v, %v", again, err)
		}
		wantCounts(t, db, 1, 2)

		// An UpdateFunc's error writes nothing.
		refuse := func(t *ticket.Ticket) (ticket.Outcome, []event.Event, error) {
			return ticket.Ignored, nil, t.Edit("seller", ticket.Details{Title: "x", Price: 100}, t0)
		}
		if _, err := s.Update(ctx, tk.ID(), refuse); !errors.Is(err, ticket.ErrReserved) {
			t.Errorf("Update(edit while reserved) = %v, want ErrReserved", err)
		}
		if _, err := s.Update(ctx, ticket.NewID(), lock(t, 1)); !errors.Is(err, ticket.ErrNotFound) {
			t.Errorf("Update(unknown) = %v, want ErrNotFound", err)
		}

		// Within a receiver's transaction, with the receiver's own writes.
		err = db.RunTransaction(ctx, func(_ context.Context, tx sharedstore.Tx) error {
			if _, err := s.UpdateIn(ctx, tx, tk.ID(), lock(t, 2)); err != nil {
				return err
			}
			return tx.Create("receipts", "r1", struct {
				ID string `store:"id"`
			}{"r1"})
		})
		if err != nil {
			t.Fatal(err)
		}
		if read, err := s.Get(ctx, tk.ID()); err != nil || read.Version() != 2 || read.Reservation().Number != 2 {
			t.Errorf("Get after UpdateIn = %+v, %v", read, err)
		}
		wantCounts(t, db, 1, 3)
	})
}
