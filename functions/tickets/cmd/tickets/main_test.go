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
	"github.com/buytickets/buytickets/shared/auth/authtest"
	"github.com/buytickets/buytickets/shared/testenv"
)

func TestMain(m *testing.M) { testenv.MainOr(m, main) }

func TestAMissingSettingStopsTheStartWithOneLine(t *testing.T) {
	t.Parallel()
	key := "JWT_KEY=" + strings.Repeat("k", 32)
	testenv.CommandFailsEach(t, []testenv.FailedStart{
		{Name: "no settings", Stderr: "tickets: config: missing required settings JWT_KEY, K_SINK, GOOGLE_CLOUD_PROJECT\n"},
		{Name: "no sink", Env: []string{"GOOGLE_CLOUD_PROJECT=p", key}, Stderr: "tickets: config: missing required setting K_SINK\n"},
		{Name: "short JWT key", Env: []string{"GOOGLE_CLOUD_PROJECT=p", "K_SINK=http://broker", "JWT_KEY=too-short-to-verify"},
			Stderr: "tickets: config: JWT_KEY must be at least 32 bytes\n"},
		{Name: "sink not a URL", Env: []string{"GOOGLE_CLOUD_PROJECT=p", "K_SINK=broker", key, "FIRESTORE_EMULATOR_HOST=127.0.0.1:1"},
			Stderr: `tickets: tickets.New: outbox.New: sink "broker" is not an http(s) URL` + "\n"},
	})
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
	b := &broker{}
	sink := httptest.NewServer(b)
	defer sink.Close()
	key := strings.Repeat("k", 32)
	t.Setenv("JWT_KEY", key)
	t.Setenv("K_SINK", sink.URL)
	testenv.SetFirestoreEnv(t, "tickets")

	cmd := testenv.ServeCommand(t, realMain)
	base := cmd.URL

	req, _ := http.NewRequest(http.MethodPost, base+"/api/tickets", strings.NewReader(`{"title":"Concert","price":19.99}`))
	req.Header.Set("Content-Type", "application/json")
	authtest.SignIn(t, authtest.NewTokens(t, key, nil), "seller", req)
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
