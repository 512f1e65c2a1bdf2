package eventing_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/cloudevents/sdk-go/v2/event"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/shared/store"
)

// catalogCase is one constructor of the catalog and what a receiver must
// read from its event.
type catalogCase struct {
	name    string
	new     func() (event.Event, error)
	typ     string
	source  string
	subject string
	version int // -1: not a versioned entity
	decode  func(event.Event) (any, error)
	want    any
}

// decodeAs returns a decoder of T's payload.
func decodeAs[T any]() func(event.Event) (any, error) {
	return func(ev event.Event) (any, error) {
		var p T
		err := eventing.Decode(ev, &p)
		return p, err
	}
}

func catalog() []catalogCase {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ticketCreated := eventing.TicketCreated{ID: "t1", Title: "Concert", Price: 20.5, UserID: "u1", CreatedAt: at}
	ticketUpdated := eventing.TicketUpdated{ID: "t1", Version: 3, Title: "Concert", Price: 21, UserID: "u1", Status: "reserved"}
	orderCreated := eventing.OrderCreated{ID: "o1", Status: "created", UserID: "u2", ExpiresAt: at,
		Ticket: eventing.OrderCreatedTicket{ID: "t1", Price: 20.5, Reservation: 4}}
	orderCancelled := eventing.OrderCancelled{ID: "o1", Version: 1, Reason: "expired",
		Ticket: eventing.OrderCancelledTicket{ID: "t1", Reservation: 4}}
	orderCompleted := eventing.OrderCompleted{ID: "o1", Version: 1, UserID: "u2", BuyerEmail: "u2@example.com", SellerID: "u1",
		Ticket: eventing.OrderCompletedTicket{ID: "t1", Title: "Concert", Price: 20.5, Reservation: 4}}
	expiration := eventing.ExpirationCompleted{OrderID: "o1"}
	paymentCreated := eventing.PaymentCreated{ID: "p1", OrderID: "o1", StripeID: "ch_1", Amount: 2050, Currency: "usd"}
	paymentRefunded := eventing.PaymentRefunded{ID: "p1", OrderID: "o1", StripeID: "ch_1", Amount: 2050, Currency: "usd", Reason: "order cancelled"}
	registered := eventing.UserRegistered{ID: "u2", Email: "u2@example.com"}
	userBanned := eventing.UserBanned{UserID: "u3", Until: &at}
	bannedForGood := eventing.UserBanned{UserID: "u3"}
	unbanned := eventing.UserUnbanned{UserID: "u3"}
	issued := eventing.ETicketIssued{Code: "c1", OrderID: "o1", TicketID: "t1", HolderID: "u2", IssuerID: "u1", Title: "Concert", FaceValue: 2050}
	checkedIn := eventing.ETicketCheckedIn{Code: "c1", OrderID: "o1", CheckedInAt: at}
	revoked := eventing.ETicketRevoked{Code: "c1", OrderID: "o1", Reason: "refunded"}
	released := eventing.PayoutReleased{ID: "po1", OrderID: "o1", SellerID: "u1", Amount: 1845, Fee: 205, TransferID: "tr_1"}
	// A resale listing and its sale carry the e-ticket they sell again.
	resaleCreated := eventing.TicketCreated{ID: "t2", Title: "Concert", Price: 20, UserID: "u2", CreatedAt: at, FaceValue: 20.5, ResaleOf: "c1"}
	resaleUpdated := eventing.TicketUpdated{ID: "t2", Version: 1, Title: "Concert", Price: 20, UserID: "u2", Status: "withdrawn", FaceValue: 20.5, ResaleOf: "c1"}
	resold := eventing.OrderCompleted{ID: "o2", Version: 1, UserID: "u3", BuyerEmail: "u3@example.com", SellerID: "u2",
		Ticket: eventing.OrderCompletedTicket{ID: "t2", Title: "Concert", Price: 20, Reservation: 1, ResaleOf: "c1"}}
	resoldRevoked := eventing.ETicketRevoked{Code: "c1", OrderID: "o1", Reason: "resold"}
	return []catalogCase{
		{"ticket created", func() (event.Event, error) { return eventing.NewTicketCreated(ticketCreated) },
			eventing.TypeTicketCreated, "/functions/tickets", "t1", 0, decodeAs[eventing.TicketCreated](), ticketCreated},
		{"ticket updated", func() (event.Event, error) { return eventing.NewTicketUpdated(ticketUpdated) },
			eventing.TypeTicketUpdated, "/functions/tickets", "t1", 3, decodeAs[eventing.TicketUpdated](), ticketUpdated},
		{"order created", func() (event.Event, error) { return eventing.NewOrderCreated(orderCreated) },
			eventing.TypeOrderCreated, "/functions/orders", "o1", 0, decodeAs[eventing.OrderCreated](), orderCreated},
		{"order cancelled", func() (event.Event, error) { return eventing.NewOrderCancelled(orderCancelled) },
			eventing.TypeOrderCancelled, "/functions/orders", "o1", 1, decodeAs[eventing.OrderCancelled](), orderCancelled},
		{"order completed", func() (event.Event, error) { return eventing.NewOrderCompleted(orderCompleted) },
			eventing.TypeOrderCompleted, "/functions/orders", "o1", 1, decodeAs[eventing.OrderCompleted](), orderCompleted},
		{"expiration completed", func() (event.Event, error) { return eventing.NewExpirationCompleted(expiration) },
			eventing.TypeExpirationCompleted, "/functions/expiration", "o1", -1, decodeAs[eventing.ExpirationCompleted](), expiration},
		{"payment created", func() (event.Event, error) { return eventing.NewPaymentCreated(paymentCreated) },
			eventing.TypePaymentCreated, "/functions/payments", "p1", -1, decodeAs[eventing.PaymentCreated](), paymentCreated},
		{"payment refunded", func() (event.Event, error) { return eventing.NewPaymentRefunded(paymentRefunded) },
			eventing.TypePaymentRefunded, "/functions/payments", "p1", -1, decodeAs[eventing.PaymentRefunded](), paymentRefunded},
		{"user registered", func() (event.Event, error) { return eventing.NewUserRegistered(registered) },
			eventing.TypeUserRegistered, "/functions/auth", "u2", -1, decodeAs[eventing.UserRegistered](), registered},
		{"user banned", func() (event.Event, error) { return eventing.NewUserBanned(userBanned) },
			eventing.TypeUserBanned, "/functions/auth", "u3", -1, decodeAs[eventing.UserBanned](), userBanned},
		{"user banned for good", func() (event.Event, error) { return eventing.NewUserBanned(bannedForGood) },
			eventing.TypeUserBanned, "/functions/auth", "u3", -1, decodeAs[eventing.UserBanned](), bannedForGood},
		{"user unbanned", func() (event.Event, error) { return eventing.NewUserUnbanned(unbanned) },
			eventing.TypeUserUnbanned, "/functions/auth", "u3", -1, decodeAs[eventing.UserUnbanned](), unbanned},
		{"eticket issued", func() (event.Event, error) { return eventing.NewETicketIssued(issued) },
			eventing.TypeETicketIssued, "/functions/etickets", "o1", -1, decodeAs[eventing.ETicketIssued](), issued},
		{"eticket checked in", func() (event.Event, error) { return eventing.NewETicketCheckedIn(checkedIn) },
			eventing.TypeETicketCheckedIn, "/functions/etickets", "o1", -1, decodeAs[eventing.ETicketCheckedIn](), checkedIn},
		{"eticket revoked", func() (event.Event, error) { return eventing.NewETicketRevoked(revoked) },
			eventing.TypeETicketRevoked, "/functions/etickets", "o1", -1, decodeAs[eventing.ETicketRevoked](), revoked},
		{"payout released", func() (event.Event, error) { return eventing.NewPayoutReleased(released) },
			eventing.TypePayoutReleased, "/functions/payouts", "po1", -1, decodeAs[eventing.PayoutReleased](), released},
		{"resale ticket created", func() (event.Event, error) { return eventing.NewTicketCreated(resaleCreated) },
			eventing.TypeTicketCreated, "/functions/tickets", "t2", 0, decodeAs[eventing.TicketCreated](), resaleCreated},
		{"resale ticket updated", func() (event.Event, error) { return eventing.NewTicketUpdated(resaleUpdated) },
			eventing.TypeTicketUpdated, "/functions/tickets", "t2", 1, decodeAs[eventing.TicketUpdated](), resaleUpdated},
		{"resale order completed", func() (event.Event, error) { return eventing.NewOrderCompleted(resold) },
			eventing.TypeOrderCompleted, "/functions/orders", "o2", 1, decodeAs[eventing.OrderCompleted](), resold},
		{"eticket revoked as resold", func() (event.Event, error) { return eventing.NewETicketRevoked(resoldRevoked) },
			eventing.TypeETicketRevoked, "/functions/etickets", "o1", -1, decodeAs[eventing.ETicketRevoked](), resoldRevoked},
	}
}

// overHTTP sends ev in binary mode through a real HTTP server and returns
// what a receiver decodes, and whether it came in binary mode.
func overHTTP(t *testing.T, ev event.Event) (event.Event, bool) {
	t.Helper()
	var got *event.Event
	var binary bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		binary = r.Header.Get("Ce-Id") != ""
		var err error
		if got, err = binding.ToEvent(r.Context(), cehttp.NewMessageFromHttpRequest(r)); err != nil {
			t.Errorf("the receiver cannot decode the event: %v", err)
			w.WriteHeader(http.StatusBadRequest)
		}
	}))
	defer srv.Close()
	resp, err := srv.Client().Do(eventingtest.NewRequest(t, srv.URL, ev))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got == nil {
		t.Fatal("nothing received")
	}
	return *got, binary
}

func TestEveryEventReachesAReceiverAsItsContractSays(t *testing.T) {
	t.Parallel()
	for _, tc := range catalog() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sent, err := tc.new()
			if err != nil {
				t.Fatal(err)
			}
			ev, binary := overHTTP(t, sent)
			if !binary {
				t.Error("not sent in binary mode")
			}
			for attr, got := range map[string][2]string{
				"specversion":     {ev.SpecVersion(), "1.0"},
				"type":            {ev.Type(), tc.typ},
				"source":          {ev.Source(), tc.source},
				"subject":         {ev.Subject(), tc.subject},
				"datacontenttype": {ev.DataContentType(), "application/json"},
				"id":              {ev.ID(), sent.ID()},
			} {
				if got[0] != got[1] {
					t.Errorf("%s = %q, want %q", attr, got[0], got[1])
				}
			}
			if !store.ValidID(ev.ID()) {
				t.Errorf("id %q cannot key an outbox document", ev.ID())
			}
			if ev.Time().IsZero() {
				t.Error("no time")
			}
			version, err := eventing.EntityVersion(ev)
			switch {
			case tc.version < 0 && err == nil:
				t.Errorf("an event about an unversioned entity carries entityversion %d", version)
			case tc.version >= 0 && (err != nil || version != tc.version):
				t.Errorf("EntityVersion = %d, %v; want %d", version, err, tc.version)
			}
			got, err := tc.decode(ev)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("data = %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestEveryEventHasItsOwnID(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, tc := range catalog() {
		for range 2 {
			ev, err := tc.new()
			if err != nil {
				t.Fatal(err)
			}
			if seen[ev.ID()] {
				t.Errorf("%s: id %s used twice", tc.name, ev.ID())
			}
			seen[ev.ID()] = true
		}
	}
}

func TestConstructorRefusesDataThatIsNoJSON(t *testing.T) {
	t.Parallel()
	_, err := eventing.NewTicketUpdated(eventing.TicketUpdated{ID: "t1", Price: nan()})
	if err == nil {
		t.Error("NewTicketUpdated accepted a price of NaN")
	}
}

func nan() float64 {
	zero := 0.0
	return zero / zero
}

func TestDecodeRefusesDataOfAnotherShape(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		contentType string
		data        []byte
	}{
		{"no data", "", nil},
		{"not JSON", "text/plain", []byte("hello")},
		{"broken JSON", event.ApplicationJSON, []byte(`{"id":`)},
		{"wrong field type", event.ApplicationJSON, []byte(`{"id":"t1","version":"one"}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ev := event.New()
			ev.SetDataContentType(tt.contentType)
			ev.DataEncoded = tt.data
			var p eventing.TicketUpdated
			if err := eventing.Decode(ev, &p); !errors.Is(err, eventing.ErrUndecodable) {
				t.Errorf("Decode = %v, want ErrUndecodable", err)
			}
		})
	}
}

func TestACodeTypedWithSpacesHyphensOrLowerCaseIsTheCodeEventsCarry(t *testing.T) {
	for _, tc := range []struct{ typed, want string }{
		{"ABCD2345", "ABCD2345"},
		{"abcd-2345", "ABCD2345"},
		{" ab cd\t23-45\r\n", "ABCD2345"},
		{"ÄBC", "ÄBC"},
	} {
		if got := eventing.CanonicalCode(tc.typed); got != tc.want {
			t.Errorf("CanonicalCode(%q) = %q, want %q", tc.typed, got, tc.want)
		}
	}
}
