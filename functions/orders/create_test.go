package orders_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/eventing/outbox"
	ordersstore "github.com/buytickets/buytickets/functions/orders/internal/store"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/storetest"
	"github.com/buytickets/buytickets/shared/testenv"
)

func TestOrderReservesTheTicketForTheWindow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		window time.Duration // configured; 0 takes the default
		want   time.Duration
	}{
		{"default window", 0, 15 * time.Minute},
		{"configured window", 2 * time.Minute, 2 * time.Minute},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFn(t, withWindow(tc.window))
			ticketID := f.listTicket("seller", "Concert", 19.99)
			buyer := f.user("buyer")
			res := buyer.orderTicket(ticketID)
			if res.Code != http.StatusCreated {
				t.Fatalf("order: %d %s, want 201", res.Code, res.Body)
			}
			o := orderOf(t, res.Body)
			if o.UserID != "buyer" || o.Status != "created" || o.Version != 0 || o.CancelReason != "" ||
				o.Ticket.ID != ticketID || o.Ticket.Title != "Concert" || o.Ticket.Price != 19.99 {
				t.Errorf("order %+v, want buyer's created order of Concert at 19.99, version 0", o)
			}
			if !at(t, o.CreatedAt).Equal(t0) || !at(t, o.ExpiresAt).Equal(t0.Add(tc.want)) {
				t.Errorf("created %s, expires %s; want %v and %v later", o.CreatedAt, o.ExpiresAt, t0, tc.want)
			}
			if loc := res.Header.Get("Location"); loc != "/api/orders/"+o.ID {
				t.Errorf("Location %q, want /api/orders/%s", loc, o.ID)
			}
			if got := buyer.show(o.ID); got != o {
				t.Errorf("GET answers %+v, want %+v", got, o)
			}

			ev := f.sink.WaitAbout(t, eventually, eventing.TypeOrderCreated, o.ID)
			data := eventingtest.Decode[eventing.OrderCreated](t, ev)
			want := eventing.OrderCreated{
				ID: o.ID, Version: 0, Status: "created", UserID: "buyer", ExpiresAt: t0.Add(tc.want),
				Ticket: eventing.OrderCreatedTicket{ID: ticketID, Price: 19.99, Reservation: 1},
			}
			if entityVersion(t, ev) != 0 || ev.Source() != "/functions/orders" || !data.ExpiresAt.Equal(want.ExpiresAt) {
				t.Errorf("order.created v%d from %s expiring %v", entityVersion(t, ev), ev.Source(), data.ExpiresAt)
			}
			data.ExpiresAt = want.ExpiresAt
			if data != want {
				t.Errorf("order.created data %+v, want %+v", data, want)
			}
			f.wantReservation(ticketID, 1, o.ID)
		})
	}
}

func TestOrderPlacedAMomentBeforeTheListingArrivesWaitsForIt(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	ticketID := newTicketID()
	answered := make(chan response, 1)
	go func() { answered <- f.user("buyer").orderTicket(ticketID) }()
	time.Sleep(200 * time.Millisecond) // the order waits; ticket.created is on its way
	f.MustDeliver(created(t, ticketID, "seller", "Concert", 19.99))
	res := <-answered
	if res.Code != http.StatusCreated {
		t.Fatalf("order: %d %s, want 201 once the listing arrived", res.Code, res.Body)
	}
	if o := orderOf(t, res.Body); o.Ticket.ID != ticketID || o.Status != "created" {
		t.Errorf("order %+v, want the created order of %s", o, ticketID)
	}
}

func TestOrderRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		as      string // "" for a request without a session
		ticket  func(f *fn, listed string) string
		code    int
		message string
	}{
		{"unknown ticket", "buyer", func(*fn, string) string { return newTicketID() }, http.StatusNotFound, "Ticket not found"},
		{"ticket id with a slash", "buyer", func(*fn, string) string { return "a/b" }, http.StatusNotFound, "Ticket not found"},
		{"reserved ticket id", "buyer", func(*fn, string) string { return "__x__" }, http.StatusNotFound, "Ticket not found"},
		{"ticket id too long", "buyer", func(*fn, string) string { return strings.Repeat("t", 501) }, http.StatusNotFound, "Ticket not found"},
		{"own ticket", "seller", func(_ *fn, listed string) string { return listed }, http.StatusBadRequest, "Cannot buy your own ticket"},
		{"reserved by another buyer", "buyer", func(f *fn, listed string) string {
			f.user("early bird").mustOrder(listed)
			return listed
		}, http.StatusBadRequest, "Ticket is already reserved"},
		{"reserved by the same buyer", "buyer", func(f *fn, listed string) string {
			f.user("buyer").mustOrder(listed)
			return listed
		}, http.StatusBadRequest, "Ticket is already reserved"},
		{"signed out", "", func(_ *fn, listed string) string { return listed }, http.StatusUnauthorized, "Not authorized"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFn(t)
			ticketID := tc.ticket(f, f.listTicket("seller", "Concert", 20))
			before := f.counts()
			body := `{"ticketId":"` + ticketID + `"}`
			res := f.user(tc.as).Post("/api/orders", body) // signed out when tc.as is ""
			httpxtest.WantError(t, res, tc.code, tc.message, "")
			storetest.WantSameCounts(t, "a refused order", before, f.counts())
		})
	}
}

func TestExpiredOrderDoesNotBlockANewOne(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		after time.Duration
		free  bool
	}{
		{"a millisecond before expiry", window - time.Millisecond, false},
		{"at expiry", window, true},
		{"an hour later", time.Hour, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFn(t)
			ticketID := f.listTicket("seller", "Concert", 20)
			first, second := f.user("first"), f.user("second")
			old := first.mustOrder(ticketID)
			f.clock.Advance(tc.after)

			res := second.orderTicket(ticketID)
			if !tc.free {
				httpxtest.WantError(t, res, http.StatusBadRequest, "Ticket is already reserved", "")
				if got := first.show(old.ID); got.Status != "created" || got.Version != 0 {
					t.Errorf("the open order became %+v", got)
				}
				return
			}
			if res.Code != http.StatusCreated {
				t.Fatalf("order after expiry: %d %s, want 201", res.Code, res.Body)
			}
			next := orderOf(t, res.Body)
			got := first.show(old.ID)
			if got.Status != "cancelled" || got.CancelReason != "expired" || got.Version != 1 {
				t.Errorf("expired order is %s (%s) v%d, want cancelled (expired) v1", got.Status, got.CancelReason, got.Version)
			}

			cancelled := f.sink.WaitAbout(t, eventually, eventing.TypeOrderCancelled, old.ID)
			data := eventingtest.Decode[eventing.OrderCancelled](t, cancelled)
			want := eventing.OrderCancelled{ID: old.ID, Version: 1, Reason: "expired",
				Ticket: eventing.OrderCancelledTicket{ID: ticketID, Reservation: 1}}
			if data != want || entityVersion(t, cancelled) != 1 {
				t.Errorf("order.cancelled v%d %+v, want v1 %+v", entityVersion(t, cancelled), data, want)
			}
			placed := eventingtest.Decode[eventing.OrderCreated](t, f.sink.WaitAbout(t, eventually, eventing.TypeOrderCreated, next.ID))
			if placed.Ticket.Reservation != 2 {
				t.Errorf("new order's reservation %d, want 2", placed.Ticket.Reservation)
			}
		})
	}
}

func TestEleventhOpenOrderIsRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		free func(f *fn, buyer *user, first orderBody)
	}{
		{"until the buyer cancels one", func(_ *fn, buyer *user, first orderBody) {
			if res := buyer.Delete("/api/orders/" + first.ID); res.Code != http.StatusNoContent {
				buyer.f.tb.Fatalf("cancel: %d %s", res.Code, res.Body)
			}
		}},
		{"until their window passes", func(f *fn, _ *user, _ orderBody) { f.clock.Advance(window) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFn(t)
			buyer := f.user("buyer")
			var first orderBody
			for i := range 10 {
				o := buyer.mustOrder(f.listTicket("seller", "Show", 10))
				if i == 0 {
					first = o
				}
			}
			eleventh := f.listTicket("seller", "Show", 10)
			before := f.counts()
			httpxtest.WantError(t, buyer.orderTicket(eleventh), http.StatusBadRequest, "Too many open orders", "")
			storetest.WantSameCounts(t, "a refused order", before, f.counts())
			f.user("someone else").mustOrder(f.listTicket("seller", "Show", 10))

			tc.free(f, buyer, first)
			buyer.mustOrder(eleventh)
		})
	}
}

func TestOrderKeepsTheTitleAndPriceItWasCreatedWith(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	buyer := f.user("buyer")
	ticketID, o := f.ordered("buyer")
	f.MustDeliver(updated(t, ticketID, "seller", "Concert (front row)", 45.5, "reserved", 1))

	if got := buyer.show(o.ID); got.Ticket.Title != "Concert" || got.Ticket.Price != 20 {
		t.Errorf("after the seller's edit the order holds %q at %v, want Concert at 20", got.Ticket.Title, got.Ticket.Price)
	}
	tk, err := f.stored().Ticket(context.Background(), ticketID)
	if err != nil || tk.Title != "Concert (front row)" || tk.Price != 4550 || tk.Version != 1 {
		t.Errorf("replica holds %+v, %v; want the edit at version 1", tk, err)
	}

	// A new order, once the first is cancelled, sees the edit.
	if res := buyer.Delete("/api/orders/" + o.ID); res.Code != http.StatusNoContent {
		t.Fatalf("cancel: %d %s", res.Code, res.Body)
	}
	next := f.user("another").mustOrder(ticketID)
	if next.Ticket.Title != "Concert (front row)" || next.Ticket.Price != 45.5 {
		t.Errorf("new order holds %q at %v, want the edit", next.Ticket.Title, next.Ticket.Price)
	}
}

func TestCrossSiteOrderIsRefused(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	ticketID := f.listTicket("seller", "Concert", 20)
	for _, method := range []string{http.MethodPost, http.MethodDelete} {
		path := "/api/orders"
		if method == http.MethodDelete {
			path += "/" + strings.Repeat("a", 24)
		}
		req := httpxtest.NewJSONRequest(method, path, `{"ticketId":"`+ticketID+`"}`)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		httpxtest.WantError(t, f.user("buyer").Do(req), http.StatusForbidden, "Cross-site request refused", "")
	}
	if got := f.counts(); got[ordersstore.Orders] != 0 || got[outbox.Collection] != 0 {
		t.Errorf("store holds %v after cross-site requests", got)
	}
}

func TestAnOrderWritesItsTimesTheSameWayOnCreateAndOnRead(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	f.clock.Advance(511_903_474 * time.Nanosecond) // a clock finer than the store's millisecond
	ticketID := f.listTicket("seller", "Concert", 19.99)
	buyer := f.user("buyer")
	created := orderOf(t, buyer.orderTicket(ticketID).Body)
	const want = "2030-01-02T03:04:05.511Z"
	if created.CreatedAt != want || created.ExpiresAt != "2030-01-02T03:19:05.511Z" {
		t.Errorf("created answers createdAt %s, expiresAt %s; want %s and 15 minutes later, to the millisecond", created.CreatedAt, created.ExpiresAt, want)
	}
	if read := buyer.show(created.ID); read.CreatedAt != created.CreatedAt || read.ExpiresAt != created.ExpiresAt {
		t.Errorf("GET answers createdAt %s, expiresAt %s; the create answered %s, %s", read.CreatedAt, read.ExpiresAt, created.CreatedAt, created.ExpiresAt)
	}
}

func TestABuyerCannotHoldOneTicketOverAndOver(t *testing.T) {
	t.Parallel()
	f := newFn(t, withoutRelay)
	buyer, other := f.user("buyer"), f.user("other")
	id := f.listTicket("seller", "Concert", 20)
	for range 2 {
		o := buyer.mustOrder(id)
		if res := buyer.Delete("/api/orders/" + o.ID); res.Code != http.StatusNoContent {
			t.Fatalf("cancel: %d %s", res.Code, res.Body)
		}
	}
	res := buyer.orderTicket(id)
	errs := httpxtest.Errors(t, res)
	if res.Code != http.StatusBadRequest || len(errs) != 1 || errs[0].Message != "You have reserved this ticket twice in 24 hours; try again later" {
		t.Fatalf("a third hold within the day: %d %s, want 400 saying why", res.Code, res.Body)
	}
	// Another buyer is not held back, and a day later the first may try again.
	o := other.mustOrder(id)
	if res := other.Delete("/api/orders/" + o.ID); res.Code != http.StatusNoContent {
		t.Fatalf("cancel: %d %s", res.Code, res.Body)
	}
	f.clock.Advance(24 * time.Hour)
	buyer.mustOrder(id)
}

func TestBadOrderInputIsRefusedAndStoresNothing(t *testing.T) {
	t.Parallel()
	f := newFn(t, withoutRelay)
	ticketID := f.listTicket("seller", "Concert", 20)
	valid := `{"ticketId":"` + ticketID + `"}`
	huge := `{"ticketId":"` + strings.Repeat("x", 1<<20) + `"}`
	tests := []struct {
		name, contentType, body string
		code                    int
		field                   string
	}{
		{"malformed JSON", "application/json", `{"ticketId":`, http.StatusBadRequest, ""},
		{"not JSON at all", "application/json", `ticketId=` + ticketID, http.StatusBadRequest, ""},
		{"ticketId is a number", "application/json", `{"ticketId":5}`, http.StatusBadRequest, "ticketId"},
		{"ticketId is an object", "application/json", `{"ticketId":{"$ne":null}}`, http.StatusBadRequest, "ticketId"},
		{"ticketId is an array", "application/json", `{"ticketId":["` + ticketID + `"]}`, http.StatusBadRequest, "ticketId"},
		{"unknown field", "application/json", `{"ticketId":"` + ticketID + `","price":0.01}`, http.StatusBadRequest, "price"},
		{"empty ticketId", "application/json", `{"ticketId":""}`, http.StatusBadRequest, "ticketId"},
		{"blank ticketId", "application/json", `{"ticketId":"  "}`, http.StatusBadRequest, "ticketId"},
		{"null ticketId", "application/json", `{"ticketId":null}`, http.StatusBadRequest, "ticketId"},
		{"empty object", "application/json", `{}`, http.StatusBadRequest, "ticketId"},
		{"body is an array", "application/json", `[]`, http.StatusBadRequest, ""},
		{"body is null", "application/json", `null`, http.StatusBadRequest, ""},
		{"body is a string", "application/json", `"` + ticketID + `"`, http.StatusBadRequest, ""},
		{"empty body", "application/json", ``, http.StatusBadRequest, ""},
		{"two JSON values", "application/json", valid + `{}`, http.StatusBadRequest, ""},
		{"body over 1 MiB", "application/json", huge, http.StatusRequestEntityTooLarge, ""},
		{"text/plain", "text/plain", valid, http.StatusUnsupportedMediaType, ""},
		{"no content type", "", valid, http.StatusUnsupportedMediaType, ""},
	}
	before := f.counts()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/api/orders", strings.NewReader(tc.body))
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			res := f.user("buyer").Do(req)
			if res.Code != tc.code {
				t.Errorf("status %d %s, want %d", res.Code, res.Body, tc.code)
			}
			errs := httpxtest.Errors(t, res)
			if tc.field != "" && (len(errs) != 1 || errs[0].Field != tc.field) {
				t.Errorf("errors %+v, want one about %s", errs, tc.field)
			}
		})
	}
	storetest.WantSameCounts(t, "bad input", before, f.counts())
}

func TestBuyersRacingForOneTicketOnFourReplicasMakeOneOrder(t *testing.T) {
	t.Parallel()
	const buyers, replicas = 50, 4
	path := filepath.Join(t.TempDir(), "orders.db")
	first := newFn(t, withStore(openSQLiteAt(t, path)))
	fns := []*fn{first}
	for range replicas - 1 {
		fns = append(fns, newFn(t, withStore(openSQLiteAt(t, path)), sharing(first)))
	}
	ticketID := first.listTicket("seller", "Concert", 20)

	results := make([]response, buyers)
	testenv.Race(buyers, func(i int) func() {
		u := fns[i%replicas].user(fmt.Sprintf("buyer-%d", i))
		return func() { results[i] = u.orderTicket(ticketID) }
	})

	var winner string
	for i, res := range results {
		switch res.Code {
		case http.StatusCreated:
			if winner != "" {
				t.Errorf("buyer-%d won too, after %s", i, winner)
			}
			winner = orderOf(t, res.Body).ID
		default:
			httpxtest.WantError(t, res, http.StatusBadRequest, "Ticket is already reserved", "")
		}
	}
	if winner == "" {
		t.Fatal("no buyer won")
	}
	docs, err := first.db.Query(context.Background(), ordersstore.Orders, store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 || docs[0].ID != winner {
		t.Errorf("%d orders stored, want the winner's only", len(docs))
	}
	first.sink.WaitAbout(t, eventually, eventing.TypeOrderCreated, winner)
}
