package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/eventing/outbox"
	"github.com/buytickets/buytickets/functions/orders/internal/order"
	"github.com/buytickets/buytickets/functions/orders/internal/reservation"
	ordersstore "github.com/buytickets/buytickets/functions/orders/internal/store"
	"github.com/buytickets/buytickets/functions/orders/internal/ticket"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/storetest"
	"github.com/buytickets/buytickets/shared/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var t0 = testenv.Epoch

const window = 15 * time.Minute

// eachDriver runs fn as a parallel subtest on every driver, with a Store
// whose outbox is never relayed, so the outbox shows what was recorded.
func eachDriver(t *testing.T, fn func(t *testing.T, db store.Store, s *ordersstore.Store)) {
	t.Helper()
	storetest.EachStore(t, "orders", func(t *testing.T, db store.Store) {
		fn(t, db, ordersstore.New(db, eventingtest.Unrelayed(t, db)))
	})
}

// mirror puts tk into the replica as an event receiver would, applying it
// only on top of the version before it.
func mirror(tb testing.TB, db store.Store, s *ordersstore.Store, tk ticket.Ticket) {
	tb.Helper()
	err := db.RunTransaction(context.Background(), func(_ context.Context, tx store.Tx) error {
		return s.ApplyTicket(tx, tk.ID, func(held ticket.Ticket, holds bool) (ticket.Ticket, bool, error) {
			if holds && held.Version+1 != tk.Version || !holds && tk.Version != 0 {
				return ticket.Ticket{}, false, fmt.Errorf("version %d on top of %d (%v)", tk.Version, held.Version, holds)
			}
			return tk, true, nil
		})
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// place is what the orders function places with: the domain's decision and
// the events it causes.
func place(now time.Time) ordersstore.PlaceFunc {
	return func(in order.Placing) (order.Placement, []event.Event, error) {
		in.BuyerEmail = in.BuyerID + "@example.com"
		p, err := order.Place(order.NewID(), in, now, window)
		if err != nil {
			return order.Placement{}, nil, err
		}
		var events []event.Event
		if p.Expired != nil {
			ev, err := eventing.NewOrderCancelled(eventing.OrderCancelled{ID: p.Expired.ID(), Version: p.Expired.Version(),
				Reason: string(p.Expired.CancelReason()), Ticket: eventing.OrderCancelledTicket{ID: p.Expired.Item().TicketID, Reservation: p.Expired.Reservation()}})
			if err != nil {
				return order.Placement{}, nil, err
			}
			events = append(events, ev)
		}
		ev, err := eventing.NewOrderCreated(eventing.OrderCreated{ID: p.Order.ID(), Status: "created", UserID: p.Order.UserID(),
			ExpiresAt: p.Order.ExpiresAt(), Ticket: eventing.OrderCreatedTicket{ID: p.Order.Item().TicketID, Reservation: p.Order.Reservation()}})
		if err != nil {
			return order.Placement{}, nil, err
		}
		return p, append(events, ev), nil
	}
}

func wantCounts(tb testing.TB, db store.Store, want map[string]int) {
	tb.Helper()
	storetest.WantCounts(tb, db, ordersstore.Collections(), want)
}

var concert = ticket.Ticket{ID: "t1", Title: "Concert", Price: 1999, SellerID: "seller", Status: ticket.Available, CreatedAt: t0.Add(-time.Hour)}

func TestPlacedOrderHoldsTheReservation(t *testing.T) {
	t.Parallel()
	eachDriver(t, func(t *testing.T, db store.Store, s *ordersstore.Store) {
		ctx, o := placed(t, db, s)
		got, err := s.Order(ctx, o.ID())
		if err != nil {
			t.Fatal(err)
		}
		if *got != *o || got.Status() != order.Created || got.Reservation() != 1 ||
			got.BuyerEmail() != "buyer@example.com" ||
			got.Item() != (order.Item{TicketID: "t1", Title: "Concert", Price: 1999, SellerID: "seller"}) || !got.ExpiresAt().Equal(t0.Add(window)) {
			t.Errorf("stored %+v, want %+v", got, o)
		}
		r, err := s.Reservation(ctx, "t1")
		if err != nil || r != (reservation.Reservation{TicketID: "t1", Counter: 1, OrderID: o.ID()}) {
			t.Errorf("reservation %+v, %v; want number 1 held by %s", r, err, o.ID())
		}
		mine, _, err := s.OrdersOf(ctx, "buyer", order.Listing{Limit: order.DefaultLimit})
		if err != nil || len(mine) != 1 || mine[0].ID() != o.ID() {
			t.Errorf("OrdersOf = %v, %v", mine, err)
		}
		wantCounts(t, db, map[string]int{ordersstore.Tickets: 1, ordersstore.Orders: 1, ordersstore.Reservations: 1, outbox.Collection: 1})

		// A second buyer is refused, and nothing more is written.
		if _, err := s.PlaceOrder(ctx, "t1", "other", place(t0.Add(time.Minute))); !errors.Is(err, order.ErrReserved) {
			t.Errorf("second PlaceOrder = %v, want ErrReserved", err)
		}
		if _, err := s.PlaceOrder(ctx, "t2", "other", place(t0)); !errors.Is(err, order.ErrTicketNotFound) {
			t.Errorf("PlaceOrder(unknown ticket) = %v, want ErrTicketNotFound", err)
		}
		wantCounts(t, db, map[string]int{ordersstore.Tickets: 1, ordersstore.Orders: 1, ordersstore.Reservations: 1, outbox.Collection: 1})
	})
}

func TestPlacingOverAnExpiredHolderCancelsIt(t *testing.T) {
	t.Parallel()
	eachDriver(t, func(t *testing.T, db store.Store, s *ordersstore.Store) {
		ctx := context.Background()
		mirror(t, db, s, concert)
		old, err := s.PlaceOrder(ctx, "t1", "first", place(t0))
		if err != nil {
			t.Fatal(err)
		}
		next, err := s.PlaceOrder(ctx, "t1", "second", place(t0.Add(window)))
		if err != nil {
			t.Fatalf("PlaceOrder after expiry: %v", err)
		}
		got, err := s.Order(ctx, old.ID())
		if err != nil || got.Status() != order.Cancelled || got.CancelReason() != order.ReasonExpired || got.Version() != 1 ||
			!got.CancelledAt().Equal(t0.Add(window)) {
			t.Errorf("expired holder %+v, %v; want cancelled as expired, version 1", got, err)
		}
		r, err := s.Reservation(ctx, "t1")
		if err != nil || r != (reservation.Reservation{TicketID: "t1", Counter: 2, OrderID: next.ID()}) {
			t.Errorf("reservation %+v, %v; want number 2 held by %s", r, err, next.ID())
		}
		// order.created twice and order.cancelled once.
		wantCounts(t, db, map[string]int{ordersstore.Tickets: 1, ordersstore.Orders: 2, ordersstore.Reservations: 1, outbox.Collection: 3})
	})
}

func TestTicketChangesLeaveReservationAndOrders(t *testing.T) {
	t.Parallel()
	eachDriver(t, func(t *testing.T, db store.Store, s *ordersstore.Store) {
		ctx, o := placed(t, db, s)
		edit := concert
		edit.Title, edit.Price, edit.Status, edit.Version = "Concert, row A", 4550, "reserved", 1
		mirror(t, db, s, edit)
		if tk, err := s.Ticket(ctx, "t1"); err != nil || tk != edit {
			t.Errorf("replica %+v, %v; want %+v", tk, err, edit)
		}
		r, err := s.Reservation(ctx, "t1")
		if err != nil || r.OrderID != o.ID() || r.Counter != 1 {
			t.Errorf("reservation %+v, %v after an edit", r, err)
		}
		if got, err := s.Order(ctx, o.ID()); err != nil || got.Item().Price != 1999 || got.Item().Title != "Concert" {
			t.Errorf("order %+v, %v after an edit; want the price it was placed at", got, err)
		}
		if _, err := s.Ticket(ctx, "t2"); !errors.Is(err, order.ErrTicketNotFound) {
			t.Errorf("Ticket(unknown) = %v", err)
		}
	})
}

func TestUpdateOrderWritesOnlyWhatChanged(t *testing.T) {
	t.Parallel()
	eachDriver(t, func(t *testing.T, db store.Store, s *ordersstore.Store) {
		ctx, o := placed(t, db, s)
		refuse := errors.New("refused")
		if _, err := s.UpdateOrder(ctx, o.ID(), func(o *order.Order, r *reservation.Reservation) ([]event.Event, error) {
			_ = o.Cancel(order.ReasonBuyer, t0)
			*r = r.Release(o.ID())
			return nil, refuse
		}); !errors.Is(err, refuse) {
			t.Fatalf("UpdateOrder = %v, want the closure's error", err)
		}
		if _, err := s.UpdateOrder(ctx, order.NewID(), nil); !errors.Is(err, order.ErrNotFound) {
			t.Errorf("UpdateOrder(unknown) = %v, want ErrNotFound", err)
		}
		cancelled, err := s.UpdateOrder(ctx, o.ID(), func(o *order.Order, r *reservation.Reservation) ([]event.Event, error) {
			if err := o.Cancel(order.ReasonBuyer, t0.Add(time.Minute)); err != nil {
				return nil, err
			}
			*r = r.Release(o.ID())
			return nil, nil
		})
		if err != nil || cancelled.Version() != 1 {
			t.Fatalf("UpdateOrder = %+v, %v", cancelled, err)
		}
		got, _ := s.Order(ctx, o.ID())
		r, _ := s.Reservation(ctx, "t1")
		if got.Status() != order.Cancelled || got.Version() != 1 || r.Held() || r.Counter != 1 {
			t.Errorf("after cancel: order %+v, reservation %+v", got, r)
		}
	})
}

func TestRacingOrdersForOneTicketMakeOne(t *testing.T) {
	t.Parallel()
	eachDriver(t, func(t *testing.T, db store.Store, s *ordersstore.Store) {
		mirror(t, db, s, concert)
		const n = 10
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				_, errs[i] = s.PlaceOrder(context.Background(), "t1", fmt.Sprintf("buyer-%d", i), place(t0))
			})
		}
		wg.Wait()
		won := slices.IndexFunc(errs, func(err error) bool { return err == nil })
		for i, err := range errs {
			if i != won && !errors.Is(err, order.ErrReserved) {
				t.Errorf("buyer-%d: %v, want ErrReserved", i, err)
			}
		}
		if won < 0 || slices.ContainsFunc(errs[won+1:], func(err error) bool { return err == nil }) {
			t.Errorf("winners: %v, want exactly one", errs)
		}
		wantCounts(t, db, map[string]int{ordersstore.Tickets: 1, ordersstore.Orders: 1, ordersstore.Reservations: 1, outbox.Collection: 1})
	})
}

func TestOrdersOfIsNewestFirst(t *testing.T) {
	t.Parallel()
	eachDriver(t, func(t *testing.T, db store.Store, s *ordersstore.Store) {
		ctx := context.Background()
		var want []string
		for i := range 3 {
			tk := concert
			tk.ID = fmt.Sprintf("t%d", i)
			mirror(t, db, s, tk)
			o, err := s.PlaceOrder(ctx, tk.ID, "buyer", place(t0.Add(time.Duration(i)*time.Minute)))
			if err != nil {
				t.Fatal(err)
			}
			want = append([]string{o.ID()}, want...)
			if _, err := s.PlaceOrder(ctx, tk.ID, "other", place(t0.Add(window+time.Hour))); err != nil {
				t.Fatal(err)
			}
		}
		mine, _, err := s.OrdersOf(ctx, "buyer", order.Listing{Limit: order.DefaultLimit})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, o := range mine {
			got = append(got, o.ID())
		}
		if !slices.Equal(got, want) {
			t.Errorf("OrdersOf = %v, want %v", got, want)
		}
		if none, _, err := s.OrdersOf(ctx, "nobody", order.Listing{Limit: order.DefaultLimit}); err != nil || len(none) != 0 {
			t.Errorf("OrdersOf(nobody) = %v, %v", none, err)
		}
	})
}

// placed mirrors concert and places buyer's order for it at t0.
func placed(t *testing.T, db store.Store, s *ordersstore.Store) (context.Context, *order.Order) {
	t.Helper()
	mirror(t, db, s, concert)
	o, err := s.PlaceOrder(context.Background(), "t1", "buyer", place(t0))
	if err != nil {
		t.Fatal(err)
	}
	return context.Background(), o
}

// At an on-sale most orders are refusals: an order for a ticket already
// reserved, or unknown, is refused while another writer holds the store,
// rather than queueing behind it.
func TestRefusalsDoNotWaitForWriters(t *testing.T) {
	t.Parallel()
	eachDriver(t, func(t *testing.T, db store.Store, s *ordersstore.Store) {
		ctx, _ := placed(t, db, s)
		release, holding := make(chan struct{}), make(chan struct{})
		held := make(chan error, 1)
		go func() {
			held <- db.RunTransaction(ctx, func(_ context.Context, tx store.Tx) error {
				close(holding)
				<-release
				return tx.Set("unrelated", "doc", struct {
					N int `store:"n"`
				}{1})
			})
		}()
		<-holding
		defer func() {
			close(release)
			if err := <-held; err != nil {
				t.Errorf("holder: %v", err)
			}
		}()
		wait, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if _, err := s.PlaceOrder(wait, "t1", "other", place(t0.Add(time.Minute))); !errors.Is(err, order.ErrReserved) {
			t.Errorf("order for a reserved ticket while a writer holds the store = %v, want ErrReserved", err)
		}
		if _, err := s.PlaceOrder(wait, "t2", "other", place(t0)); !errors.Is(err, order.ErrTicketNotFound) {
			t.Errorf("order for an unknown ticket while a writer holds the store = %v, want ErrTicketNotFound", err)
		}
	})
}
