package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/shared/auth/authtest"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/testenv"
)

func TestMain(m *testing.M) { testenv.MainOr(m, main) }

func TestAMissingSettingStopsTheStartWithOneLine(t *testing.T) {
	t.Parallel()
	required := eventingtest.CommandSettings("payments", "K_SINK=http://broker", "JWT_KEY="+testenv.JWTKey,
		"STRIPE_KEY=sk_test_x", "STRIPE_PUBLISHABLE_KEY=pk_test_x", "STRIPE_WEBHOOK_SECRET=whsec_x")
	testenv.CommandFailsEach(t, required.Refusals("payments", map[string]string{
		// A publishable key as the secret one, and the other way round.
		"STRIPE_KEY=pk_test_x":             "config: STRIPE_KEY must be a secret key (sk_ or rk_)",
		"STRIPE_PUBLISHABLE_KEY=sk_test_x": "config: STRIPE_PUBLISHABLE_KEY must be a publishable key (pk_)",
		"STRIPE_API_BASE=localhost:12111":  "config: STRIPE_API_BASE must be an http(s) URL",
	}))
}

func TestServesOnFirestoreAndStripeMockUntilCancelled(t *testing.T) {
	stripeMock := testenv.StripeMock(t)
	b := eventingtest.NewBroker(t)
	started := time.Now()
	cmd, receiver := eventingtest.ServeCommand(t, "payments", realMain, "JWT_KEY="+testenv.JWTKey, "K_SINK="+b.URL,
		"STRIPE_KEY="+testenv.StripeMockKey, "STRIPE_PUBLISHABLE_KEY=pk_test_main", "STRIPE_WEBHOOK_SECRET=whsec_main",
		"STRIPE_API_BASE="+stripeMock)
	base := cmd.URL

	// An order reaches the replica as the broker delivers it.
	const orderID = "0123456789abcdef01234567"
	ev := eventingtest.Event(t, eventing.NewOrderCreated, eventing.OrderCreated{
		ID: orderID, Status: "created", UserID: "buyer", ExpiresAt: time.Now().Add(time.Hour),
		Ticket: eventing.OrderCreatedTicket{ID: "t1", Price: 19.99, Reservation: 1},
	})
	receiver.MustDeliver(ev)

	// Its buyer, signed in by auth (same JWT_KEY), pays it.
	res := authtest.PostJSON(t, testenv.JWTKey, "buyer", base+"/api/payments", `{"orderId":"`+orderID+`","token":"tok_visa"}`)
	var p struct{ ID, OrderID, StripeID string }
	if res.Code != http.StatusCreated || json.Unmarshal(res.Body, &p) != nil || p.OrderID != orderID {
		t.Fatalf("payment: %d %s, want 201 for the order", res.Code, res.Body)
	}
	b.Wait(t, time.Until(started.Add(time.Minute)), "payment.created", func(ev event.Event) bool {
		return ev.Type() == eventing.TypePaymentCreated
	})

	// The webhook takes only events signed with STRIPE_WEBHOOK_SECRET.
	req, _ := http.NewRequest(http.MethodPost, base+"/api/payments/webhook", strings.NewReader(`{}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Stripe-Signature", "t=1,v1=00")
	if res := httpxtest.Do(t, req); res.Code != http.StatusBadRequest {
		t.Errorf("unsigned webhook: %d %s, want 400", res.Code, res.Body)
	}

	cmd.Stop()
}
