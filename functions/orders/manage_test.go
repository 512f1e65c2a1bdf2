package orders_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/functions/orders/internal/order"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/store/storetest"
)

func TestListAnswersTheBuyersOrdersNewestFirst(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	buyer, other := f.user("buyer"), f.user("other")

	res := buyer.Get("/api/orders")
	if res.Code != http.StatusOK || strings.TrimSpace(string(res.Body)) != "[]" {
		t.Fatalf("no orders: %d %s, want 200 []", res.Code, res.Body)
	}
	var want []string
	for range 3 {
		want = append([]string{buyer.mustOrder(f.listTicket("seller", "Show", 10)).ID}, want...)
		other.mustOrder(f.listTicket("seller", "Show", 10))
		f.clock.Advance(time.Minute)
	}
	cancelled := want[1]
	if res := buyer.Delete("/api/orders/" + cancelled); res.Code != http.StatusNoContent {
		t.Fatalf("cancel: %d %s", res.Code, res.Body)
	}

	res = buyer.Get("/api/orders")
	if res.Code != http.StatusOK {
		t.Fatalf("list: %d %s", res.Code, res.Body)
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(res.Body, &raw); err != nil {
		t.Fatalf("list body %s: %v", res.Body, err)
	}
	var got []string
	for _, r := range raw {
		o := orderOf(t, r)
		got = append(got, o.ID)
		if o.UserID != "buyer" {
			t.Errorf("list holds %s's order %s", o.UserID, o.ID)
		}
		if wantStatus := map[bool]string{true: "cancelled", false: "created"}[o.ID == cancelled]; o.Status != wantStatus {
			t.Errorf("order %s is %s in the list, want %s", o.ID, o.Status, wantStatus)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("list %v, want newest first %v", got, want)
	}
	httpxtest.WantError(t, f.serve(httptest.NewRequest(http.MethodGet, "/api/orders", nil)), http.StatusUnauthorized, "Not authorized", "")
}

func TestOnlyTheBuyerSeesTheirOrder(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	o := f.user("buyer").mustOrder(f.listTicket("seller", "Concert", 20))
	tests := []struct {
		name, as, id string
		code         int
		message      string
	}{
		{"another user", "other", o.ID, http.StatusUnauthorized, "Not authorized"},
		{"the seller", "seller", o.ID, http.StatusUnauthorized, "Not authorized"},
		{"signed out", "", o.ID, http.StatusUnauthorized, "Not authorized"},
		{"unknown id", "buyer", order.NewID(), http.StatusNotFound, "Order not found"},
		{"malformed id", "buyer", "not-an-order", http.StatusNotFound, "Order not found"},
		{"upper-case id", "buyer", strings.ToUpper(o.ID), http.StatusNotFound, "Order not found"},
		{"id too long", "buyer", o.ID + "0", http.StatusNotFound, "Order not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, method := range []string{http.MethodGet, http.MethodDelete} {
				req := httptest.NewRequest(method, "/api/orders/"+tc.id, nil)
				res := f.user(tc.as).Do(req) // signed out when tc.as is ""
				httpxtest.WantError(t, res, tc.code, tc.message, "")
			}
		})
	}
	t.Cleanup(func() {
		if got := f.user("buyer").show(o.ID); got.Status != "created" || got.Version != 0 {
			t.Errorf("refused requests changed the order to %+v", got)
		}
	})
}

func TestCancelGivesTheTicketBack(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	buyer := f.user("buyer")
	ticketID, o := f.ordered("buyer")
	f.clock.Advance(time.Minute)

	res := buyer.Delete("/api/orders/" + o.ID)
	if res.Code != http.StatusNoContent || len(res.Body) != 0 {
		t.Fatalf("cancel: %d %s, want 204 without a body", res.Code, res.Body)
	}
	got := buyer.show(o.ID)
	if got.Status != "cancelled" || got.CancelReason != "buyer" || got.Version != 1 {
		t.Errorf("cancelled order is %s (%s) v%d, want cancelled (buyer) v1", got.Status, got.CancelReason, got.Version)
	}
	ev := f.sink.WaitAbout(t, eventually, eventing.TypeOrderCancelled, o.ID)
	data := eventingtest.Decode[eventing.OrderCancelled](t, ev)
	want := eventing.OrderCancelled{ID: o.ID, Version: 1, Reason: "buyer", Ticket: eventing.OrderCancelledTicket{ID: ticketID, Reservation: 1}}
	if data != want || entityVersion(t, ev) != 1 {
		t.Errorf("order.cancelled v%d %+v, want v1 %+v", entityVersion(t, ev), data, want)
	}
	f.wantReservation(ticketID, 1, "")

	// Cancelling again changes nothing and emits nothing.
	before := f.counts()
	if res := buyer.Delete("/api/orders/" + o.ID); res.Code != http.StatusNoContent {
		t.Errorf("second cancel: %d %s, want 204", res.Code, res.Body)
	}
	storetest.WantSameCounts(t, "second cancel", before, f.counts())
	if got := buyer.show(o.ID); got.Version != 1 {
		t.Errorf("second cancel bumped the version to %d", got.Version)
	}

	// The ticket is free for the next buyer, under the next reservation.
	next := f.user("next").mustOrder(ticketID)
	placed := eventingtest.Decode[eventing.OrderCreated](t, f.sink.WaitAbout(t, eventually, eventing.TypeOrderCreated, next.ID))
	if placed.Ticket.Reservation != 2 {
		t.Errorf("next order's reservation %d, want 2", placed.Ticket.Reservation)
	}
}

func TestCancellingAnExpiredHolderLeavesTheNewHolder(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	first := f.user("first")
	ticketID, old := f.ordered("first")
	f.clock.Advance(window)
	next := f.user("second").mustOrder(ticketID)

	// The first buyer's order was cancelled as expired: cancelling it is done.
	if res := first.Delete("/api/orders/" + old.ID); res.Code != http.StatusNoContent {
		t.Fatalf("cancel: %d %s, want 204", res.Code, res.Body)
	}
	if got := first.show(old.ID); got.CancelReason != "expired" || got.Version != 1 {
		t.Errorf("expired order became %+v", got)
	}
	f.wantReservation(ticketID, 2, next.ID)
}

func TestCompleteOrderCannotBeCancelledAndKeepsTheTicket(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	buyer := f.user("buyer")
	ticketID, o := f.ordered("buyer")
	f.complete(o.ID)

	httpxtest.WantError(t, buyer.Delete("/api/orders/"+o.ID), http.StatusBadRequest, "Cannot cancel a completed order", "")
	if got := buyer.show(o.ID); got.Status != "complete" || got.Version != 1 {
		t.Errorf("order is %s v%d, want complete v1", got.Status, got.Version)
	}
	f.clock.Advance(time.Hour)
	httpxtest.WantError(t, f.user("late").orderTicket(ticketID), http.StatusBadRequest, "Ticket is already reserved", "")
}

func TestStoreContentionAnswers503WithRetryAfter(t *testing.T) {
	t.Parallel()
	f := newFn(t, withStore(storetest.Unavailable{}), withoutRelay)
	buyer := f.user("buyer")
	id := order.NewID()
	for name, res := range map[string]response{
		"create": buyer.orderTicket(newTicketID()),
		"list":   buyer.Get("/api/orders"),
		"show":   buyer.Get("/api/orders/" + id),
		"cancel": buyer.Delete("/api/orders/" + id),
		"sweep":  f.serve(eventingtest.SweepRequest(t, "orders")),
	} {
		if res.Code != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
			t.Errorf("%s: %d Retry-After %q, want 503 with Retry-After", name, res.Code, res.Header.Get("Retry-After"))
			continue
		}
		httpxtest.Errors(t, res)
	}
	if code := f.Deliver(created(t, newTicketID(), "seller", "Concert", 20)); code != http.StatusServiceUnavailable {
		t.Errorf("event: %d, want 503 so the broker redelivers", code)
	}
}

func TestHealthz(t *testing.T) {
	t.Parallel()
	f := newFn(t, withoutRelay)
	if res := f.serve(httptest.NewRequest(http.MethodGet, "/healthz", nil)); res.Code != http.StatusOK {
		t.Errorf("healthz: %d %s", res.Code, res.Body)
	}
}

func TestABuyersOrdersComeInPagesNewestFirst(t *testing.T) {
	t.Parallel()
	f := newFn(t, withoutRelay)
	buyer := f.user("buyer")
	var placed []string
	for i := range 5 {
		placed = append(placed, buyer.mustOrder(f.listTicket("seller", "Concert", 10)).ID)
		f.clock.Advance(time.Second * time.Duration(i+1))
	}
	// Newest first, two at a time, following the Link header.
	var got []string
	next := "/api/orders?limit=2"
	for pages := 0; next != ""; pages++ {
		if pages > 3 {
			t.Fatalf("more than 3 pages of 2 for 5 orders")
		}
		res := buyer.Get(next)
		var page []orderBody
		if res.Code != http.StatusOK || json.Unmarshal(res.Body, &page) != nil || len(page) == 0 || len(page) > 2 {
			t.Fatalf("GET %s: %d %s", next, res.Code, res.Body)
		}
		for _, o := range page {
			got = append(got, o.ID)
		}
		next = ""
		if link := res.Header.Get("Link"); link != "" {
			target, rel, _ := strings.Cut(link, ">; ")
			if rel != `rel="next"` {
				t.Fatalf("Link %q", link)
			}
			next = strings.TrimPrefix(target, "<")
		}
	}
	for i := range placed {
		if i >= len(got) || got[i] != placed[len(placed)-1-i] {
			t.Fatalf("pages gave %v, want %v newest first", got, placed)
		}
	}
	// Without parameters, one page holds them all, as the seed's client reads them.
	var all []orderBody
	if res := buyer.Get("/api/orders"); json.Unmarshal(res.Body, &all) != nil || len(all) != 5 || res.Header.Get("Link") != "" {
		t.Errorf("GET /api/orders: %d orders, Link %q; want all 5 and no next page", len(all), res.Header.Get("Link"))
	}
}

func TestABadPageOfOrdersIsRefusedNamingTheParameter(t *testing.T) {
	t.Parallel()
	f := newFn(t, withoutRelay)
	buyer := f.user("buyer")
	for query, field := range map[string]string{
		"limit=0": "limit", "limit=101": "limit", "limit=ten": "limit", "after=nope": "after",
	} {
		res := buyer.Get("/api/orders?" + query)
		errs := httpxtest.Errors(t, res)
		if res.Code != http.StatusBadRequest || len(errs) != 1 || errs[0].Field != field {
			t.Errorf("GET /api/orders?%s: %d %s, want 400 naming %s", query, res.Code, res.Body, field)
		}
	}
}
