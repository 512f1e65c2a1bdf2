package authtest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/buytickets/buytickets/shared/auth"
	"github.com/buytickets/buytickets/shared/auth/authtest"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
)

const key = "test-key-0123456789abcdef0123456"

// whoami answers who a request is signed in as, behind the middleware a
// function puts in front of its routes.
func whoami(tokens *auth.Tokens) http.Handler {
	return auth.Middleware(tokens)(auth.RequireUser(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := auth.FromContext(r.Context())
		fmt.Fprintf(w, "%s %s", u.ID, u.Email)
	})))
}

// ask sends req to h and returns the status and body.
func ask(h http.Handler, req *http.Request) (int, string) {
	res := httpxtest.Serve(h, req)
	return res.Code, string(res.Body)
}

func TestSignInSignsTheRequestInAsTheUser(t *testing.T) {
	t.Parallel()
	tokens := authtest.NewTokens(t, key, nil)
	req := authtest.SignIn(t, tokens, "buyer", httptest.NewRequest(http.MethodGet, "/", nil))
	if code, body := ask(whoami(tokens), req); code != http.StatusOK || body != "buyer buyer@example.com" {
		t.Errorf("signed in: %d %q, want 200 buyer buyer@example.com", code, body)
	}
	if code, _ := ask(whoami(tokens), httptest.NewRequest(http.MethodGet, "/", nil)); code != http.StatusUnauthorized {
		t.Errorf("signed out: %d, want 401", code)
	}
}

func TestSessionCookieIsTheOneTheMiddlewareReads(t *testing.T) {
	t.Parallel()
	tokens := authtest.NewTokens(t, key, nil)
	c := authtest.SessionCookie(t, tokens, "seller")
	if c.Name != auth.SessionCookie {
		t.Errorf("cookie %q, want %q", c.Name, auth.SessionCookie)
	}
	u, err := tokens.Verify(c.Value)
	if err != nil || u.ID != "seller" || u.Email != "seller@example.com" {
		t.Errorf("token of %+v, %v; want seller, seller@example.com", u, err)
	}
}

func TestSessionsAreIssuedOnTheGivenClock(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tokens := authtest.NewTokens(t, key, func() time.Time { return now })
	early := authtest.SessionCookie(t, tokens, "buyer")
	now = now.Add(auth.AccessLifetime + time.Minute)
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.AddCookie(early)
	if code, _ := ask(whoami(tokens), req); code != http.StatusUnauthorized {
		t.Errorf("a session issued a lifetime ago: %d, want 401", code)
	}
	req = authtest.SignIn(t, tokens, "buyer", httptest.NewRequest(http.MethodGet, "/", nil))
	if code, body := ask(whoami(tokens), req); code != http.StatusOK {
		t.Errorf("a session issued now: %d %s, want 200", code, body)
	}
}

func TestPostJSONPostsSignedInOverTheNetwork(t *testing.T) {
	t.Parallel()
	tokens := authtest.NewTokens(t, key, nil)
	var method, contentType string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		method, contentType = r.Method, r.Header.Get("Content-Type")
		whoami(tokens).ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	res := authtest.PostJSON(t, key, "buyer", srv.URL+"/", `{}`)
	if res.Code != http.StatusOK || string(res.Body) != "buyer buyer@example.com" {
		t.Errorf("answer %d %q, want 200 buyer buyer@example.com", res.Code, res.Body)
	}
	if method != http.MethodPost || contentType != "application/json" {
		t.Errorf("%s with Content-Type %q, want a POST of application/json", method, contentType)
	}
}

func TestUserSendsEachRequestSignedIn(t *testing.T) {
	t.Parallel()
	var methods []string
	tokens := authtest.NewTokens(t, key, nil)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		methods = append(methods, r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Type"))
		whoami(tokens).ServeHTTP(w, r)
	})
	u := authtest.User{TB: t, Handler: h, Tokens: tokens, ID: "buyer"}
	for _, res := range []httpxtest.Response{u.Post("/p", `{}`), u.Get("/g"), u.Delete("/d")} {
		if res.Code != http.StatusOK || string(res.Body) != "buyer buyer@example.com" {
			t.Errorf("answer %d %q, want 200 buyer buyer@example.com", res.Code, res.Body)
		}
	}
	if want := "[POST /p application/json GET /g  DELETE /d ]"; fmt.Sprint(methods) != want {
		t.Errorf("requests %q, want %q", methods, want)
	}
	signedOut := authtest.User{TB: t, Handler: h, Tokens: tokens}
	if res := signedOut.Get("/g"); res.Code != http.StatusUnauthorized {
		t.Errorf("signed out: %d %s, want 401", res.Code, res.Body)
	}
}
