package auth_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/functions/auth"
	authstore "github.com/buytickets/buytickets/functions/auth/internal/store"
	"github.com/buytickets/buytickets/shared/store/storetest"
	"github.com/buytickets/buytickets/shared/testenv"
)

func TestSignupPublishesOneUserRegisteredWithTheIDAndEmail(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	res := f.browser().post("/api/users/signup", credentials(" Bob@Example.com ", "correct horse"))
	if res.Code != http.StatusCreated {
		t.Fatalf("signup: %d %s, want 201", res.Code, res.Body)
	}
	u := userOf(t, res)
	if u.Email != "bob@example.com" {
		t.Fatalf("signup answered %+v, want the email normalised", u)
	}
	f.wantRegistered(u)
}

func TestRefusedSignupPublishesNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, contentType, body string
		code                    int
	}{
		{"email in use", "application/json", credentials("bob@example.com", "another one"), http.StatusBadRequest},
		{"email in use in another case", "application/json", credentials(" BOB@example.COM", "another one"), http.StatusBadRequest},
		{"not an email", "application/json", credentials("alice", "correct horse"), http.StatusBadRequest},
		{"password too short", "application/json", credentials("alice@example.com", "1234567"), http.StatusBadRequest},
		{"unknown field", "application/json", `{"email":"alice@example.com","password":"correct horse","admin":true}`, http.StatusBadRequest},
		{"malformed JSON", "application/json", `{"email":`, http.StatusBadRequest},
		{"not JSON", "text/plain", credentials("alice@example.com", "correct horse"), http.StatusUnsupportedMediaType},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFn(t)
			bob := f.browser().post("/api/users/signup", credentials("bob@example.com", "correct horse"))
			req := httptest.NewRequest(http.MethodPost, "/api/users/signup", strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.contentType)
			if res := f.serve(req); res.Code != tc.code {
				t.Fatalf("signup: %d %s, want %d", res.Code, res.Body, tc.code)
			}
			// Only bob's own sign-up is recorded, so only it is ever sent.
			f.wantRegistered(userOf(t, bob))
		})
	}
}

func TestUserRegisteredWaitsOutABrokerOutage(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	f.broker.Answer(http.StatusServiceUnavailable)
	res := f.browser().post("/api/users/signup", credentials("bob@example.com", "correct horse"))
	if res.Code != http.StatusCreated {
		t.Fatalf("signup while the broker is down: %d %s, want 201: the event waits in the outbox", res.Code, res.Body)
	}
	f.broker.Answer(http.StatusAccepted)
	f.wantRegistered(userOf(t, res))
}

func TestOutboxSweepAnswersOnlyItsPingSource(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	p := eventingtest.Plane(t)
	tests := []struct {
		name  string
		token string
		code  int
	}{
		{"auth's PingSource", eventingtest.SweepToken(t, "auth"), http.StatusOK},
		{"no token", "", http.StatusUnauthorized},
		{"tickets' PingSource", eventingtest.Sign(t, p.SweepSenders("tickets")[0], p.Audience("auth")), http.StatusUnauthorized},
		{"auth's own publishing identity", eventingtest.Sign(t, p.Publisher("auth"), p.Audience("auth")), http.StatusUnauthorized},
		{"auth's PingSource for another audience", eventingtest.Sign(t, p.SweepSenders("auth")[0], p.Audience("tickets")), http.StatusUnauthorized},
	}
	for _, tc := range tests {
		req := eventingtest.SweepRequest(t, "auth")
		req.Header.Del("Authorization")
		if tc.token != "" {
			eventingtest.Authorize(req, tc.token)
		}
		res := f.serve(req)
		if res.Code != tc.code {
			t.Errorf("sweep with %s: %d %s, want %d", tc.name, res.Code, res.Body, tc.code)
		}
		if tc.code == http.StatusOK && !strings.Contains(string(res.Body), `"sent"`) {
			t.Errorf("sweep with %s answered %s, want its counts", tc.name, res.Body)
		}
	}
}

func TestTheSweepDeletesRefreshTokensPastTheirExpiry(t *testing.T) {
	t.Parallel()
	// Sessions started long ago, on a clock of their own: their refresh
	// tokens expired before today's sweep.
	longAgo := testenv.NewClock(time.Now().Add(-30 * 24 * time.Hour))
	f := newFn(t, func(_ *auth.Config, d *auth.Deps) { d.Now = longAgo.Now })
	f.signedUp()
	f.browser().signup("ann@example.com", "correct horse")
	if n := storetest.Count(t, f.db, authstore.RefreshTokens); n != 2 {
		t.Fatalf("%d refresh tokens, want 2", n)
	}
	res := f.serve(eventingtest.SweepRequest(t, "auth"))
	if res.Code != http.StatusOK || !strings.Contains(string(res.Body), `"expired":2`) {
		t.Errorf("sweep answered %d %s, want 2 expired", res.Code, res.Body)
	}
	if n := storetest.Count(t, f.db, authstore.RefreshTokens); n != 0 {
		t.Errorf("%d refresh tokens left, want none", n)
	}
}
