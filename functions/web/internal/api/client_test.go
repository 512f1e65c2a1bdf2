package api_test

import (
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/buytickets/buytickets/functions/web/internal/api"
)

// Answers recorded from the embedded stack: auth's, tickets' and orders'
// real bodies and cookies.
const (
	recordedUser       = `{"currentUser":{"id":"f35bbc050a75c55289bc74ce","email":"ada@example.com","iat":1795725203,"exp":1795726103}}`
	recordedSignedOut  = `{"currentUser":null}`
	recordedRefreshed  = `{"id":"f35bbc050a75c55289bc74ce","email":"ada@example.com"}`
	recordedNotAuth    = `{"errors":[{"message":"Not authorized"}]}`
	recordedOrders     = `[{"id":"a22ec358fc6d339761d31998","userId":"d98cdccb72b00e66b5c5ddb0","status":"created","expiresAt":"2026-11-26T20:48:30.368Z","createdAt":"2026-11-26T20:33:30.368Z","ticket":{"id":"0c1b48307f5f9e3575f1e271","title":"T3","price":13.5},"version":0}]`
	recordedSignupBad  = `{"errors":[{"message":"Email must be a valid address","field":"email"},{"message":"Password must be between 8 and 72 characters","field":"password"}]}`
	newSessionCookie   = `session=new-access; Path=/; Expires=Thu, 26 Nov 2026 20:48:23 GMT; Max-Age=899; HttpOnly; SameSite=Lax`
	newRefreshCookie   = `refresh=r2; Path=/; Expires=Thu, 03 Dec 2026 20:33:23 GMT; Max-Age=604800; HttpOnly; SameSite=Lax`
	clearSessionCookie = `session=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; SameSite=Lax`
	clearRefreshCookie = `refresh=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; SameSite=Lax`
)

// auth answers as the auth, tickets and orders functions do for one
// account: an access token "valid-access" or "new-access" is signed in,
// and the refresh token "r1" rotates once to "r2" (when refreshOK).
type recordedAPI struct {
	refreshOK bool

	mu    sync.Mutex
	calls []string // "METHOD path session=… refresh=…"
}

func (a *recordedAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	session, _ := r.Cookie("session")
	refresh, _ := r.Cookie("refresh")
	call := r.Method + " " + r.URL.Path
	for _, c := range []*http.Cookie{session, refresh} {
		if c != nil {
			call += " " + c.Name + "=" + c.Value
		}
	}
	a.mu.Lock()
	a.calls = append(a.calls, call)
	a.mu.Unlock()

	signedIn := session != nil && (session.Value == "valid-access" || session.Value == "new-access")
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	switch r.Method + " " + r.URL.Path {
	case "GET /api/users/currentuser":
		if signedIn {
			w.Write([]byte(recordedUser))
			return
		}
		w.Write([]byte(recordedSignedOut))
	case "POST /api/users/refresh":
		if a.refreshOK && refresh != nil && refresh.Value == "r1" {
			w.Header().Add("Set-Cookie", newSessionCookie)
			w.Header().Add("Set-Cookie", newRefreshCookie)
			w.Write([]byte(recordedRefreshed))
			return
		}
		w.Header().Add("Set-Cookie", clearSessionCookie)
		w.Header().Add("Set-Cookie", clearRefreshCookie)
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(recordedNotAuth))
	case "GET /api/orders":
		if !signedIn {
			w.WriteHeader(http.StatusUnauthorized)
			w.Write([]byte(recordedNotAuth))
			return
		}
		w.Write([]byte(recordedOrders))
	case "POST /api/users/signup":
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(recordedSignupBad))
	default:
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`{"errors":[{"message":"Not found"}]}`))
	}
}

func (a *recordedAPI) made() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.calls)
}

// browserRequest is a request from a browser holding cookies.
func browserRequest(cookies ...*http.Cookie) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/orders", nil)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	return r
}

func newClient(t *testing.T, a *recordedAPI) *api.Client {
	t.Helper()
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	c, err := api.New(srv.URL, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestAnExpiredAccessTokenIsRefreshedAndTheCallRetried(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{refreshOK: true}
	c := newClient(t, a)
	s := api.NewSession(browserRequest(&http.Cookie{Name: "session", Value: "expired"}, &http.Cookie{Name: "refresh", Value: "r1"}), "req-1")

	orders, err := c.Orders(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	if len(orders) != 1 || orders[0].Ticket.Price != 1350 {
		t.Errorf("orders = %+v", orders)
	}
	want := []string{
		"GET /api/orders session=expired refresh=r1",
		"POST /api/users/refresh session=expired refresh=r1",
		"GET /api/orders session=new-access refresh=r2",
	}
	if got := a.made(); !reflect.DeepEqual(got, want) {
		t.Errorf("calls = %q, want %q", got, want)
	}
	if got := s.SetCookies(); !reflect.DeepEqual(got, []string{newSessionCookie, newRefreshCookie}) {
		t.Errorf("cookies to pass back = %q", got)
	}
}

func TestADroppedAccessTokenIsRefreshedBeforeTheCall(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{refreshOK: true}
	c := newClient(t, a)
	s := api.NewSession(browserRequest(&http.Cookie{Name: "refresh", Value: "r1"}), "")

	u, err := c.CurrentUser(t.Context(), s)
	if err != nil || u == nil || u.Email != "ada@example.com" {
		t.Fatalf("CurrentUser = %+v, %v", u, err)
	}
	want := []string{
		"POST /api/users/refresh refresh=r1",
		"GET /api/users/currentuser session=new-access refresh=r2",
	}
	if got := a.made(); !reflect.DeepEqual(got, want) {
		t.Errorf("calls = %q, want %q", got, want)
	}
}

func TestCurrentUserRefreshesATokenTheAPINoLongerAccepts(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{refreshOK: true}
	c := newClient(t, a)
	s := api.NewSession(browserRequest(&http.Cookie{Name: "session", Value: "signed-with-old-key"}, &http.Cookie{Name: "refresh", Value: "r1"}), "")

	u, err := c.CurrentUser(t.Context(), s)
	if err != nil || u == nil {
		t.Fatalf("CurrentUser = %+v, %v; want the user after a refresh", u, err)
	}
	if got := len(a.made()); got != 3 {
		t.Errorf("calls = %q, want currentuser, refresh, currentuser", a.made())
	}
}

func TestARefusedRefreshIsNotAuthorizedAndClearsTheCookies(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{refreshOK: false}
	c := newClient(t, a)
	s := api.NewSession(browserRequest(&http.Cookie{Name: "session", Value: "expired"}, &http.Cookie{Name: "refresh", Value: "revoked"}), "")

	_, err := c.Orders(t.Context(), s)
	if api.StatusOf(err) != http.StatusUnauthorized {
		t.Fatalf("Orders err = %v, want a 401", err)
	}
	if got := len(a.made()); got != 2 {
		t.Errorf("calls = %q, want the call and one refresh", a.made())
	}
	if got := s.SetCookies(); !reflect.DeepEqual(got, []string{clearSessionCookie, clearRefreshCookie}) {
		t.Errorf("cookies to pass back = %q, want both cleared", got)
	}
	if !s.SignedOut() {
		t.Errorf("the session still holds cookies after they were cleared")
	}
}

func TestASignedOutVisitorCostsNoCall(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{}
	c := newClient(t, a)
	u, err := c.CurrentUser(t.Context(), api.NewSession(browserRequest(), ""))
	if u != nil || err != nil {
		t.Errorf("CurrentUser = %+v, %v; want signed out", u, err)
	}
	if calls := a.made(); len(calls) != 0 {
		t.Errorf("calls = %q, want none", calls)
	}
}

func TestInputErrorsComeBackByField(t *testing.T) {
	t.Parallel()
	c := newClient(t, &recordedAPI{})
	_, err := c.SignUp(t.Context(), api.NewSession(browserRequest(), ""), "bad", "short")
	var e *api.Error
	if !errors.As(err, &e) || e.Status != http.StatusBadRequest {
		t.Fatalf("SignUp err = %v, want a 400", err)
	}
	want := map[string]string{
		"email":    "Email must be a valid address",
		"password": "Password must be between 8 and 72 characters",
	}
	if got := e.Fields(); !reflect.DeepEqual(got, want) {
		t.Errorf("Fields = %v, want %v", got, want)
	}
	if got := e.Messages(); len(got) != 0 {
		t.Errorf("Messages = %q, want none", got)
	}
}

func TestNewRefusesAClientThatKeepsCookies(t *testing.T) {
	t.Parallel()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.New("http://127.0.0.1:8080", &http.Client{Jar: jar}); err == nil {
		t.Error("New accepted a client with a cookie jar, which would mix users' cookies")
	}
	for _, bad := range []string{"", "127.0.0.1:8080", "ftp://example.com", "http://"} {
		if _, err := api.New(bad, nil); err == nil || !strings.Contains(err.Error(), "URL") {
			t.Errorf("New(%q) err = %v, want a bad URL", bad, err)
		}
	}
}

func TestASessionUnderTheHTTPSNamesIsASession(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name              string
		cookies           []*http.Cookie
		access, signedOut bool
	}{
		{"the seed's names", []*http.Cookie{{Name: "session", Value: "a"}, {Name: "refresh", Value: "r"}}, true, false},
		{"the __Host- names", []*http.Cookie{{Name: "__Host-session", Value: "a"}, {Name: "__Host-refresh", Value: "r"}}, true, false},
		{"a __Host- refresh token alone", []*http.Cookie{{Name: "__Host-refresh", Value: "r"}}, false, false},
		{"no session", []*http.Cookie{{Name: "theme", Value: "dark"}}, false, true},
	} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		for _, c := range tc.cookies {
			req.AddCookie(c)
		}
		s := api.NewSession(req, "")
		if s.HasAccess() != tc.access || s.SignedOut() != tc.signedOut {
			t.Errorf("%s: HasAccess %v, SignedOut %v; want %v, %v", tc.name, s.HasAccess(), s.SignedOut(), tc.access, tc.signedOut)
		}
	}
}
