package orders

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/functions/orders/internal/order"
	"github.com/buytickets/buytickets/functions/orders/internal/reservation"
	ordersstore "github.com/buytickets/buytickets/functions/orders/internal/store"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/paging"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/tracing"
)

// createRequest is the body of POST /api/orders.
type createRequest struct {
	TicketID string `json:"ticketId"`
}

// orderResponse is an order as the API answers it (DESIGN §3).
type orderResponse struct {
	ID           string         `json:"id"`
	UserID       string         `json:"userId"`
	Status       string         `json:"status"`
	ExpiresAt    httpx.Time     `json:"expiresAt"`
	CreatedAt    httpx.Time     `json:"createdAt"`
	Ticket       ticketResponse `json:"ticket"`
	Version      int            `json:"version"`
	CancelReason string         `json:"cancelReason,omitempty"`
}

// ticketResponse is the ticket an order embeds, as the order was created
// with it; the price is in dollars, the event and seat as tickets shows
// them, when its listing said them.
type ticketResponse struct {
	ID    string                `json:"id"`
	Title string                `json:"title"`
	Price float64               `json:"price"`
	Event *eventing.TicketEvent `json:"event,omitempty"`
	Seat  *eventing.TicketSeat  `json:"seat,omitempty"`
}

func newOrderResponse(o *order.Order) orderResponse {
	it := o.Item()
	return orderResponse{
		ID:        o.ID(),
		UserID:    o.UserID(),
		Status:    string(o.Status()),
		ExpiresAt: httpx.TimeOf(o.ExpiresAt()),
		CreatedAt: httpx.TimeOf(o.CreatedAt()),
		Ticket: ticketResponse{
			ID: it.TicketID, Title: it.Title, Price: it.Price.Dollars(), Event: eventData(it.Event), Seat: seatData(it.Seat),
		},
		Version:      o.Version(),
		CancelReason: string(o.CancelReason()),
	}
}

// handleCreate orders a ticket for the signed-in user: 201 with the order,
// which reserves the ticket for the expiration window. A ticket the
// replica does not know yet is waited for, up to listingWait, before 404.
func (f *Function) handleCreate() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in createRequest
		if err := httpx.Decode(w, r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		ticketID, err := order.ParseTicketID(in.TicketID)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		buyer, _ := sharedauth.FromContext(r.Context())
		o, err := f.placeOrder(r.Context(), ticketID, buyer)
		if err != nil {
			httpx.Error(w, r, fmt.Errorf("store.PlaceOrder: %w", err))
			return
		}
		f.metrics.placed.Add(r.Context(), 1)
		w.Header().Set("Location", "/api/orders/"+o.ID())
		httpx.JSON(w, http.StatusCreated, newOrderResponse(o))
	})
}

// listingWait is how long an order for a ticket this replica does not
// know yet waits for it. A listing reaches orders through ticket.created a
// moment after the seller's 201 (milliseconds when idle, a few hundred
// under load): a buyer who orders in that moment, from a link the seller
// shared or a shop page just loaded, is served once the ticket arrives
// rather than refused. A ticket still unknown after the wait is 404.
const listingWait = time.Second

// listingPoll is how often a waiting order reads the store again when no
// event has reached this replica meanwhile: the ticket's event may have
// reached another replica, which shares the store.
const listingPoll = 50 * time.Millisecond

// placeOrder places buyer's order for ticketID, waiting up to listingWait
// for a ticket the replica does not hold yet: it looks again as soon as an
// event this replica took has committed, and every listingPoll.
func (f *Function) placeOrder(ctx context.Context, ticketID string, buyer sharedauth.User) (*order.Order, error) {
	deadline := time.Now().Add(listingWait)
	for {
		received := f.received.C()
		o, err := f.store.PlaceOrder(ctx, ticketID, buyer.ID, f.place(buyer.Email, tracing.TraceID(ctx), f.ft.Now()), f.notBanned(buyer.ID))
		left := time.Until(deadline)
		if !errors.Is(err, order.ErrTicketNotFound) || left <= 0 {
			return o, err
		}
		poll := time.NewTimer(min(listingPoll, left))
		select {
		case <-ctx.Done():
			poll.Stop()
			return nil, err
		case <-received:
			poll.Stop()
		case <-poll.C:
		}
	}
}

// handleList answers a page of the signed-in user's orders, newest first:
// 200 with an array, empty when there are none, and a Link rel="next"
// header when more follow; 400 for a bad ?limit or ?after.
func (f *Function) handleList() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buyer, _ := sharedauth.FromContext(r.Context())
		q := r.URL.Query()
		l, err := order.ParseListing(q.Get("limit"), q.Get("after"))
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		orders, more, err := f.store.OrdersOf(r.Context(), buyer.ID, l)
		if err != nil {
			httpx.Error(w, r, fmt.Errorf("store.OrdersOf: %w", err))
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		httpx.Page(w, orders, newOrderResponse, more, func(last *order.Order) string {
			return paging.NextLink("/api/orders", l.Limit, last.ID())
		})
	})
}

// pathID returns the order id of r's path, or answers 404 for one that
// cannot name an order, and ok is false.
func pathID(w http.ResponseWriter, r *http.Request) (id string, ok bool) {
	id = r.PathValue("id")
	if !order.ValidID(id) {
		httpx.Error(w, r, order.ErrNotFound)
		return id, false
	}
	return id, true
}

// handleShow answers one order to its buyer or an admin: 200, 404 for an
// unknown or malformed id, 401 for anyone else.
func (f *Function) handleShow() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o, ok := f.visibleOrder(w, r)
		if !ok {
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		httpx.JSON(w, http.StatusOK, newOrderResponse(o))
	})
}

// handleCancel cancels an order for its buyer and gives its ticket back:
// 204, also for an order already cancelled; 400 for a complete one; 404 for
// an unknown or malformed id; 401 for anyone but the buyer.
func (f *Function) handleCancel() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := pathID(w, r)
		if !ok {
			return
		}
		buyer, _ := sharedauth.FromContext(r.Context())
		var evs []event.Event
		if _, err := f.store.UpdateOrder(r.Context(), id, counting(&evs, f.cancelByBuyer(buyer.ID, f.ft.Now()))); err != nil {
			httpx.Error(w, r, fmt.Errorf("store.UpdateOrder: %w", err))
			return
		}
		f.metrics.settled(r.Context(), evs)
		w.WriteHeader(http.StatusNoContent)
	})
}

// place decides a new order at now, for a buyer whose session names
// buyerEmail, and makes its events: order.created, and order.cancelled for
// an expired holder it cancelled.
func (f *Function) place(buyerEmail, trace string, now time.Time) ordersstore.PlaceFunc {
	return func(in order.Placing) (order.Placement, []event.Event, error) {
		in.BuyerEmail, in.Trace = buyerEmail, trace
		p, err := order.Place(order.NewID(), in, now, f.window)
		if err != nil {
			return order.Placement{}, nil, err
		}
		var events []event.Event
		if p.Expired != nil {
			ev, err := orderCancelled(p.Expired)
			if err != nil {
				return order.Placement{}, nil, err
			}
			events = append(events, ev)
		}
		ev, err := orderCreated(p.Order)
		if err != nil {
			return order.Placement{}, nil, err
		}
		return p, append(events, ev), nil
	}
}

// notBanned refuses, in the placing transaction, a buyer banned meanwhile:
// the API's guard read the ban list before it, and a ban whose receipt
// commits between the two would miss the order it cancels.
func (f *Function) notBanned(userID string) func(store.Tx) error {
	return func(tx store.Tx) error {
		banned, err := f.ft.Bans.BannedIn(tx, userID)
		if err != nil {
			return err
		}
		if banned {
			return sharedauth.ErrSuspended
		}
		return nil
	}
}

// cancelByBuyer cancels an order of userID at now, releasing its
// reservation, and makes its order.cancelled. An order already cancelled is
// left as it is, with no event.
func (f *Function) cancelByBuyer(userID string, now time.Time) ordersstore.UpdateFunc {
	return func(o *order.Order, r *reservation.Reservation) ([]event.Event, error) {
		if err := o.CheckOwner(userID); err != nil {
			return nil, err
		}
		return cancel(o, r, order.ReasonBuyer, now)
	}
}

// cancel is the one cancellation rule: o is cancelled for reason at now
// (order.Order.Cancel), the ticket's reservation released, and its
// order.cancelled made. An order already cancelled is left as it is, with
// no event; so is a complete one on expiry or a ban, since a paid order is
// never undone by either (order.Reason.SparesComplete; the buyer's
// cancellation of it is refused).
func cancel(o *order.Order, r *reservation.Reservation, reason order.Reason, now time.Time) ([]event.Event, error) {
	switch err := o.Cancel(reason, now); {
	case errors.Is(err, order.ErrAlreadyCancelled), reason.SparesComplete() && errors.Is(err, order.ErrCompleted):
		return nil, nil
	case err != nil:
		return nil, err
	}
	*r = r.Release(o.ID())
	ev, err := orderCancelled(o)
	if err != nil {
		return nil, err
	}
	return []event.Event{ev}, nil
}
