package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/cloudevents/sdk-go/v2/binding"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	"github.com/buytickets/buytickets/eventing"
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
		{"no settings", nil, "tickets: config: missing required settings JWT_KEY, K_SINK, GOOGLE_CLOUD_PROJECT\n"},
		{"no sink", []string{"GOOGLE_CLOUD_PROJECT=p", key}, "tickets: config: missing required setting K_SINK\n"},
		{"short JWT key", []string{"GOOGLE_CLOUD_PROJECT=p", "K_SINK=http://broker", "JWT_KEY=too-short-to-verify"},
			"tickets: config: JWT_KEY must be at least 32 bytes\n"},
		{"sink not a URL", []string{"GOOGLE_CLOUD_PROJECT=p", "K_SINK=broker", key, "FIRESTORE_EMULATOR_HOST=127.0.0.1:1"},
			`tickets: tickets.New: outbox.New: sink "broker" is not an http(s) URL` + "\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			testenv.CommandFails(t, tc.want, tc.env...)
		})
	}
}

// broker stands in for the broker's ingress and keeps the types it took.
type broker struct {
	mu    sync.Mutex
	types []string
}

func (b *broker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ev, err := binding.ToEvent(r.Context(), cehttp.NewMessageFromHttpRequest(r))
	if err != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	b.mu.Lock()
	b.types = append(b.types, ev.Type()+" "+ev.Subject())
	b.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

func (b *broker) took(want string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, got := range b.types {
		if got == want {
			return true
		}
	}
	return false
}

func TestServesOnFirestoreAndRelaysToTheSinkUntilCancelled(t *testing.T) {
	host := testenv.FirestoreEmulator(t)
	b := &broker{}
	sink := httptest.NewServer(b)
	defer sink.Close()
	key := strings.Repeat("k", 32)
	t.Setenv("JWT_KEY", key)
	t.Setenv("K_SINK", sink.URL)
	t.Setenv("GOOGLE_CLOUD_PROJECT", testenv.UniqueID("tickets-main"))
	t.Setenv("FIRESTORE_DATABASE", "tickets")
	t.Setenv("FIRESTORE_EMULATOR_HOST", host)
	t.Setenv("LOG_LEVEL", "error")

	cmd := testenv.ServeCommand(t, realMain)
	base := cmd.URL

	tokens, err := sharedauth.NewTokens(sharedauth.TokenConfig{Key: []byte(key)})
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := tokens.Issue("seller", "seller@example.com")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/api/tickets", strings.NewReader(`{"title":"Concert","price":19.99}`))
	req.Header.Set("Content-Type", "application/json")
	req.AddCookie(&http.Cookie{Name: sharedauth.SessionCookie, Value: token})
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var created struct{ ID string }
	err = json.NewDecoder(res.Body).Decode(&created)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated || err != nil {
		t.Fatalf("create: %d, %v; want 201", res.StatusCode, err)
	}
	cmd.WaitUntil("ticket.created relayed", func() bool { return b.took(eventing.TypeTicketCreated + " " + created.ID) })

	cmd.Stop()
}
