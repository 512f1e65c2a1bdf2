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

func TestAMissingSettingStopsTheStartWithOneLine(t *testing.T) {
	t.Parallel()
	required := eventingtest.CommandSettings("tickets", "K_SINK=http://broker", "JWT_KEY="+testenv.JWTKey)
	starts := required.Refusals("tickets", map[string]string{
		"JWT_KEY=too-short-to-verify": "config: JWT_KEY must be at least 32 bytes",
	})
	// The sink is checked once the function is built, after the settings
	// and the store (which the emulator's address keeps off the network).
	testenv.CommandFailsEach(t, append(starts, testenv.FailedStart{
		Name: "sink not a URL", Env: required.With("K_SINK=broker", "FIRESTORE_EMULATOR_HOST=127.0.0.1:1"),
		Stderr: `tickets: tickets.New: outbox.New: sink "broker" is not an http(s) URL` + "\n",
	}))
}

func TestServesOnFirestoreAndRelaysToTheSinkUntilCancelled(t *testing.T) {
	b := eventingtest.NewBroker(t)
	cmd, _ := eventingtest.ServeCommand(t, "tickets", realMain, "JWT_KEY="+testenv.JWTKey, "K_SINK="+b.URL)
	base := cmd.URL

	res := authtest.PostJSON(t, testenv.JWTKey, "seller", base+"/api/tickets", `{"title":"Concert","price":19.99}`)
	var created struct{ ID string }
	if err := json.Unmarshal(res.Body, &created); res.Code != http.StatusCreated || err != nil {
		t.Fatalf("create: %d, %v; want 201", res.Code, err)
	}
	// The broker takes it only with the token the SinkBinding projects.
	b.Wait(t, time.Minute, "ticket.created", func(ev event.Event) bool {
		return ev.Type() == eventing.TypeTicketCreated && ev.Subject() == created.ID
	})

	cmd.Stop()
}
