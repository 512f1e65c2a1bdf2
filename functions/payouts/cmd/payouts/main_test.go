package main

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/shared/auth/authtest"
	"github.com/buytickets/buytickets/shared/testenv"
)

func TestMain(m *testing.M) { testenv.MainOr(m, main) }

func TestAMissingSettingStopsTheStartWithOneLine(t *testing.T) {
	t.Parallel()
	required := testenv.Settings{
		"K_SINK=http://broker", "JWT_KEY=" + testenv.JWTKey, "STRIPE_KEY=sk_test_x", "STRIPE_CONNECT_WEBHOOK_SECRET=whsec_x",
		"EVENTS_ISSUER=https://issuer.example", "EVENTS_AUDIENCE=buytickets/payouts", "GOOGLE_CLOUD_PROJECT=p",
	}
	testenv.CommandFailsEach(t, required.Refusals("payouts", map[string]string{
		"JWT_KEY=too-short-to-sign":    "config: JWT_KEY must be at least 32 bytes",
		"STRIPE_KEY=pk_test_x":         "config: STRIPE_KEY must be a secret key (sk_ or rk_)",
		"PLATFORM_FEE_PERCENT=101":     "config: PLATFORM_FEE_PERCENT must be a whole number from 0 to 100",
		"PAYOUT_DELAY=-1h":             "config: PAYOUT_DELAY must not be negative",
		"PUBLIC_URL=ftp://example.com": "config: PUBLIC_URL must be an http(s) URL",
	}))
}

func TestServesOnFirestoreAndOwesTheSellerWhatABrokerDelivers(t *testing.T) {
	b := eventingtest.NewBroker(t)
	t.Setenv("JWT_KEY", testenv.JWTKey)
	t.Setenv("STRIPE_KEY", testenv.StripeMockKey)
	t.Setenv("STRIPE_API_BASE", testenv.StripeMock(t))
	t.Setenv("STRIPE_CONNECT_WEBHOOK_SECRET", "whsec_test")
	t.Setenv("K_SINK", b.URL)
	issuer := eventingtest.ClusterEnv(t, "payouts")
	testenv.SetFirestoreEnv(t, "payouts")

	cmd := testenv.ServeCommand(t, realMain)

	order := "0123456789abcdef01234567"
	seller := "seller-" + order
	ev := eventingtest.Event(t, eventing.NewOrderCompleted, eventing.OrderCompleted{
		ID: order, Version: 1, UserID: "buyer", BuyerEmail: "buyer@example.com", SellerID: seller,
		Ticket: eventing.OrderCompletedTicket{ID: "t1", Title: "Concert", Price: 20, Reservation: 1},
	})
	eventingtest.Receiver{TB: t, URL: cmd.URL, Function: "payouts", Issuer: issuer}.MustDeliver(ev)

	req, err := http.NewRequest(http.MethodGet, cmd.URL+"/api/payouts", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(authtest.SessionCookie(t, authtest.NewTokens(t, testenv.JWTKey, time.Now), seller))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var owed []struct {
		OrderID, Status, Reason string
		Amount, Fee             int64
	}
	if err := json.NewDecoder(resp.Body).Decode(&owed); err != nil || len(owed) != 1 || owed[0].OrderID != order ||
		owed[0].Status != "pending" || owed[0].Amount != 1800 || owed[0].Fee != 200 || owed[0].Reason != "awaiting_onboarding" {
		t.Errorf("GET /api/payouts: %s %+v %v; want the seller's one pending payout of 1800, awaiting onboarding", resp.Status, owed, err)
	}
	cmd.Stop()
}
