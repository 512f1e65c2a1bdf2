package auth_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/buytickets/buytickets/shared/auth"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/logging"
)

// whoami answers the signed-in user's id, or "signed out".
var whoami = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if u, ok := auth.FromContext(r.Context()); ok {
		w.Write([]byte(u.ID))
		return
	}
	w.Write([]byte("signed out"))
})

// serve sends a GET with the session cookie set to token (none when empty)
// through Middleware and then h.
func serve(tb testing.TB, v auth.Verifier, h http.Handler, token string, logs *bytes.Buffer) *httptest.ResponseRecorder {
	tb.Helper()
	req := httptest.NewRequest(http.MethodGet, "/api/thing", nil)
	if token != "" {
		req.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: token})
	}
	if logs != nil {
		req = req.WithContext(logging.WithLogger(req.Context(), logging.New(logs, "debug")))
	}
	rec := httptest.NewRecorder()
	auth.Middleware(v)(h).ServeHTTP(rec, req)
	return rec
}

func TestMiddlewareSignsInAValidSession(t *testing.T) {
	t.Parallel()
	rec := serve(t, newTokens(t, t0), whoami, issue(t, t0), nil)
	if rec.Code != http.StatusOK || rec.Body.String() != "user-1" {
		t.Errorf("got %d %q, want 200 user-1", rec.Code, rec.Body)
	}
}

func TestMiddlewareTreatsForgedSessionsAsSignedOut(t *testing.T) {
	t.Parallel()
	eachForged(t, func(t *testing.T, tokens *auth.Tokens, token string) {
		var logs bytes.Buffer
		rec := serve(t, tokens, whoami, token, &logs)
		if rec.Code != http.StatusOK || rec.Body.String() != "signed out" {
			t.Errorf("got %d %q, want 200 signed out", rec.Code, rec.Body)
		}
		if token == "" {
			return
		}
		if !strings.Contains(logs.String(), "session rejected") {
			t.Errorf("the rejection was not logged: %q", logs.String())
		}
		if strings.Contains(logs.String(), token) {
			t.Errorf("the token was logged: %s", logs.String())
		}
	})
}

func TestRequireUserRefusesForgedSessionsWith401(t *testing.T) {
	t.Parallel()
	eachForged(t, func(t *testing.T, tokens *auth.Tokens, token string) {
		rec := serve(t, tokens, auth.RequireUser(whoami), token, nil)
		checkNotAuthorized(t, rec)
	})
}

func TestRequireUserPassesASignedInRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  func() *http.Request
		h    http.Handler
	}{
		{"through the middleware", func() *http.Request {
			req := httptest.NewRequest(http.MethodGet, "/api/thing", nil)
			req.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: issue(t, t0)})
			return req
		}, auth.Middleware(newTokens(t, t0))(auth.RequireUser(whoami))},
		{"with WithUser", func() *http.Request {
			req := httptest.NewRequest(http.MethodGet, "/api/thing", nil)
			return req.WithContext(auth.WithUser(req.Context(), auth.User{ID: "user-1"}))
		}, auth.RequireUser(whoami)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			tc.h.ServeHTTP(rec, tc.req())
			if rec.Code != http.StatusOK || rec.Body.String() != "user-1" {
				t.Errorf("got %d %q, want 200 user-1", rec.Code, rec.Body)
			}
		})
	}
}

func TestRequireUserRefusesARequestWithoutSession(t *testing.T) {
	t.Parallel()
	rec := serve(t, newTokens(t, t0), auth.RequireUser(whoami), "", nil)
	checkNotAuthorized(t, rec)
}

func TestFromContextIsSignedOutByDefault(t *testing.T) {
	t.Parallel()
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	if u, ok := auth.FromContext(req.Context()); ok {
		t.Errorf("FromContext on a bare context = %+v, true", u)
	}
}

func checkNotAuthorized(tb testing.TB, rec *httptest.ResponseRecorder) {
	tb.Helper()
	if rec.Code != http.StatusUnauthorized {
		tb.Errorf("status = %d, want 401", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		tb.Errorf("Content-Type = %q, want JSON", ct)
	}
	var body httpx.ErrorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		tb.Fatalf("body %q: %v", rec.Body, err)
	}
	if len(body.Errors) != 1 || body.Errors[0] != (httpx.ErrorItem{Message: "Not authorized"}) {
		tb.Errorf("body = %s, want one \"Not authorized\" error", rec.Body)
	}
}

func TestSignedInAndMutationGuardTheirHandlers(t *testing.T) {
	t.Parallel()
	v := newTokens(t, t0)
	valid := issue(t, t0)
	tests := []struct {
		name   string
		wrap   func(auth.Verifier) func(http.Handler) http.Handler
		method string
		token  string
		site   string // Sec-Fetch-Site
		want   int
	}{
		{"signed in", auth.SignedIn, http.MethodGet, valid, "", http.StatusOK},
		{"signed out", auth.SignedIn, http.MethodGet, "", "", http.StatusUnauthorized},
		{"forged", auth.SignedIn, http.MethodGet, "forged.token.value", "", http.StatusUnauthorized},
		{"a mutation, same origin", auth.Mutation, http.MethodPost, valid, "same-origin", http.StatusOK},
		{"a mutation, signed out", auth.Mutation, http.MethodPost, "", "same-origin", http.StatusUnauthorized},
		{"a mutation, cross-site", auth.Mutation, http.MethodPost, valid, "cross-site", http.StatusForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(tc.method, "/api/thing", nil)
			if tc.token != "" {
				req.AddCookie(&http.Cookie{Name: auth.SessionCookie, Value: tc.token})
			}
			if tc.site != "" {
				req.Header.Set("Sec-Fetch-Site", tc.site)
			}
			rec := httptest.NewRecorder()
			tc.wrap(v)(whoami).ServeHTTP(rec, req)
			if rec.Code != tc.want {
				t.Errorf("answered %d %s, want %d", rec.Code, rec.Body, tc.want)
			}
			if tc.want == http.StatusOK && rec.Body.String() != "user-1" {
				t.Errorf("the handler saw %q, want user-1 signed in", rec.Body)
			}
		})
	}
}

// An admin's route passes an admin's session and answers everyone else
// 401, a signed-in user who is no admin included.
func TestRequireAdminPassesOnlyAnAdmin(t *testing.T) {
	t.Parallel()
	tokens := newTokens(t, t0)
	admin, _, err := tokens.IssueAs("admin-1", "admin@example.com", auth.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	user, _, err := tokens.Issue("user-1", "a@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if rec := serve(t, tokens, auth.RequireAdmin(whoami), admin, nil); rec.Code != http.StatusOK || rec.Body.String() != "admin-1" {
		t.Errorf("an admin: %d %q, want 200 admin-1", rec.Code, rec.Body)
	}
	for name, token := range map[string]string{"a user": user, "signed out": ""} {
		t.Run(name, func(t *testing.T) {
			checkNotAuthorized(t, serve(t, tokens, auth.RequireAdmin(whoami), token, nil))
		})
	}
}
