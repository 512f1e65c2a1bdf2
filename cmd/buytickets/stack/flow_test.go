package stack_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/webhook"

	"github.com/buytickets/buytickets/cmd/buytickets/stack"
	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/eventing/identity"
	"github.com/buytickets/buytickets/eventing/receive"
	"github.com/buytickets/buytickets/shared/store"
)

// payment is POST /api/payments' answer.
type payment struct {
	ID       string `json:"id"`
	OrderID  string `json:"orderId"`
	StripeID string `json:"stripeId"`
}

func (u *user) orderStatus(id string) order {
	u.t.Helper()
	var o order
	u.must(http.StatusOK, "GET", "/api/orders/"+id, nil, &o)
	return o
}

func TestUnpaidOrderExpiresAndItsTicketReturns(t *testing.T) {
	t.Parallel()
	s := marketWith(t, stack.Options{ExpirationWindow: 2 * time.Second})
	seller, buyer, tk, o := ordered(t, s, "Matinee", 12)
	eventually(t, "the ticket is reserved", func() bool { return seller.ticket(tk.ID).Status == "reserved" })

	eventually(t, "the unpaid order expires", func() bool { return buyer.orderStatus(o.ID).Status == "cancelled" })
	got := buyer.orderStatus(o.ID)
	if got.CancelReason != "expired" || got.Version != 1 {
		t.Errorf("expired order = %+v, want cancelled (expired) at version 1", got)
	}
	if late := time.Since(o.ExpiresAt); late < 0 {
		t.Errorf("the order was cancelled %v before it expired", -late)
	}
	eventually(t, "the ticket is for sale again", func() bool { return seller.ticket(tk.ID).Status == "available" })
	var listed []ticket
	buyer.must(http.StatusOK, "GET", "/api/tickets", nil, &listed)
	if len(listed) != 1 || listed[0].ID != tk.ID {
		t.Errorf("list after expiry = %+v, want the ticket back", listed)
	}
	seller.must(http.StatusOK, "PUT", "/api/tickets/"+tk.ID, map[string]any{"title": "Matinee", "price": 10}, nil)
	noDeadLetters(t, s)
}

func TestPaidOrderSellsTheTicketForGood(t *testing.T) {
	t.Parallel()
	s := marketWith(t, stack.Options{})
	seller, buyer, tk, o := ordered(t, s, "Final", 19.99)

	var p payment
	eventually(t, "payments knows the order", func() bool {
		status, _ := buyer.do("POST", "/api/payments", map[string]string{"orderId": o.ID, "token": "tok_visa"}, &p)
		return status == http.StatusCreated
	})
	if p.OrderID != o.ID || !strings.HasPrefix(p.StripeID, "ch_") || p.ID == "" {
		t.Errorf("payment = %+v, want a Stripe charge for %s", p, o.ID)
	}
	eventually(t, "the order is paid", func() bool { return buyer.orderStatus(o.ID).Status == "complete" })
	eventually(t, "the ticket is sold", func() bool { return seller.ticket(tk.ID).Status == "sold" })
	raw := buyer.must(http.StatusBadRequest, "POST", "/api/payments", map[string]string{"orderId": o.ID, "token": "tok_visa"}, nil)
	if msg := errorMessage(raw); !strings.Contains(strings.ToLower(msg), "paid") {
		t.Errorf("paying again answered %s", raw)
	}
	if raw := seller.must(http.StatusBadRequest, "PUT", "/api/tickets/"+tk.ID, map[string]any{"title": "Final", "price": 1}, nil); errorMessage(raw) != "Cannot edit a reserved ticket" {
		t.Errorf("editing a sold ticket answered %s", raw)
	}
	var listed []ticket
	buyer.must(http.StatusOK, "GET", "/api/tickets", nil, &listed)
	if len(listed) != 0 {
		t.Errorf("a sold ticket is listed: %+v", listed)
	}
	buyer.must(http.StatusBadRequest, "DELETE", "/api/orders/"+o.ID, nil, nil)

	// A late expiry of the paid order changes nothing.
	late, err := eventing.NewExpirationCompleted(eventing.ExpirationCompleted{OrderID: o.ID})
	if err != nil {
		t.Fatal(err)
	}
	publishTaken(t, s, late, "orders", "the late expiry")
	if got := buyer.orderStatus(o.ID); got.Status != "complete" {
		t.Errorf("a late expiry turned the paid order into %+v", got)
	}
	noDeadLetters(t, s)
}

func TestPayingAfterExpiryIsRefused(t *testing.T) {
	t.Parallel()
	s := marketWith(t, stack.Options{ExpirationWindow: time.Second})
	seller, buyer := signUp(t, s, "seller"), signUp(t, s, "buyer")
	o := buyer.order(seller.sell("Late show", 8).ID)
	payments := functionStore(t, s, "payments")
	eventually(t, "payments knows the order", func() bool {
		var rep struct{}
		return payments.Get(context.Background(), "orders", o.ID, &rep) == nil
	})
	eventually(t, "the window passes", func() bool { return time.Now().After(o.ExpiresAt) })
	buyer.must(http.StatusBadRequest, "POST", "/api/payments", map[string]string{"orderId": o.ID, "token": "tok_visa"}, nil)
	eventually(t, "the order expires", func() bool { return buyer.orderStatus(o.ID).Status == "cancelled" })
	buyer.must(http.StatusBadRequest, "POST", "/api/payments", map[string]string{"orderId": o.ID, "token": "tok_visa"}, nil)
}

func TestPaymentLandingAfterCancellationIsRefunded(t *testing.T) {
	t.Parallel()
	s := marketWith(t, stack.Options{})
	seller, buyer := signUp(t, s, "seller"), signUp(t, s, "buyer")
	o := buyer.order(seller.sell("Recital", 30).ID)
	var intent struct {
		ClientSecret   string `json:"clientSecret"`
		PublishableKey string `json:"publishableKey"`
	}
	eventually(t, "payments knows the order", func() bool {
		status, _ := buyer.do("POST", "/api/payments/intents", map[string]string{"orderId": o.ID}, &intent)
		return status == http.StatusCreated
	})
	if !strings.HasPrefix(intent.PublishableKey, "pk_") || !strings.Contains(intent.ClientSecret, "_secret_") {
		t.Fatalf("intent = %+v", intent)
	}
	buyer.must(http.StatusNoContent, "DELETE", "/api/orders/"+o.ID, nil, nil)
	payments := functionStore(t, s, "payments")
	eventually(t, "payments learns of the cancellation", func() bool {
		var rep struct {
			Status string `store:"status"`
		}
		return payments.Get(context.Background(), "orders", o.ID, &rep) == nil && rep.Status == "cancelled"
	})

	// Stripe reports the PaymentIntent succeeded after all.
	piID, _, _ := strings.Cut(intent.ClientSecret, "_secret_")
	payload, _ := json.Marshal(map[string]any{
		"id": "evt_late_" + o.ID, "object": "event", "api_version": stripe.APIVersion, "created": time.Now().Unix(),
		"type": "payment_intent.succeeded", "livemode": false, "pending_webhooks": 1,
		"data": map[string]any{"object": map[string]any{
			"id": piID, "object": "payment_intent", "amount": 3000, "amount_received": 3000,
			"currency": "usd", "status": "succeeded", "metadata": map[string]string{"orderId": o.ID},
		}},
	})
	postStripeEvent(t, s, payload)

	eventually(t, "payments refunds it and says so", func() bool { return emitted(t, payments, eventing.TypePaymentRefunded, o.ID) })
	if got := buyer.orderStatus(o.ID); got.Status != "cancelled" || got.CancelReason != "buyer" {
		t.Errorf("after a refunded late payment the order is %+v, want still cancelled by the buyer", got)
	}
	noDeadLetters(t, s)
}

// postStripeEvent posts payload to payments' webhook signed with the
// stack's webhook secret, as Stripe does, and fails unless it is taken.
func postStripeEvent(t *testing.T, s *stack.Stack, payload []byte) {
	t.Helper()
	postSigned(t, s, "/api/payments/webhook", "stripe-webhook.secret", payload)
}

// postSigned posts payload to path signed, as Stripe signs its webhooks,
// with the secret the stack keeps in its data folder under secretFile, and
// fails unless it is taken.
func postSigned(t *testing.T, s *stack.Stack, path, secretFile string, payload []byte) {
	t.Helper()
	secret, err := os.ReadFile(filepath.Join(s.DataDir(), secretFile))
	if err != nil {
		t.Fatal(err)
	}
	signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: strings.TrimSpace(string(secret)), Timestamp: time.Now()})
	req, _ := http.NewRequest(http.MethodPost, s.URL()+path, bytes.NewReader(payload))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Stripe-Signature", signed.Header)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s answered %s, want 200", path, resp.Status)
	}
}

// emitted reports whether a function's outbox holds an event of type typ
// whose data names id.
func emitted(t *testing.T, db store.Store, typ, id string) bool {
	t.Helper()
	return outboxHolds(t, db, store.Query{}, typ, id)
}

// unsent reports whether a function's outbox holds an event of type typ
// whose data names id, and that the relay has not sent yet.
func unsent(t *testing.T, db store.Store, typ, id string) bool {
	t.Helper()
	q := store.Query{Filters: []store.Filter{store.Where("pendingAt", store.Le, time.Now())}, OrderBy: "pendingAt"}
	return outboxHolds(t, db, q, typ, id)
}

// outboxHolds reports whether one of the outbox entries q finds is an
// event of type typ whose data names id.
func outboxHolds(t *testing.T, db store.Store, q store.Query, typ, id string) bool {
	t.Helper()
	docs, err := db.Query(context.Background(), "outbox", q)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		raw, _ := d.Fields["event"].(string)
		if strings.Contains(raw, `"type":"`+typ+`"`) && strings.Contains(raw, id) {
			return true
		}
	}
	return false
}

// publish posts ev to the stack's broker, as its producer's outbox would.
func publish(t *testing.T, s *stack.Stack, ev event.Event) {
	t.Helper()
	producer, _ := eventing.ProducerOf(ev.Type())
	if res := eventingtest.Deliver(t, s.BrokerURL(), publisherToken(t, s, producer), ev); res.Status != http.StatusAccepted {
		t.Fatalf("publish %s: %s", ev.Type(), res)
	}
}

// publishTaken publishes ev and waits until function has taken it: its
// store holds the event's receipt (what names the event in the wait).
func publishTaken(t *testing.T, s *stack.Stack, ev event.Event, function, what string) {
	t.Helper()
	publish(t, s, ev)
	db := functionStore(t, s, function)
	eventually(t, function+" has taken "+what, func() bool {
		var receipt struct{}
		return db.Get(context.Background(), receive.Collection, receive.ReceiptID(ev.Source(), ev.ID()), &receipt) == nil
	})
}

// eventKey is the key the stack signs the event plane's tokens with, kept
// in its data folder.
func eventKey(t *testing.T, s *stack.Stack) *identity.Key {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(s.DataDir(), "events.key"))
	if err != nil {
		t.Fatal(err)
	}
	seed, err := base64.RawURLEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	key, err := identity.NewKey(seed)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// publisherToken is the token function's outbox presents to the broker.
func publisherToken(t *testing.T, s *stack.Stack, function string) string {
	t.Helper()
	p := eventingtest.Plane(t)
	token, err := eventKey(t, s).Sign(p.Publisher(function), p.BrokerAudience(), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return token
}
