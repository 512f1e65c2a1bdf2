package notifications_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/functions/notifications/internal/mail"
	notificationsstore "github.com/buytickets/buytickets/functions/notifications/internal/store"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/testenv"
)

func TestTheBuyerGetsOneETicketEmailAndTheSellerOneSaleEmail(t *testing.T) {
	t.Parallel()
	f := newFn(t, nil, "")
	buyer, seller := newPerson("buyer"), newPerson("seller")
	order := newOrderID()

	f.MustDeliver(registered(t, seller))
	// Every event twice, as a broker may deliver it, the second time as a
	// new event of the same cause.
	for range 2 {
		f.MustDeliver(completed(t, order, buyer, seller))
		f.MustDeliver(issued(t, order, buyer, seller))
	}

	confirmation := f.inbox(t, buyer, 1)[0]
	code := "CODE" + strings.ToUpper(order[:8])
	if confirmation.Subject != "Your e-ticket: Concert" || !strings.Contains(confirmation.Text, code) || !strings.Contains(confirmation.HTML, code) {
		t.Errorf("confirmation %q does not give the code %s:\n%s", confirmation.Subject, code, confirmation.Text)
	}
	if len(confirmation.Inline) != 1 || confirmation.Inline[0].ContentType != "image/png" || confirmation.Inline[0].ContentID != mail.QRContentID {
		t.Errorf("confirmation's inline parts %+v, want one PNG QR image", confirmation.Inline)
	}
	if len(confirmation.To) != 1 || confirmation.To[0].Address != buyer.email || confirmation.From.Address != "tickets@buytickets.test" {
		t.Errorf("confirmation from %+v to %+v, want from the marketplace to the buyer alone", confirmation.From, confirmation.To)
	}
	if id := confirmation.Headers["Message-Id"]; len(id) != 1 || id[0] != "<confirmation-"+order+"@buytickets.test>" {
		t.Errorf("Message-ID %q, want the email's own", id)
	}
	if h := confirmation.Headers["List-Unsubscribe"]; len(h) != 0 {
		t.Errorf("a transactional email carries List-Unsubscribe %q", h)
	}

	sale := f.inbox(t, seller, 1)[0]
	if sale.Subject != "Your ticket sold: Concert" || !strings.Contains(sale.Text, "$20.50") ||
		!strings.Contains(sale.Text, "https://buytickets.test/tickets/t1") || strings.Contains(sale.Text, code) {
		t.Errorf("sale email %q, want the title and price and no e-ticket code:\n%s", sale.Subject, sale.Text)
	}
	if len(sale.To) != 1 || sale.To[0].Address != seller.email {
		t.Errorf("sale email to %+v, want the seller alone", sale.To)
	}
}

func TestAnExpiredReservationIsToldOnceAndItsNoticesCanBeStoppedInOneClick(t *testing.T) {
	t.Parallel()
	f := newFn(t, nil, "")
	buyer := newPerson("buyer")
	first, second, cancelledByBuyer := newOrderID(), newOrderID(), newOrderID()
	f.MustDeliver(registered(t, buyer))
	for _, o := range []string{first, second, cancelledByBuyer} {
		f.MustDeliver(created(t, o, buyer))
	}
	f.MustDeliver(cancelled(t, first, "expired"))
	f.MustDeliver(cancelled(t, first, "expired"))
	f.MustDeliver(cancelled(t, cancelledByBuyer, "buyer"))

	notice := f.inbox(t, buyer, 1)[0]
	if notice.Subject != "Your reservation expired" || !strings.Contains(notice.Text, "($20.50)") {
		t.Errorf("expiry notice %q:\n%s", notice.Subject, notice.Text)
	}
	link := unsubscribeLink(t, notice)
	if post := notice.Headers["List-Unsubscribe-Post"]; len(post) != 1 || post[0] != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post %q, want one-click", post)
	}
	if link.Host != "buytickets.test" || !strings.Contains(notice.Text, link.String()) {
		t.Errorf("unsubscribe link %s, want on the public URL and in the text", link)
	}

	// A link scanner's GET changes nothing; the mail client's one-click
	// POST unsubscribes, and again is fine.
	path := link.RequestURI()
	if res := httpxtest.Serve(f.h, httptest.NewRequest(http.MethodGet, path, nil)); res.Code != http.StatusOK || !strings.Contains(string(res.Body), "<form") {
		t.Fatalf("GET unsubscribe link: %d %s", res.Code, res.Body)
	}
	for range 2 {
		if res := f.unsubscribe(t, path); res.Code != http.StatusOK || !strings.Contains(string(res.Body), "Unsubscribed") {
			t.Fatalf("one-click unsubscribe: %d %s", res.Code, res.Body)
		}
	}

	f.MustDeliver(cancelled(t, second, "expired"))
	s := notificationsstore.New(f.db)
	testenv.Eventually(t, eventually, "the second notice dropped", func() bool {
		st, err := s.Status(t.Context(), mail.ID(mail.Expired, second))
		return err == nil && st.DropReason == "unsubscribed"
	})
	f.inbox(t, buyer, 1)
}

func TestUnsubscribeLinksWorkOnlyAsTheEmailGaveThem(t *testing.T) {
	t.Parallel()
	f := newFn(t, nil, "")
	for name, path := range map[string]string{
		"no token":       "/api/notifications/unsubscribe?u=buyer",
		"another's":      "/api/notifications/unsubscribe?u=buyer&t=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"no user at all": "/api/notifications/unsubscribe",
	} {
		for _, method := range []string{http.MethodGet, http.MethodPost} {
			res := httpxtest.Serve(f.h, httptest.NewRequest(method, path, nil))
			t.Run(name+" "+method, func(t *testing.T) {
				httpxtest.WantError(t, res, http.StatusBadRequest, "This unsubscribe link is not valid; use the link in the email as it is", "t")
			})
		}
	}
}

func TestARefundIsToldToTheBuyerOnce(t *testing.T) {
	t.Parallel()
	f := newFn(t, nil, "")
	buyer, seller := newPerson("buyer"), newPerson("seller")
	order := newOrderID()
	// The refund first: whom it goes to is known when the order's events come.
	f.MustDeliver(refunded(t, order))
	f.MustDeliver(refunded(t, order))
	triedAndFailed(t, notificationsstore.New(f.db), mail.ID(mail.Refund, order))
	f.MustDeliver(completed(t, order, buyer, seller))
	f.clock.Advance(time.Minute) // past the retry of the refund that had no address
	f.MustDeliver(registered(t, seller))

	mails := f.inbox(t, buyer, 1)
	if mails[0].Subject != "Your refund for Concert" || !strings.Contains(mails[0].Text, "$20.50") {
		t.Errorf("refund email %q:\n%s", mails[0].Subject, mails[0].Text)
	}
}

func TestAnEmailWaitsForItsAddressAndIsGivenUpAfterAWeek(t *testing.T) {
	t.Parallel()
	f := newFn(t, nil, "")
	buyer, seller, stranger := newPerson("buyer"), newPerson("seller"), newPerson("seller")
	order, lost := newOrderID(), newOrderID()
	s := notificationsstore.New(f.db)

	f.MustDeliver(completed(t, order, buyer, seller))
	f.MustDeliver(completed(t, lost, buyer, stranger))
	triedAndFailed(t, s, mail.ID(mail.Sale, order))

	// The seller's address arrives: the email goes at its next try.
	f.MustDeliver(registered(t, seller))
	f.clock.Advance(mail.MaxRetry)
	f.MustDeliver(registered(t, seller))
	f.inbox(t, seller, 1)

	// The stranger's never does: a week on, the sweep gives it up.
	f.clock.Advance(mail.GiveUpAfter)
	if res := f.sweep(t); res.Code != http.StatusNoContent {
		t.Fatalf("sweep: %d %s", res.Code, res.Body)
	}
	st, err := s.Status(t.Context(), mail.ID(mail.Sale, lost))
	if err != nil || st.Pending || !strings.HasPrefix(st.DropReason, "given up") {
		t.Errorf("after a week the unaddressed email is %+v (%v), want given up", st, err)
	}
}

func TestARelayThatIsDownLosesNoEmail(t *testing.T) {
	t.Parallel()
	down, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	db := newFn(t, nil, "").db // a store, and a function on it that sends nothing yet
	broken := newFn(t, db, "smtp://127.0.0.1:"+strconv.Itoa(down))
	buyer, seller := newPerson("buyer"), newPerson("seller")
	order := newOrderID()

	broken.MustDeliver(registered(t, seller))
	broken.MustDeliver(completed(t, order, buyer, seller))
	triedAndFailed(t, notificationsstore.New(db), mail.ID(mail.Sale, order))

	// Another replica, whose relay answers, sends it at its next try.
	working := newFn(t, db, "")
	working.clock.Advance(mail.MaxRetry + mail.Lease)
	if res := working.sweep(t); res.Code != http.StatusNoContent {
		t.Fatalf("sweep: %d %s", res.Code, res.Body)
	}
	working.inbox(t, seller, 1)
}

func TestEventsThatCanNeverBeTakenAreRefused(t *testing.T) {
	t.Parallel()
	f := newFn(t, nil, "")
	buyer, seller := newPerson("buyer"), newPerson("seller")
	order := newOrderID()
	for name, ev := range map[string]event.Event{
		"an order id no document can have": completed(t, "../orders", buyer, seller),
		"an e-ticket without a code":       eventingtest.WithData(issued(t, order, buyer, seller), `{"orderId":"`+order+`","holderId":"b"}`),
		"a user without an email":          eventingtest.WithData(registered(t, buyer), `{"id":"u1"}`),
	} {
		if code := f.Deliver(ev); code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", name, code)
		}
	}
}

func TestTheConfirmationAndTheSaleSayTheEventAndSeat(t *testing.T) {
	t.Parallel()
	f := newFn(t, nil, "")
	buyer, seller := newPerson("buyer"), newPerson("seller")
	order := newOrderID()
	gala := &eventing.TicketEvent{Name: "Spring Gala", Venue: "Salle Pleyel", City: "Paris", StartsAt: time.Date(2027, 6, 1, 18, 0, 0, 0, time.UTC)}
	seat := &eventing.TicketSeat{Section: "Balcony", Row: "C", Number: "12"}
	f.MustDeliver(registered(t, seller))
	f.MustDeliver(eventingtest.Event(t, eventing.NewOrderCompleted, eventing.OrderCompleted{
		ID: order, Version: 1, UserID: buyer.id, BuyerEmail: buyer.email, SellerID: seller.id,
		Ticket: eventing.OrderCompletedTicket{ID: "t1", Title: "Gala night", Price: 80, Reservation: 1, Event: gala, Seat: seat},
	}))
	f.MustDeliver(eventingtest.Event(t, eventing.NewETicketIssued, eventing.ETicketIssued{
		Code: "CODE" + strings.ToUpper(order[:8]), OrderID: order, TicketID: "t1", HolderID: buyer.id, IssuerID: seller.id,
		Title: "Gala night", FaceValue: 8000, Event: gala, Seat: seat,
	}))
	const line = "Spring Gala · Tue 1 Jun 2027, 18:00 UTC · Salle Pleyel, Paris · section Balcony, row C, seat 12"
	for _, m := range append(f.inbox(t, buyer, 1), f.inbox(t, seller, 1)...) {
		if !strings.Contains(m.Text, line) || !strings.Contains(m.HTML, "Salle Pleyel, Paris") {
			t.Errorf("%q does not say what the ticket admits to:\n%s", m.Subject, m.Text)
		}
	}
}
