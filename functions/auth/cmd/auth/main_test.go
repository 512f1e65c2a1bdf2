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
	"github.com/buytickets/buytickets/shared/testenv"
)

func TestMain(m *testing.M) { testenv.MainOr(m, main) }

func TestAMissingSettingStopsTheStartWithOneLine(t *testing.T) {
	t.Parallel()
	required := eventingtest.CommandSettings("auth", "K_SINK=http://broker", "JWT_KEY="+testenv.JWTKey)
	starts := required.Refusals("auth", map[string]string{
		"JWT_KEY=too-short-to-sign":       "config: JWT_KEY must be at least 32 bytes",
		"COOKIE_INSECURE=maybe":           "config: invalid COOKIE_INSECURE: must be true or false",
		"RATE_LIMITS=sometimes":           "config: RATE_LIMITS must be on or off",
		"ADMIN_EMAILS=root@example.com,x": `config: ADMIN_EMAILS holds "x", which is not an email address`,
	})
	// The sink is checked once the function is built, after the settings
	// and the store (which the emulator's address keeps off the network).
	testenv.CommandFailsEach(t, append(starts, testenv.FailedStart{
		Name: "sink not a URL", Env: required.With("K_SINK=broker", "FIRESTORE_EMULATOR_HOST=127.0.0.1:1"),
		Stderr: `auth: auth.New: outbox.New: sink "broker" is not an http(s) URL` + "\n",
	}))
}

func TestServesOnFirestoreAndRelaysToTheSinkUntilCancelled(t *testing.T) {
	b := eventingtest.NewBroker(t)
	t.Setenv("JWT_KEY", testenv.JWTKey)
	t.Setenv("K_SINK", b.URL)
	eventingtest.ClusterEnv(t, "auth")
	testenv.SetFirestoreEnv(t, "auth")

	cmd := testenv.ServeCommand(t, realMain)
	base := cmd.URL

	// One sign-up at the production cost, into Firestore.
	res, err := http.Post(base+"/api/users/signup", "application/json",
		strings.NewReader(`{"email":"bob@example.com","password":"correct horse"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var created struct{ ID, Email string }
	if err := json.NewDecoder(res.Body).Decode(&created); res.StatusCode != http.StatusCreated || err != nil {
		t.Fatalf("signup: %d, %v; want 201", res.StatusCode, err)
	}
	for _, c := range res.Cookies() {
		if !c.Secure {
			t.Errorf("cookie %s is not Secure without COOKIE_INSECURE", c.Name)
		}
	}
	// The broker takes it only with auth's own token (EVENTS_TOKEN_FILE).
	ev := b.Wait(t, time.Minute, "user.registered", func(ev event.Event) bool {
		return ev.Type() == eventing.TypeUserRegistered && ev.Subject() == created.ID
	})
	if got := eventingtest.Decode[eventing.UserRegistered](t, ev); got != (eventing.UserRegistered{ID: created.ID, Email: "bob@example.com"}) {
		t.Errorf("user.registered carries %+v, want %s bob@example.com", got, created.ID)
	}

	cmd.Stop()
}
