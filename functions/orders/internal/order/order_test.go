package order_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/buytickets/buytickets/functions/orders/internal/order"
	"github.com/buytickets/buytickets/functions/orders/internal/reservation"
	"github.com/buytickets/buytickets/functions/orders/internal/ticket"
	"github.com/buytickets/buytickets/shared/apperr"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

const window = 15 * time.Minute

var concert = ticket.Ticket{ID: "t1", Title: "Concert", Price: 2000, SellerID: "seller", Status: ticket.Available}

// withdrawn is concert, taken off sale by tickets when its seller was banned.
var withdrawn = ticket.Ticket{ID: "t1", Title: "Concert", Price: 2000, SellerID: "seller", Status: ticket.Withdrawn, Version: 1}

// tonight is a ticket for an event that starts an hour after t0.
var tonight = ticket.Ticket{ID: "t1", Title: "Concert", Price: 2000, SellerID: "seller", Status: ticket.Available, Event: ticket.Event{Name: "Gala", StartsAt: t0.Add(time.Hour)}}

// stored returns an order of buyer for ticket t1 in status, placed at t0.
func stored(buyer string, status order.Status) *order.Order {
	return order.UnmarshalFromStore(order.State{
		ID: order.NewID(), UserID: buyer, Status: status,
		Item:        order.Item{TicketID: "t1", Title: "Concert", Price: 2000},
		Reservation: 1, CreatedAt: t0, ExpiresAt: t0.Add(window),
	})
}

func openOrders(n int, buyer string) []*order.Order {
	var out []*order.Order
	for range n {
		out = append(out, stored(buyer, order.Created))
	}
	return out
}

func TestPlace(t *testing.T) {
	t.Parallel()
	held := reservation.Reservation{TicketID: "t1", Counter: 1, OrderID: "holder"}
	tests := []struct {
		name        string
		in          order.Placing
		now         time.Time
		err         error
		wantExpired bool
		counter     int
	}{
		{"a free ticket", order.Placing{BuyerID: "buyer", BuyerEmail: "buyer@example.com", Ticket: concert, Reservation: reservation.Of("t1")}, t0, nil, false, 1},
		{"a ticket its holder gave back", order.Placing{BuyerID: "buyer", Ticket: concert,
			Reservation: reservation.Reservation{TicketID: "t1", Counter: 3}}, t0, nil, false, 4},
		{"the buyer's own ticket", order.Placing{BuyerID: "seller", Ticket: concert, Reservation: reservation.Of("t1")}, t0, order.ErrOwnTicket, false, 0},
		{"a withdrawn ticket", order.Placing{BuyerID: "buyer", Ticket: withdrawn, Reservation: reservation.Of("t1")}, t0, order.ErrWithdrawn, false, 0},
		{"a ticket for an event a moment before it starts", order.Placing{BuyerID: "buyer", Ticket: tonight, Reservation: reservation.Of("t1")}, t0.Add(time.Hour - time.Millisecond), nil, false, 1},
		{"a ticket for an event that has started", order.Placing{BuyerID: "buyer", Ticket: tonight, Reservation: reservation.Of("t1")}, t0.Add(time.Hour), order.ErrEventStarted, false, 0},
		{"held by an open order", order.Placing{BuyerID: "buyer", Ticket: concert, Reservation: held,
			Holder: stored("other", order.Created)}, t0.Add(window - time.Millisecond), order.ErrReserved, false, 0},
		{"held by a complete order", order.Placing{BuyerID: "buyer", Ticket: concert, Reservation: held,
			Holder: stored("other", order.Complete)}, t0.Add(24 * time.Hour), order.ErrReserved, false, 0},
		{"held by an expired order", order.Placing{BuyerID: "buyer", Ticket: concert, Reservation: held,
			Holder: stored("other", order.Created)}, t0.Add(window), nil, true, 2},
		{"held by a cancelled order", order.Placing{BuyerID: "buyer", Ticket: concert, Reservation: held,
			Holder: stored("other", order.Cancelled)}, t0, nil, false, 2},
		{"nine open orders", order.Placing{BuyerID: "buyer", Ticket: concert, Reservation: reservation.Of("t1"),
			Created: openOrders(9, "buyer")}, t0, nil, false, 1},
		{"ten open orders", order.Placing{BuyerID: "buyer", Ticket: concert, Reservation: reservation.Of("t1"),
			Created: openOrders(10, "buyer")}, t0, order.ErrTooManyOpen, false, 0},
		{"ten created orders, all expired", order.Placing{BuyerID: "buyer", Ticket: concert, Reservation: reservation.Of("t1"),
			Created: openOrders(10, "buyer")}, t0.Add(window), nil, false, 1},
		{"ten open orders, reserved first", order.Placing{BuyerID: "buyer", Ticket: concert, Reservation: held,
			Holder: stored("other", order.Created), Created: openOrders(10, "buyer")}, t0, order.ErrReserved, false, 0},
		{"held once before today", order.Placing{BuyerID: "buyer", Ticket: concert, Reservation: reservation.Reservation{TicketID: "t1", Counter: 1},
			Earlier: []*order.Order{stored("buyer", order.Cancelled)}}, t0.Add(time.Hour), nil, false, 2},
		{"held twice today", order.Placing{BuyerID: "buyer", Ticket: concert, Reservation: reservation.Reservation{TicketID: "t1", Counter: 2},
			Earlier: []*order.Order{stored("buyer", order.Cancelled), stored("buyer", order.Cancelled)}}, t0.Add(order.HoldPeriod - time.Millisecond), order.ErrTooManyHolds, false, 0},
		{"held twice, a day ago", order.Placing{BuyerID: "buyer", Ticket: concert, Reservation: reservation.Reservation{TicketID: "t1", Counter: 2},
			Earlier: []*order.Order{stored("buyer", order.Cancelled), stored("buyer", order.Cancelled)}}, t0.Add(order.HoldPeriod), nil, false, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var holderVersion int
			if tc.in.Holder != nil {
				holderVersion = tc.in.Holder.Version()
			}
			id := order.NewID()
			p, err := order.Place(id, tc.in, tc.now, window)
			if tc.in.Holder != nil && tc.in.Holder.Version() != holderVersion {
				t.Error("Place changed the holder it was given")
			}
			if !errors.Is(err, tc.err) {
				t.Fatalf("Place = %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			o := p.Order
			if o.ID() != id || o.UserID() != "buyer" || o.BuyerEmail() != tc.in.BuyerEmail || o.Status() != order.Created || o.Version() != 0 ||
				o.Item() != (order.Item{TicketID: "t1", Title: "Concert", Price: 2000, SellerID: "seller", Event: tc.in.Ticket.Event}) || o.Reservation() != tc.counter ||
				!o.CreatedAt().Equal(tc.now) || !o.ExpiresAt().Equal(tc.now.Add(window)) {
				t.Errorf("order %+v", o)
			}
			if p.Reservation != (reservation.Reservation{TicketID: "t1", Counter: tc.counter, OrderID: id}) {
				t.Errorf("reservation %+v, want number %d held by the order", p.Reservation, tc.counter)
			}
			switch {
			case !tc.wantExpired && p.Expired != nil:
				t.Errorf("cancelled %+v, want no expired holder", p.Expired)
			case tc.wantExpired && (p.Expired == nil || p.Expired.Status() != order.Cancelled ||
				p.Expired.CancelReason() != order.ReasonExpired || p.Expired.Version() != 1 || !p.Expired.CancelledAt().Equal(tc.now)):
				t.Errorf("expired holder %+v, want it cancelled as expired at version 1", p.Expired)
			}
		})
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	ends := t0.Add(window) // when the stored orders' window ends
	tests := []struct {
		name    string
		from    order.Status
		reason  order.Reason
		at      time.Time
		err     error
		version int
	}{
		{"created/buyer", order.Created, order.ReasonBuyer, t0.Add(time.Minute), nil, 1},
		{"created/expired", order.Created, order.ReasonExpired, ends, nil, 1},
		{"created/expired within the clock skew", order.Created, order.ReasonExpired, ends.Add(-order.ClockSkew), nil, 1},
		{"created/expired too early", order.Created, order.ReasonExpired, ends.Add(-order.ClockSkew - time.Millisecond), order.ErrNotExpired, 0},
		{"created/expired long before", order.Created, order.ReasonExpired, t0.Add(time.Minute), order.ErrNotExpired, 0},
		{"cancelled/buyer", order.Cancelled, order.ReasonBuyer, t0.Add(time.Minute), order.ErrAlreadyCancelled, 0},
		{"complete/buyer", order.Complete, order.ReasonBuyer, t0.Add(time.Minute), order.ErrCompleted, 0},
		{"complete/expired", order.Complete, order.ReasonExpired, ends, order.ErrCompleted, 0},
		{"created/banned", order.Created, order.ReasonBanned, t0.Add(time.Minute), nil, 1},
		{"created/banned after its window", order.Created, order.ReasonBanned, ends.Add(time.Hour), nil, 1},
		{"cancelled/banned", order.Cancelled, order.ReasonBanned, t0.Add(time.Minute), order.ErrAlreadyCancelled, 0},
		{"complete/banned", order.Complete, order.ReasonBanned, t0.Add(time.Minute), order.ErrCompleted, 0},
		{"created/whim", order.Created, "whim", t0.Add(time.Minute), errors.New("unknown reason"), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := stored("buyer", tc.from)
			err := o.Cancel(tc.reason, tc.at)
			if tc.err == nil && err != nil || tc.err != nil && (err == nil || !errors.Is(err, tc.err) && !strings.Contains(err.Error(), tc.err.Error())) {
				t.Fatalf("Cancel = %v, want %v", err, tc.err)
			}
			if o.Version() != tc.version {
				t.Errorf("version %d, want %d", o.Version(), tc.version)
			}
			if err == nil && (o.Status() != order.Cancelled || o.CancelReason() != tc.reason || !o.CancelledAt().Equal(tc.at)) {
				t.Errorf("order %+v, want cancelled for %s", o, tc.reason)
			}
			if err != nil && o.Status() != tc.from {
				t.Errorf("a refused cancel moved the order to %s", o.Status())
			}
		})
	}
	if apperr.KindOf(order.ErrCompleted) != apperr.Invalid {
		t.Error("cancelling a complete order must be a 400")
	}
	if apperr.KindOf(order.ErrNotExpired) != apperr.Conflict {
		t.Error("an early expiry must be redelivered (409)")
	}
}

func TestOnlyTheBuyerIsRefusedACompleteOrdersCancellation(t *testing.T) {
	t.Parallel()
	for reason, spares := range map[order.Reason]bool{order.ReasonBuyer: false, order.ReasonExpired: true, order.ReasonBanned: true} {
		if got := reason.SparesComplete(); got != spares {
			t.Errorf("%s: SparesComplete = %v, want %v", reason, got, spares)
		}
	}
}

func TestPayCompletesOnlyWithTheOrdersPriceInDollars(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		from     order.Status
		amount   ticket.Cents
		currency string
		err      error
	}{
		{"the price", order.Created, 2000, "usd", nil},
		{"a cent short", order.Created, 1999, "usd", order.ErrPaymentMismatch},
		{"more", order.Created, 2001, "usd", order.ErrPaymentMismatch},
		{"another currency", order.Created, 2000, "eur", order.ErrPaymentMismatch},
		{"the price, upper case", order.Created, 2000, "USD", order.ErrPaymentMismatch},
		{"the price for a cancelled order", order.Cancelled, 2000, "usd", order.ErrCancelled},
		{"a mismatch for a cancelled order", order.Cancelled, 1, "usd", order.ErrPaymentMismatch},
		{"the price again", order.Complete, 2000, "usd", order.ErrAlreadyComplete},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := stored("buyer", tc.from)
			if err := o.Pay(tc.amount, tc.currency, t0.Add(time.Minute)); !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Fatalf("Pay = %v, want %v", err, tc.err)
			}
			if tc.err == nil && (o.Status() != order.Complete || o.Version() != 1) {
				t.Errorf("order %s v%d, want complete v1", o.Status(), o.Version())
			}
			if tc.err != nil && (o.Status() != tc.from || o.Version() != 0) {
				t.Errorf("a refused payment moved the order to %s v%d", o.Status(), o.Version())
			}
		})
	}
}

func TestComplete(t *testing.T) {
	t.Parallel()
	tests := []struct {
		from    order.Status
		err     error
		version int
	}{
		{order.Created, nil, 1},
		{order.Complete, order.ErrAlreadyComplete, 0},
		{order.Cancelled, order.ErrCancelled, 0},
	}
	for _, tc := range tests {
		t.Run(string(tc.from), func(t *testing.T) {
			t.Parallel()
			o := stored("buyer", tc.from)
			if err := o.Complete(t0.Add(time.Minute)); !errors.Is(err, tc.err) {
				t.Fatalf("Complete = %v, want %v", err, tc.err)
			}
			want := tc.from
			if tc.err == nil {
				want = order.Complete
			}
			if o.Status() != want || o.Version() != tc.version {
				t.Errorf("order %s v%d, want %s v%d", o.Status(), o.Version(), want, tc.version)
			}
		})
	}
}

func TestWindow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                  string
		status                order.Status
		at                    time.Duration
		open, expired, blocks bool
	}{
		{"created, just placed", order.Created, 0, true, false, true},
		{"created, a millisecond before expiry", order.Created, window - time.Millisecond, true, false, true},
		{"created, at expiry", order.Created, window, false, true, false},
		{"complete, long after", order.Complete, 24 * time.Hour, false, false, true},
		{"cancelled", order.Cancelled, 0, false, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o, now := stored("buyer", tc.status), t0.Add(tc.at)
			if o.Open(now) != tc.open || o.Expired(now) != tc.expired || o.Blocks(now) != tc.blocks {
				t.Errorf("open %v, expired %v, blocks %v; want %v, %v, %v",
					o.Open(now), o.Expired(now), o.Blocks(now), tc.open, tc.expired, tc.blocks)
			}
		})
	}
}

func TestCheckOwner(t *testing.T) {
	t.Parallel()
	o := stored("buyer", order.Created)
	for user, want := range map[string]error{"buyer": nil, "other": order.ErrNotOwner, "": order.ErrNotOwner} {
		if err := o.CheckOwner(user); !errors.Is(err, want) {
			t.Errorf("CheckOwner(%q) = %v, want %v", user, err, want)
		}
	}
	if apperr.KindOf(order.ErrNotOwner) != apperr.Unauthorized {
		t.Error("not the owner must be a 401")
	}
}

func TestIDs(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{
		order.NewID():               true,
		"0123456789abcdef01234567":  true,
		"0123456789ABCDEF01234567":  false,
		"0123456789abcdef0123456":   false,
		"0123456789abcdef012345678": false,
		"0123456789abcdef0123456g":  false,
		"":                          false,
		"../../../../../../../etc/": false,
	}
	for id, want := range tests {
		if got := order.ValidID(id); got != want {
			t.Errorf("ValidID(%q) = %v, want %v", id, got, want)
		}
	}
	if a, b := order.NewID(), order.NewID(); a == b {
		t.Errorf("NewID twice gave %s", a)
	}
}

func TestParseTicketID(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]error{"t1": nil, "a/b": nil, "": order.ErrNoTicketID, " \t": order.ErrNoTicketID} {
		if _, err := order.ParseTicketID(in); !errors.Is(err, want) {
			t.Errorf("ParseTicketID(%q) = %v, want %v", in, err, want)
		}
	}
}
