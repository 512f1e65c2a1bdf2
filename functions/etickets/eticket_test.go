package etickets_test

import (
	"crypto/ed25519"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	jose "github.com/go-jose/go-jose/v4"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/functions/etickets/qrtest"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/storetest"
)

func TestAPaidOrderGivesTheBuyerOneETicketWhateverTheDeliveries(t *testing.T) {
	t.Parallel()
	f := newFn(t, nil)
	orderID := newOrderID()
	f.MustDeliver(completed(t, orderID))
	f.MustDeliver(completed(t, orderID)) // orders' outbox sent it twice, under two ids
	f.clock.Advance(time.Minute)

	list := f.held("buyer")
	if len(list) != 1 {
		t.Fatalf("the buyer holds %d e-tickets, want 1: %+v", len(list), list)
	}
	e := list[0]
	if e.OrderID != orderID || e.TicketID != "t-"+orderID || e.Title != "Concert" || e.Status != "valid" ||
		!e.IssuedAt.Equal(t0) || e.CheckedInAt != nil {
		t.Errorf("e-ticket %+v", e)
	}
	if got := f.held("seller"); len(got) != 0 {
		t.Errorf("the seller holds %+v", got)
	}
	ev := f.broker.Wait(t, 10*time.Second, "eticket.issued", func(ev event.Event) bool {
		return ev.Type() == eventing.TypeETicketIssued && ev.Subject() == orderID
	})
	issued := eventingtest.Decode[eventing.ETicketIssued](t, ev)
	want := eventing.ETicketIssued{Code: e.Code, OrderID: orderID, TicketID: "t-" + orderID, HolderID: "buyer", IssuerID: "seller", Title: "Concert", FaceValue: 2050}
	if issued != want {
		t.Errorf("eticket.issued %+v, want %+v", issued, want)
	}
	storetest.WantCounts(t, f.db, []string{"etickets"}, map[string]int{"etickets": 1})
}

func TestTheHolderAndTheIssuerSeeTheETicketAndItsQRAndNobodyElse(t *testing.T) {
	t.Parallel()
	f := newFn(t, nil)
	e := f.issue()
	for _, who := range []string{"buyer", "seller"} {
		res := f.user(who).Get("/api/etickets/" + e.Code)
		var got eticketBody
		if res.Code != http.StatusOK || json.Unmarshal(res.Body, &got) != nil || got.Code != e.Code {
			t.Errorf("%s: GET e-ticket %d %s", who, res.Code, res.Body)
		}
		qr := f.user(who).Get("/api/etickets/" + strings.ToLower(e.Code) + "/qr.svg")
		if qr.Code != http.StatusOK || qr.Header.Get("Content-Type") != "image/svg+xml" {
			t.Fatalf("%s: GET qr.svg %d %s", who, qr.Code, qr.Header)
		}
		if got := qrtest.Decode(t, string(qr.Body)); got != e.Code {
			t.Errorf("the QR symbol reads %q, want the code %q", got, e.Code)
		}
	}
	for _, path := range []string{"/api/etickets/" + e.Code, "/api/etickets/" + e.Code + "/qr.svg"} {
		httpxtest.WantError(t, f.user("stranger").Get(path), http.StatusNotFound, "E-ticket not found", "")
		httpxtest.WantError(t, f.user("").Get(path), http.StatusUnauthorized, "Not authorized", "")
	}
	forged := e.Code[:20] + strings.Map(func(r rune) rune {
		if r == 'A' {
			return 'B'
		}
		return 'A'
	}, e.Code[20:21]) + e.Code[21:]
	httpxtest.WantError(t, f.user("buyer").Get("/api/etickets/"+forged), http.StatusNotFound, "E-ticket not found", "")
	httpxtest.WantError(t, f.user("").Get("/api/etickets"), http.StatusUnauthorized, "Not authorized", "")
}

func TestTheIssuerChecksAnETicketInOnceAndNobodyElseCan(t *testing.T) {
	t.Parallel()
	f := newFn(t, nil)
	e := f.issue()
	f.clock.Advance(time.Hour)
	at := f.clock.Now()

	httpxtest.WantError(t, f.checkIn("", e.Code), http.StatusUnauthorized, "Not authorized", "")
	httpxtest.WantError(t, f.checkIn("buyer", e.Code), http.StatusUnauthorized, "Not authorized", "")
	httpxtest.WantError(t, f.checkIn("stranger", e.Code), http.StatusUnauthorized, "Not authorized", "")

	res := f.checkIn("seller", strings.ToLower(e.Code))
	var done struct {
		Code        string    `json:"code"`
		CheckedInAt time.Time `json:"checkedInAt"`
	}
	if res.Code != http.StatusCreated || json.Unmarshal(res.Body, &done) != nil || done.Code != e.Code || !done.CheckedInAt.Equal(at) {
		t.Fatalf("check-in: %d %s, want 201 at %v", res.Code, res.Body, at)
	}
	f.clock.Advance(time.Minute)
	httpxtest.WantError(t, f.checkIn("seller", e.Code), http.StatusConflict, "Already checked in at 2030-01-02T04:04:05Z", "")

	got := f.held("buyer")[0]
	if got.Status != "used" || got.CheckedInAt == nil || !got.CheckedInAt.Equal(at) {
		t.Errorf("after check-in %+v", got)
	}
	ev := f.broker.Wait(t, 10*time.Second, "eticket.checkedin", func(ev event.Event) bool {
		return ev.Type() == eventing.TypeETicketCheckedIn && ev.Subject() == e.OrderID
	})
	want := eventing.ETicketCheckedIn{Code: e.Code, OrderID: e.OrderID, CheckedInAt: at}
	if got := eventingtest.Decode[eventing.ETicketCheckedIn](t, ev); !got.CheckedInAt.Equal(at) || got.Code != want.Code || got.OrderID != want.OrderID {
		t.Errorf("eticket.checkedin %+v, want %+v", got, want)
	}
}

func TestACheckInOfACodeThatIsNoneIsRefused(t *testing.T) {
	t.Parallel()
	f := newFn(t, nil)
	e := f.issue()
	other := newFn(t, nil) // another signing key: a forged code
	forged := other.issue().Code

	last := map[bool]string{true: "A", false: "Q"}[strings.HasSuffix(e.Code, "Q")]
	httpxtest.WantError(t, f.checkIn("seller", e.Code[:len(e.Code)-1]+last), http.StatusBadRequest, "This is not a valid e-ticket code", "code")
	httpxtest.WantError(t, f.checkIn("seller", forged), http.StatusBadRequest, "This is not a valid e-ticket code", "code")
	httpxtest.WantError(t, f.checkIn("seller", "hello"), http.StatusBadRequest, "This is not a valid e-ticket code", "code")
	httpxtest.WantError(t, f.checkIn("seller", ""), http.StatusBadRequest, "Code is required", "code")
	httpxtest.WantError(t, f.user("seller").Post("/api/checkins", `{"code":1}`), http.StatusBadRequest, "code must be a string", "code")
	// A genuine code, signed with the function's key, of an order that
	// has no e-ticket.
	httpxtest.WantError(t, f.checkIn("seller", f.sign(newOrderID())), http.StatusNotFound, "E-ticket not found", "")
}

func TestARefundRevokesTheETicketEvenWhenItComesFirst(t *testing.T) {
	t.Parallel()
	f := newFn(t, nil)
	e := f.issue()
	f.clock.Advance(time.Hour)
	f.MustDeliver(refunded(t, e.OrderID))
	f.MustDeliver(refunded(t, e.OrderID)) // again: nothing more happens
	if got := f.held("buyer")[0]; got.Status != "revoked" {
		t.Errorf("after the refund %+v", got)
	}
	httpxtest.WantError(t, f.checkIn("seller", e.Code), http.StatusBadRequest, "This e-ticket has been revoked", "")

	// The refund of an order whose completion is still on its way.
	early := newOrderID()
	f.MustDeliver(refunded(t, early))
	f.MustDeliver(completed(t, early))
	var born eticketBody
	for _, got := range f.held("buyer") {
		if got.OrderID == early {
			born = got
		}
	}
	if born.Status != "revoked" {
		t.Errorf("an e-ticket whose refund came first is %+v, want revoked", born)
	}
	// Each e-ticket is revoked once, the refund delivered twice
	// notwithstanding; the outbox may send that one event again.
	for _, order := range []string{e.OrderID, early} {
		f.broker.WaitAbout(t, 10*time.Second, eventing.TypeETicketRevoked, order)
		if revoked := eventingtest.Distinct(f.broker.About(eventing.TypeETicketRevoked, order)); len(revoked) != 1 {
			t.Errorf("order %s: %d eticket.revoked, want 1", order, len(revoked))
		}
	}
	for _, ev := range f.broker.Events() {
		if ev.Type() == eventing.TypeETicketIssued && ev.Subject() == early {
			t.Error("an e-ticket born revoked was announced as issued")
		}
	}
}

func TestAnEventThatCannotMakeAnETicketIsRefused(t *testing.T) {
	t.Parallel()
	f := newFn(t, nil)
	bad := completed(t, "not-an-order-id")
	if code := f.Deliver(bad); code != http.StatusBadRequest {
		t.Errorf("order.completed of a malformed order id: %d, want 400", code)
	}
	noSeller := eventingtest.Event(t, eventing.NewOrderCompleted, eventing.OrderCompleted{
		ID: newOrderID(), Version: 1, UserID: "buyer", Ticket: eventing.OrderCompletedTicket{ID: "t1", Title: "Concert", Price: 20},
	})
	if code := f.Deliver(noSeller); code != http.StatusBadRequest {
		t.Errorf("order.completed without its seller: %d, want 400", code)
	}
	storetest.WantCounts(t, f.db, []string{"etickets"}, map[string]int{"etickets": 0})
}

func TestConcurrentCheckInsOfOneCodeGiveOneWinnerOnEveryDriver(t *testing.T) {
	t.Parallel()
	storetest.Each(t, "etickets", func(t *testing.T, open func(testing.TB) store.Store) {
		f := newFn(t, open(t))
		e := f.issue()
		const n = 8
		codes := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { codes[i] = f.checkIn("seller", e.Code).Code })
		}
		wg.Wait()
		won := 0
		for _, c := range codes {
			switch c {
			case http.StatusCreated:
				won++
			case http.StatusConflict, http.StatusServiceUnavailable:
			default:
				t.Errorf("a concurrent check-in answered %d", c)
			}
		}
		if won != 1 {
			t.Errorf("%d check-ins won (%v), want exactly 1", won, codes)
		}
	})
}

// TestACodeVerifiesOfflineWithThePublishedKey checks a code as a door
// scanner would: with only the JWK served at /api/etickets/key and the
// format the README documents, and no code of ours.
func TestACodeVerifiesOfflineWithThePublishedKey(t *testing.T) {
	t.Parallel()
	f := newFn(t, nil)
	e := f.issue()
	res := f.user("").Get("/api/etickets/key")
	var jwk jose.JSONWebKey
	if res.Code != http.StatusOK || json.Unmarshal(res.Body, &jwk) != nil {
		t.Fatalf("GET key: %d %s", res.Code, res.Body)
	}
	pub, ok := jwk.Key.(ed25519.PublicKey)
	if !ok || jwk.Algorithm != "EdDSA" {
		t.Fatalf("key %s is no Ed25519 JWK", res.Body)
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(e.Code)
	if err != nil || len(raw) != 1+12+64 || raw[0] != 1 {
		t.Fatalf("code %q is not version 1, order id, signature: %v", e.Code, err)
	}
	message := append([]byte("buytickets e-ticket\x00"), raw[:13]...)
	if !ed25519.Verify(pub, message, raw[13:]) {
		t.Fatal("the code's signature does not verify with the published key")
	}
	if hex.EncodeToString(raw[1:13]) != e.OrderID {
		t.Errorf("the code names order %x, want %s", raw[1:13], e.OrderID)
	}
	raw[5] ^= 1
	if ed25519.Verify(pub, append([]byte("buytickets e-ticket\x00"), raw[:13]...), raw[13:]) {
		t.Error("a code with another order id verifies")
	}
}

func TestAnETicketSaysTheEventAndSeatItsOrderBought(t *testing.T) {
	t.Parallel()
	f := newFn(t, nil)
	orderID := newOrderID()
	gala := eventing.TicketEvent{Name: "Spring Gala", Venue: "Salle Pleyel", City: "Paris", StartsAt: t0.Add(48 * time.Hour)}
	seat := eventing.TicketSeat{Section: "Balcony", Row: "C", Number: "12"}
	f.MustDeliver(eventingtest.Event(t, eventing.NewOrderCompleted, eventing.OrderCompleted{
		ID: orderID, Version: 1, UserID: "buyer", BuyerEmail: "buyer@example.com", SellerID: "seller",
		Ticket: eventing.OrderCompletedTicket{ID: "t-" + orderID, Title: "Gala night", Price: 20.5, Reservation: 1, Event: &gala, Seat: &seat},
	}))
	list := f.held("buyer")
	if len(list) != 1 || list[0].Event == nil || list[0].Event.Name != gala.Name || !list[0].Event.StartsAt.Equal(gala.StartsAt) ||
		list[0].Seat == nil || *list[0].Seat != seat {
		t.Fatalf("the buyer's e-tickets %+v", list)
	}
	ev := f.broker.Wait(t, 10*time.Second, "eticket.issued", func(ev event.Event) bool {
		return ev.Type() == eventing.TypeETicketIssued && ev.Subject() == orderID
	})
	issued := eventingtest.Decode[eventing.ETicketIssued](t, ev)
	if issued.Event == nil || issued.Event.City != "Paris" || issued.Seat == nil || issued.Seat.Row != "C" {
		t.Errorf("eticket.issued carries event %+v seat %+v", issued.Event, issued.Seat)
	}
}
