package tickets_test

import (
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/functions/tickets"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/storetest"
	"github.com/buytickets/buytickets/shared/testenv"
)

// TestATicketsLifeOnEveryDriver runs a ticket's whole life over HTTP on the
// embedded default's store and on production's, through the Firestore
// emulator.
func TestATicketsLifeOnEveryDriver(t *testing.T) {
	t.Parallel()
	storetest.EachStore(t, "tickets", func(t *testing.T, db store.Store) {
		f := newFn(t, withStore(db))
		seller := f.as("seller")
		first := seller.create("First", 10)
		f.clock.Advance(time.Second)
		tk := seller.create("Concert", 19.99)
		f.clock.Advance(time.Second)
		third := f.as("other").create("Third", 10)

		var listed []ticketBody
		for _, p := range f.anon().pages("/api/tickets?limit=2") {
			listed = append(listed, p...)
		}
		if got, want := ids(listed), []string{third.ID, tk.ID, first.ID}; len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
			t.Errorf("listing %v, want %v", got, want)
		}

		edited := ticketOf(t, seller.put("/api/tickets/"+tk.ID, details("Opera", 25)), http.StatusOK)
		if edited.Version != 1 || edited.Title != "Opera" {
			t.Errorf("edited %+v", edited)
		}
		f.mustDeliver(orderCreated(t, "order-1", tk.ID, 1))
		f.wantTicket(tk.ID, "reserved", "order-1", 2)
		f.mustDeliver(orderCreated(t, "order-2", tk.ID, 2), orderCancelled(t, "order-1", tk.ID, 1))
		f.wantTicket(tk.ID, "reserved", "order-2", 3)
		f.mustDeliver(orderCancelled(t, "order-2", tk.ID, 2))
		f.wantTicket(tk.ID, "available", "", 4)
		f.mustDeliver(orderCompleted(t, "order-3", tk.ID, 3))
		f.wantTicket(tk.ID, "sold", "order-3", 5)
		httpxtest.WantErrors(t, seller.put("/api/tickets/"+tk.ID, details("Opera", 30)), http.StatusBadRequest, item("Cannot edit a reserved ticket", ""))

		mine := ticketsOf(t, seller.get("/api/tickets?seller=me"))
		if len(mine) != 2 || mine[0].ID != tk.ID || mine[0].Status != "sold" || mine[1].ID != first.ID {
			t.Errorf("mine = %+v", mine)
		}
		for v := 1; v <= 5; v++ {
			f.updated(tk.ID, v)
		}
	})
}

func TestNewRefusesUnusableSettings(t *testing.T) {
	t.Parallel()
	db := openSQLite(t)
	member := eventingtest.Member(t, "tickets")
	tests := []struct {
		name string
		cfg  tickets.Config
		deps tickets.Deps
	}{
		{"short JWT key", tickets.Config{JWTKey: "too-short"}, tickets.Deps{Store: db, Sink: "http://broker", Events: member}},
		{"no store", tickets.Config{JWTKey: testenv.JWTKey}, tickets.Deps{Sink: "http://broker", Events: member}},
		{"no sink", tickets.Config{JWTKey: testenv.JWTKey}, tickets.Deps{Store: db, Events: member}},
		{"sink not a URL", tickets.Config{JWTKey: testenv.JWTKey}, tickets.Deps{Store: db, Sink: "broker:8080", Events: member}},
		{"no event plane", tickets.Config{JWTKey: testenv.JWTKey}, tickets.Deps{Store: db, Sink: "http://broker"}},
	}
	for _, tc := range tests {
		if _, err := tickets.New(tc.cfg, tc.deps); err == nil {
			t.Errorf("%s: New succeeded", tc.name)
		}
	}
	if _, err := tickets.New(tickets.Config{JWTKey: testenv.JWTKey}, tickets.Deps{Store: db, Sink: "http://broker", Events: member, Logger: slog.New(slog.DiscardHandler)}); err != nil {
		t.Errorf("New with everything: %v", err)
	}
}
