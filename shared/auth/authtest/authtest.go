// Package authtest signs test requests in as a user, with the session
// cookie the auth function would set, so that the tests of a function
// behind auth.Middleware need no auth function.
package authtest

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/buytickets/buytickets/shared/auth"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
)

// NewTokens returns the Tokens a function configured with JWT key verifies,
// on the clock now, failing tb when key is refused.
func NewTokens(tb testing.TB, key string, now func() time.Time) *auth.Tokens {
	tb.Helper()
	tokens, err := auth.NewTokens(auth.TokenConfig{Key: []byte(key), Now: now})
	if err != nil {
		tb.Fatal(err)
	}
	return tokens
}

// SessionCookie returns the session cookie of userID, holding a token
// tokens issue now for userID with the email userID@example.com.
func SessionCookie(tb testing.TB, tokens *auth.Tokens, userID string) *http.Cookie {
	tb.Helper()
	token, _, err := tokens.Issue(userID, userID+"@example.com")
	if err != nil {
		tb.Fatal(err)
	}
	return &http.Cookie{Name: auth.SessionCookie, Value: token}
}

// SignIn adds to req a session cookie of userID issued now (SessionCookie)
// and returns req. Signing each request in afresh keeps a test's clock from
// outliving the session.
func SignIn(tb testing.TB, tokens *auth.Tokens, userID string, req *http.Request) *http.Request {
	tb.Helper()
	req.AddCookie(SessionCookie(tb, tokens, userID))
	return req
}

// PostJSON posts body, declared as application/json, to url over the
// network, signed in as userID with a session that a function configured
// with JWT key key accepts, as a browser signed in by auth would; it
// returns the answer read whole, and the test fails when url cannot be
// reached. Tests of a function's command use it.
func PostJSON(tb testing.TB, key, userID, url, body string) httpxtest.Response {
	tb.Helper()
	req := httpxtest.NewJSONPost(tb, url, body)
	return httpxtest.Do(tb, SignIn(tb, NewTokens(tb, key, nil), userID, req))
}

// User is someone signed in to a function's Handler, in this process,
// with a session issued afresh for every request (SignIn) by Tokens, so
// that a test's clock never outlives it; with ID "" it is someone signed
// out, whose requests carry no session. A test's fixture embeds it.
type User struct {
	TB      testing.TB
	Handler http.Handler
	Tokens  *auth.Tokens
	ID      string
}

// Do signs req in as the user, unless signed out, and returns the
// handler's answer.
func (u User) Do(req *http.Request) httpxtest.Response {
	u.TB.Helper()
	if u.ID != "" {
		SignIn(u.TB, u.Tokens, u.ID, req)
	}
	return httpxtest.Serve(u.Handler, req)
}

// Post posts body to path as JSON (httpxtest.NewJSONRequest).
func (u User) Post(path, body string) httpxtest.Response {
	u.TB.Helper()
	return u.Do(httpxtest.NewJSONRequest(http.MethodPost, path, body))
}

// Get gets path.
func (u User) Get(path string) httpxtest.Response {
	u.TB.Helper()
	return u.Do(httptest.NewRequest(http.MethodGet, path, nil))
}

// Delete deletes path.
func (u User) Delete(path string) httpxtest.Response {
	u.TB.Helper()
	return u.Do(httptest.NewRequest(http.MethodDelete, path, nil))
}
