package main

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/shared/auth/authtest"
	"github.com/buytickets/buytickets/shared/testenv"
)

func TestMain(m *testing.M) { testenv.MainOr(m, main) }

// signingKey is an Ed25519 seed in base64, as ETICKET_SIGNING_KEY holds it.
const signingKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

func TestAMissingSettingStopsTheStartWithOneLine(t *testing.T) {
	t.Parallel()
	required := eventingtest.CommandSettings("etickets",
		"K_SINK=http://broker", "JWT_KEY="+testenv.JWTKey, "ETICKET_SIGNING_KEY="+signingKey)
	testenv.CommandFailsEach(t, required.Refusals("etickets", map[string]string{
		"JWT_KEY=too-short-to-sign":         "config: JWT_KEY must be at least 32 bytes",
		"ETICKET_SIGNING_KEY=c2hvcnQ=":      "config: ETICKET_SIGNING_KEY must be a 32-byte Ed25519 seed in base64",
		"ETICKET_SIGNING_KEY=not base64 !!": "config: ETICKET_SIGNING_KEY must be a 32-byte Ed25519 seed in base64",
	}))
}

func TestServesOnFirestoreAndIssuesWhatABrokerDelivers(t *testing.T) {
	b := eventingtest.NewBroker(t)
	started := time.Now()
	cmd, receiver := eventingtest.ServeCommand(t, "etickets", realMain,
		"JWT_KEY="+testenv.JWTKey, "ETICKET_SIGNING_KEY="+signingKey, "K_SINK="+b.URL)

	order := "0123456789abcdef01234567"
	ev := eventingtest.Event(t, eventing.NewOrderCompleted, eventing.OrderCompleted{
		ID: order, Version: 1, UserID: "buyer", BuyerEmail: "buyer@example.com", SellerID: "seller",
		Ticket: eventing.OrderCompletedTicket{ID: "t1", Title: "Concert", Price: 20, Reservation: 1},
	})
	receiver.MustDeliver(ev)

	req, err := http.NewRequest(http.MethodGet, cmd.URL+"/api/etickets", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(authtest.SessionCookie(t, authtest.NewTokens(t, testenv.JWTKey, time.Now), "buyer"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var held []struct{ OrderID, Status string }
	if err := json.NewDecoder(resp.Body).Decode(&held); err != nil || len(held) != 1 || held[0].OrderID != order || held[0].Status != "valid" {
		t.Errorf("GET /api/etickets: %s %+v %v; want the buyer's one valid e-ticket", resp.Status, held, err)
	}
	b.Wait(t, time.Until(started.Add(time.Minute)), "eticket.issued", func(ev event.Event) bool {
		return ev.Type() == eventing.TypeETicketIssued
	})

	cmd.Stop()
}
