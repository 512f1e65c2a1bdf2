package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
	"github.com/buytickets/buytickets/shared/testenv"
)

func TestMain(m *testing.M) { testenv.MainOr(m, main) }

func TestAMissingSettingStopsTheStartWithOneLine(t *testing.T) {
	t.Parallel()
	key := "JWT_KEY=" + strings.Repeat("k", 32)
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"no settings", nil, "orders: config: missing required settings K_SINK, JWT_KEY, GOOGLE_CLOUD_PROJECT\n"},
		{"no sink", []string{"GOOGLE_CLOUD_PROJECT=p", key}, "orders: config: missing required setting K_SINK\n"},
		{"short JWT key", []string{"GOOGLE_CLOUD_PROJECT=p", "K_SINK=http://broker", "JWT_KEY=too-short-to-sign"},
			"orders: config: JWT_KEY must be at least 32 bytes\n"},
		{"bad window", []string{"GOOGLE_CLOUD_PROJECT=p", "K_SINK=http://broker", key, "ORDER_EXPIRATION_WINDOW=soon"},
			"orders: config: invalid ORDER_EXPIRATION_WINDOW: must be a duration such as 15m or 1h30m\n"},
		{"negative window", []string{"GOOGLE_CLOUD_PROJECT=p", "K_SINK=http://broker", key, "ORDER_EXPIRATION_WINDOW=-1m"},
			"orders: config: ORDER_EXPIRATION_WINDOW must not be negative\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			testenv.CommandFails(t, tc.want, tc.env...)
		})
	}
}

// broker records the events the function sends to K_SINK.
type broker struct{ *eventingtest.Broker }

func (b broker) has(typ, subject string) bool {
	for _, ev := range b.Events() {
		if ev.Type() == typ && ev.Subject() == subject {
			return true
		}
	}
	return false
}

func TestServesOnFirestoreAndRelaysUntilCancelled(t *testing.T) {
	host := testenv.FirestoreEmulator(t)
	b := broker{eventingtest.NewBroker(t)}
	key := strings.Repeat("k", 32)
	t.Setenv("JWT_KEY", key)
	t.Setenv("K_SINK", b.URL)
	t.Setenv("ORDER_EXPIRATION_WINDOW", "2m")
	t.Setenv("GOOGLE_CLOUD_PROJECT", testenv.UniqueID("orders-main"))
	t.Setenv("FIRESTORE_DATABASE", "orders")
	t.Setenv("FIRESTORE_EMULATOR_HOST", host)
	t.Setenv("LOG_LEVEL", "error")

	started := time.Now()
	cmd := testenv.ServeCommand(t, realMain)
	base := cmd.URL

	// A ticket reaches the replica as the broker delivers it.
	ev, err := eventing.NewTicketCreated(eventing.TicketCreated{ID: "t1", Title: "Concert", Price: 20, UserID: "seller", CreatedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if code := send(t, eventingtest.NewRequest(t, base+"/events", ev)); code != http.StatusOK {
		t.Fatalf("ticket.created: %d, want 200", code)
	}

	// A buyer signed in by auth (same JWT_KEY) orders it.
	tokens, err := sharedauth.NewTokens(sharedauth.TokenConfig{Key: []byte(key)})
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := tokens.Issue("buyer", "buyer@example.com")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/api/orders", strings.NewReader(`{"ticketId":"t1"}`))
	req.Header.Set("Content-Type", "application/json")
	req.AddCookie(&http.Cookie{Name: sharedauth.SessionCookie, Value: token})
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var o struct {
		ID        string    `json:"id"`
		CreatedAt time.Time `json:"createdAt"`
		ExpiresAt time.Time `json:"expiresAt"`
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("order: %d %s, want 201", res.StatusCode, body)
	}
	if err := json.Unmarshal(body, &o); err != nil || o.ExpiresAt.Sub(o.CreatedAt) != 2*time.Minute {
		t.Errorf("order %s: %v; want it to expire after ORDER_EXPIRATION_WINDOW", body, err)
	}
	for !b.has(eventing.TypeOrderCreated, o.ID) {
		if time.Since(started) > time.Minute {
			t.Fatal("order.created never reached K_SINK")
		}
		time.Sleep(20 * time.Millisecond)
	}

	cmd.Stop()
}

// send sends req and returns the status.
func send(tb testing.TB, req *http.Request) int {
	tb.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}
