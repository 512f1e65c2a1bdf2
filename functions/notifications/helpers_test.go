package notifications_test

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/functions/notifications"
	notificationsstore "github.com/buytickets/buytickets/functions/notifications/internal/store"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/storetest"
	"github.com/buytickets/buytickets/shared/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// t0 is when every test starts.
var t0 = testenv.Epoch

// eventually bounds the waits for an email to arrive.
const eventually = 10 * time.Second

// fn is one notifications function under test, served over HTTP as the
// broker reaches it, sending through a mailpit.
type fn struct {
	eventingtest.Receiver
	h       http.Handler
	db      store.Store
	clock   *testenv.Clock
	mailpit testenv.Mailpit
}

// newFn returns the function on db (a fresh SQLite store when nil), sending
// to smtpURL (the test's mailpit when ""), until the test ends.
func newFn(tb testing.TB, db store.Store, smtpURL string) *fn {
	tb.Helper()
	if db == nil {
		db = storetest.OpenSQLite(tb, filepath.Join(tb.TempDir(), "notifications.db"))
	}
	mp := testenv.StartMailpit(tb)
	if smtpURL == "" {
		smtpURL = mp.SMTPURL()
	}
	c := testenv.NewClock(t0)
	f, err := notifications.New(notifications.Config{
		SMTPURL: smtpURL, MailFrom: "Buytickets <tickets@buytickets.test>",
		PublicURL: "https://buytickets.test", JWTKey: testenv.JWTKey,
	}, notifications.Deps{
		Store: db, Events: eventingtest.Member(tb, "notifications"), Now: c.Now, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		tb.Fatal(err)
	}
	testenv.Background(tb, f.Run)
	h := f.Handler()
	return &fn{Receiver: eventingtest.Serve(tb, "notifications", h), h: h, db: db, clock: c, mailpit: mp}
}

// person is a user with an address of their own, so tests sharing the
// mailpit read only their own messages.
type person struct {
	id, email string
}

func newPerson(role string) person {
	b := make([]byte, 6)
	rand.Read(b)
	id := role + "-" + hex.EncodeToString(b)
	return person{id: id, email: id + "@example.com"}
}

// newOrderID returns an order id of the shape orders gives.
func newOrderID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// registered is p's user.registered.
func registered(tb testing.TB, p person) event.Event {
	return eventingtest.Event(tb, eventing.NewUserRegistered, eventing.UserRegistered{ID: p.id, Email: p.email})
}

// created is the order.created of orderID: buyer reserves ticket t1 at $20.50.
func created(tb testing.TB, orderID string, buyer person) event.Event {
	return eventingtest.Event(tb, eventing.NewOrderCreated, eventing.OrderCreated{
		ID: orderID, Status: "created", UserID: buyer.id, ExpiresAt: t0.Add(15 * time.Minute),
		Ticket: eventing.OrderCreatedTicket{ID: "t1", Price: 20.5, Reservation: 1},
	})
}

// completed is the order.completed of orderID: buyer bought seller's
// "Concert" at $20.50.
func completed(tb testing.TB, orderID string, buyer, seller person) event.Event {
	return eventingtest.Event(tb, eventing.NewOrderCompleted, eventing.OrderCompleted{
		ID: orderID, Version: 1, UserID: buyer.id, BuyerEmail: buyer.email, SellerID: seller.id,
		Ticket: eventing.OrderCompletedTicket{ID: "t1", Title: "Concert", Price: 20.5, Reservation: 1},
	})
}

// issued is the eticket.issued of orderID, for buyer.
func issued(tb testing.TB, orderID string, buyer, seller person) event.Event {
	return eventingtest.Event(tb, eventing.NewETicketIssued, eventing.ETicketIssued{
		Code: "CODE" + strings.ToUpper(orderID[:8]), OrderID: orderID, TicketID: "t1",
		HolderID: buyer.id, IssuerID: seller.id, Title: "Concert", FaceValue: 2050,
	})
}

// cancelled is the order.cancelled of orderID for reason.
func cancelled(tb testing.TB, orderID, reason string) event.Event {
	return eventingtest.Event(tb, eventing.NewOrderCancelled, eventing.OrderCancelled{
		ID: orderID, Version: 1, Reason: reason, Ticket: eventing.OrderCancelledTicket{ID: "t1", Reservation: 1},
	})
}

// refunded is the payment.refunded of orderID's $20.50.
func refunded(tb testing.TB, orderID string) event.Event {
	return eventingtest.Event(tb, eventing.NewPaymentRefunded, eventing.PaymentRefunded{
		ID: "p-" + orderID, OrderID: orderID, StripeID: "ch_1", Amount: 2050, Currency: "usd", Reason: "requested_by_customer",
	})
}

// inbox waits until p has n messages and returns them whole, newest first;
// it fails the test if more arrive within a short grace.
func (f *fn) inbox(tb testing.TB, p person, n int) []testenv.Mail {
	tb.Helper()
	testenv.Eventually(tb, eventually, "the emails to "+p.email, func() bool { return len(f.mailpit.To(tb, p.email)) >= n })
	time.Sleep(200 * time.Millisecond) // a duplicate would follow at once
	list := f.mailpit.To(tb, p.email)
	if len(list) != n {
		tb.Fatalf("%s has %d emails, want %d: %+v", p.email, len(list), n, list)
	}
	mails := make([]testenv.Mail, n)
	for i, m := range list {
		mails[i] = f.mailpit.Read(tb, m.ID)
	}
	return mails
}

// triedAndFailed waits until a try of the email id has failed and set its
// next time, by the function's clock of that moment: a test moves the
// clock past it only then, so no try under way takes the moved clock.
func triedAndFailed(tb testing.TB, s *notificationsstore.Store, id string) {
	tb.Helper()
	testenv.Eventually(tb, eventually, "a failed try of "+id, func() bool {
		st, err := s.Status(tb.Context(), id)
		return err == nil && st.Pending && st.LastError != ""
	})
}

// sweep posts the PingSource's sweep and returns the answer.
func (f *fn) sweep(tb testing.TB) httpxtest.Response {
	tb.Helper()
	req := httpxtest.NewJSONRequest(http.MethodPost, notifications.SweepPath, `{}`)
	return httpxtest.Serve(f.h, eventingtest.Authorize(req, eventingtest.SweepToken(tb, "notifications")))
}

// unsubscribeLink is the link in the List-Unsubscribe header of m.
func unsubscribeLink(tb testing.TB, m testenv.Mail) *url.URL {
	tb.Helper()
	h := m.Headers["List-Unsubscribe"]
	if len(h) != 1 || !strings.HasPrefix(h[0], "<") || !strings.HasSuffix(h[0], ">") {
		tb.Fatalf("List-Unsubscribe %q, want one <URL>", h)
	}
	u, err := url.Parse(strings.Trim(h[0], "<>"))
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

// unsubscribe posts the one-click unsubscribe (RFC 8058) of the link's
// path and query, as a mail client does.
func (f *fn) unsubscribe(tb testing.TB, path string) httpxtest.Response {
	tb.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader("List-Unsubscribe=One-Click"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return httpxtest.Serve(f.h, req)
}
