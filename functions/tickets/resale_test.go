package tickets_test

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/storetest"
)

// newCode returns an e-ticket code of the shape etickets gives: 124
// characters of base32.
func newCode() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b := make([]byte, 124)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// issued is the eticket.issued of code: holder bought issuer's "Concert"
// for $20.50.
func issued(tb testing.TB, code, holder string) event.Event {
	tb.Helper()
	return eventingtest.Event(tb, eventing.NewETicketIssued, eventing.ETicketIssued{
		Code: code, OrderID: "o-" + code[:8], TicketID: "t-" + code[:8], HolderID: holder, IssuerID: "issuer",
		Title: "Concert", FaceValue: 2050,
	})
}

func revoked(tb testing.TB, code string) event.Event {
	tb.Helper()
	return eventingtest.Event(tb, eventing.NewETicketRevoked, eventing.ETicketRevoked{Code: code, OrderID: "o-" + code[:8], Reason: "refunded"})
}

func checkedIn(tb testing.TB, code string) event.Event {
	tb.Helper()
	return eventingtest.Event(tb, eventing.NewETicketCheckedIn, eventing.ETicketCheckedIn{Code: code, OrderID: "o-" + code[:8], CheckedInAt: t0})
}

// resale is a resale listing's body.
func resale(code string, price any) string {
	b, _ := json.Marshal(map[string]any{"resaleOf": code, "price": price})
	return string(b)
}

func (c client) del(path string) response {
	c.f.tb.Helper()
	return c.do(http.MethodDelete, path, "")
}

func TestAResaleAtMostAtFaceValueInheritsTheTitleAndOneListingHoldsTheETicketOnEveryDriver(t *testing.T) {
	t.Parallel()
	storetest.EachStore(t, "tickets", func(t *testing.T, db store.Store) {
		f := newFn(t, withStore(db))
		code := newCode()
		f.mustDeliver(issued(t, code, "holder"))
		holder := f.as("holder")

		httpxtest.WantErrors(t, holder.post("/api/tickets", resale(code, 20.51)), http.StatusBadRequest,
			item("Resale price cannot exceed face value ($20.50)", "price"))
		// A person types the code in lower case, in groups.
		typed := strings.ToLower(code[:4] + "-" + code[4:])
		listed := ticketOf(t, holder.post("/api/tickets", resale(typed, "20.50")), http.StatusCreated)
		if listed.Title != "Concert" || listed.Price != "20.5" || listed.FaceValue != "20.5" || listed.ResaleOf != code ||
			listed.UserID != "holder" || listed.Status != "available" || listed.Version != 0 {
			t.Errorf("resale listing %+v", listed)
		}
		created := eventingtest.Decode[eventing.TicketCreated](t, f.sink.await(t, eventing.TypeTicketCreated, listed.ID, 0))
		if created.ResaleOf != code || created.FaceValue != 20.5 || created.Title != "Concert" {
			t.Errorf("ticket.created %+v, want resaleOf and faceValue", created)
		}
		if shown := ticketOf(t, f.anon().get("/api/tickets/"+listed.ID), http.StatusOK); shown.ResaleOf != code || shown.FaceValue != "20.5" {
			t.Errorf("GET shows %+v", shown)
		}

		httpxtest.WantErrors(t, holder.post("/api/tickets", resale(code, 10)), http.StatusBadRequest,
			item("This e-ticket is already listed for resale", ""))
		httpxtest.WantErrors(t, holder.put("/api/tickets/"+listed.ID, details("Concert", 21)), http.StatusBadRequest,
			item("Resale price cannot exceed face value ($20.50)", "price"))
		httpxtest.WantErrors(t, holder.put("/api/tickets/"+listed.ID, details("Renamed", 19)), http.StatusBadRequest,
			item("A resale listing keeps the title of its e-ticket", "title"))
		edited := ticketOf(t, holder.put("/api/tickets/"+listed.ID, details("Concert", 19)), http.StatusOK)
		if edited.Price != "19" || edited.Version != 1 {
			t.Errorf("edited %+v", edited)
		}

		withdrawn := ticketOf(t, holder.del("/api/tickets/"+listed.ID), http.StatusOK)
		if withdrawn.Status != "withdrawn" || withdrawn.Version != 2 || withdrawn.ResaleOf != code {
			t.Errorf("withdrawn %+v", withdrawn)
		}
		if u := f.updated(listed.ID, 2); u.Status != "withdrawn" || u.ResaleOf != code || u.FaceValue != 20.5 {
			t.Errorf("ticket.updated %+v, want withdrawn with resaleOf and faceValue", u)
		}
		again := ticketOf(t, holder.post("/api/tickets", resale(code, 15)), http.StatusCreated)
		if again.ID == listed.ID || again.ResaleOf != code {
			t.Errorf("second listing %+v", again)
		}
	})
}

func TestAResaleIsRefusedUnlessTheCallerHoldsAnETicketThatCanStillBeUsed(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	mine, others, gone, used, early := newCode(), newCode(), newCode(), newCode(), newCode()
	f.mustDeliver(issued(t, mine, "holder"), issued(t, others, "someone"), issued(t, gone, "holder"), revoked(t, gone),
		issued(t, used, "holder"), checkedIn(t, used),
		// A revocation that comes before the e-ticket's issue still holds.
		revoked(t, early), issued(t, early, "holder"))
	holder := f.as("holder")
	notHeld := item("You hold no e-ticket with this code", "resaleOf")
	tests := []struct {
		name string
		body string
		want httpx.ErrorItem
	}{
		{"a code tickets never heard of", resale(newCode(), 10), notHeld},
		{"another's e-ticket", resale(others, 10), notHeld},
		{"no code at all", resale("not a code!", 10), notHeld},
		{"a revoked e-ticket", resale(gone, 10), item("This e-ticket has been revoked", "")},
		{"revoked before it was issued", resale(early, 10), item("This e-ticket has been revoked", "")},
		{"a used e-ticket", resale(used, 10), item("This e-ticket has already been used", "")},
		{"a title of one's own", `{"resaleOf":"` + mine + `","title":"Mine","price":10}`,
			item("A resale listing keeps the title of its e-ticket", "title")},
		{"a price below the least", resale(mine, 0.49), item("Price must be between 0.50 and 999999.99", "price")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			httpxtest.WantErrors(t, holder.post("/api/tickets", tc.body), http.StatusBadRequest, tc.want)
		})
	}
	if res := f.anon().post("/api/tickets", resale(mine, 10)); res.Code != http.StatusUnauthorized {
		t.Errorf("a resale signed out answered %d %s, want 401", res.Code, res.Body)
	}
	f.wantRecorded(0, "no listing was made")
}

func TestARevokedOrUsedETicketsListingOnSaleIsWithdrawn(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	refunded, used := newCode(), newCode()
	f.mustDeliver(issued(t, refunded, "holder"), issued(t, used, "holder"))
	holder := f.as("holder")
	first := ticketOf(t, holder.post("/api/tickets", resale(refunded, 20)), http.StatusCreated)
	second := ticketOf(t, holder.post("/api/tickets", resale(used, 20)), http.StatusCreated)

	f.mustDeliver(revoked(t, refunded), checkedIn(t, used))
	f.wantTicket(first.ID, "withdrawn", "", 1)
	f.wantTicket(second.ID, "withdrawn", "", 1)
	if u := f.updated(first.ID, 1); u.Status != "withdrawn" {
		t.Errorf("ticket.updated %+v", u)
	}
	before := f.counts()
	f.mustDeliver(revoked(t, refunded), checkedIn(t, used))
	storetest.WantSameCounts(t, "a second revocation and check-in", before, f.counts(), "receipts")
}

func TestTheSellerWithdrawsAListingOnSaleAndNothingElse(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	seller := f.as("seller")
	onSale := seller.create("On sale", 10)
	reserved := seller.create("Reserved", 10)
	f.mustDeliver(orderCreated(t, "order-1", reserved.ID, 1))

	httpxtest.WantErrors(t, f.as("other").del("/api/tickets/"+onSale.ID), http.StatusUnauthorized, item("Not authorized", ""))
	if res := f.anon().del("/api/tickets/" + onSale.ID); res.Code != http.StatusUnauthorized {
		t.Errorf("a withdrawal signed out answered %d", res.Code)
	}
	httpxtest.WantErrors(t, seller.del("/api/tickets/"+reserved.ID), http.StatusBadRequest, item("Cannot withdraw a reserved ticket", ""))
	if res := seller.del("/api/tickets/" + strings.Repeat("a", 24)); res.Code != http.StatusNotFound {
		t.Errorf("an unknown ticket answered %d", res.Code)
	}
	if res := seller.del("/api/tickets/nope"); res.Code != http.StatusNotFound {
		t.Errorf("a malformed id answered %d", res.Code)
	}

	for range 2 { // asked twice, answered the same
		got := ticketOf(t, seller.del("/api/tickets/"+onSale.ID), http.StatusOK)
		if got.Status != "withdrawn" || got.Version != 1 {
			t.Errorf("withdrawn %+v", got)
		}
	}
	f.updated(onSale.ID, 1)
	f.wantRecorded(4, "two listings, the lock of one and the withdrawal of the other")
	if f.onSale(onSale.ID) {
		t.Error("a withdrawn listing is still on sale")
	}
	httpxtest.WantErrors(t, seller.put("/api/tickets/"+onSale.ID, details("Again", 10)), http.StatusBadRequest, item("Cannot edit a withdrawn ticket", ""))
}
