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
	required := eventingtest.CommandSettings("orders", "K_SINK=http://broker", "JWT_KEY="+testenv.JWTKey)
	testenv.CommandFailsEach(t, required.Refusals("orders", map[string]string{
		"JWT_KEY=too-short-to-sign":    "config: JWT_KEY must be at least 32 bytes",
		"ORDER_EXPIRATION_WINDOW=soon": "config: invalid ORDER_EXPIRATION_WINDOW: must be a duration such as 15m or 1h30m",
		"ORDER_EXPIRATION_WINDOW=-1m":  "config: ORDER_EXPIRATION_WINDOW must not be negative",
	}))
}

func TestServesOnFirestoreAndRelaysUntilCancelled(t *testing.T) {
	b := eventingtest.NewBroker(t)
	started := time.Now()
	cmd, receiver := eventingtest.ServeCommand(t, "orders", realMain,
		"JWT_KEY="+testenv.JWTKey, "K_SINK="+b.URL, "ORDER_EXPIRATION_WINDOW=2m")
	base := cmd.URL

	// A ticket reaches the replica as the broker delivers it.
	ev := eventingtest.Event(t, eventing.NewTicketCreated, eventing.TicketCreated{ID: "t1", Title: "Concert", Price: 20, UserID: "seller", CreatedAt: time.Now()})
	receiver.MustDeliver(ev)

	// A buyer signed in by auth (same JWT_KEY) orders it.
	res := authtest.PostJSON(t, testenv.JWTKey, "buyer", base+"/api/orders", `{"ticketId":"t1"}`)
	var o struct {
		ID        string    `json:"id"`
		CreatedAt time.Time `json:"createdAt"`
		ExpiresAt time.Time `json:"expiresAt"`
	}
	if res.Code != http.StatusCreated {
		t.Fatalf("order: %d %s, want 201", res.Code, res.Body)
	}
	if err := json.Unmarshal(res.Body, &o); err != nil || o.ExpiresAt.Sub(o.CreatedAt) != 2*time.Minute {
		t.Errorf("order %s: %v; want it to expire after ORDER_EXPIRATION_WINDOW", res.Body, err)
	}
	b.Wait(t, time.Until(started.Add(time.Minute)), "order.created", func(ev event.Event) bool {
		return ev.Type() == eventing.TypeOrderCreated && ev.Subject() == o.ID
	})

	cmd.Stop()
}
