package auth_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/functions/auth"
	authstore "github.com/buytickets/buytickets/functions/auth/internal/store"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/storetest"
	"github.com/buytickets/buytickets/shared/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// The test settings: a key of the minimum length and a cost that keeps a
// hash around a millisecond.
const (
	testKey  = "test-key-0123456789abcdef0123456"
	testCost = 1 << 10
)

// t0 is when every test starts; whole seconds, so Max-Age is exact.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// waitFor bounds every wait for the outbox's eventual sends.
const waitFor = 15 * time.Second

// fn is one auth function under test, with its store, clock and the broker
// its outbox relays to.
type fn struct {
	tb     testing.TB
	h      http.Handler
	db     store.Store
	clock  *testenv.Clock
	broker *eventingtest.Broker
}

// openSQLite returns an empty SQLite store in a temporary folder.
func openSQLite(tb testing.TB) store.Store { return storetest.OpenTempSQLite(tb, "auth") }

type option func(*auth.Config, *auth.Deps)

func withInsecureCookies(c *auth.Config, _ *auth.Deps) { c.CookieInsecure = true }

// withRateLimits keeps the per-address budget on, as in production.
func withRateLimits(c *auth.Config, _ *auth.Deps) { c.RateLimits = "on" }

func withStore(db store.Store) option {
	return func(_ *auth.Config, d *auth.Deps) { d.Store = db }
}

func withLogs(w io.Writer) option {
	return func(_ *auth.Config, d *auth.Deps) {
		d.Logger = slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
}

// newFn returns the auth function on a fresh SQLite store, unless an option
// gives another, relaying its outbox to a new broker until the test ends,
// with logs discarded unless an option keeps them.
func newFn(tb testing.TB, opts ...option) *fn {
	tb.Helper()
	c := testenv.NewClock(t0)
	b := eventingtest.NewBroker(tb)
	// Tests sign in from one address many times over: the per-address
	// budget is off but where a test turns it on (withRateLimits).
	cfg := auth.Config{JWTKey: testKey, PasswordCost: testCost, RateLimits: "off"}
	deps := auth.Deps{
		Sink:   b.URL,
		Outbox: eventingtest.FastOutbox(),
		Events: eventingtest.Member(tb, "auth"),
		Now:    c.Now,
		Logger: slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		o(&cfg, &deps)
	}
	if deps.Store == nil {
		deps.Store = openSQLite(tb)
	}
	f, err := auth.New(cfg, deps)
	if err != nil {
		tb.Fatal(err)
	}
	testenv.Background(tb, f.Run)
	return &fn{tb: tb, h: f.Handler(), db: deps.Store, clock: c, broker: b}
}

// response is an answer, read whole, with the cookies it sets by name (the
// seed's name, whatever prefix auth gave it).
type response struct {
	httpxtest.Response
	Cookies map[string]*http.Cookie
}

// serve sends one request to the function.
func (f *fn) serve(req *http.Request) response {
	f.tb.Helper()
	res := response{Response: httpxtest.Serve(f.h, req), Cookies: map[string]*http.Cookie{}}
	// An http.Response reads the Set-Cookie lines as a client would.
	// Cookies are kept by the seed's names: over HTTPS (the tests'
	// default) auth writes them with the __Host- prefix, and takes either.
	for _, c := range (&http.Response{Header: res.Header}).Cookies() {
		name := strings.TrimPrefix(c.Name, "__Host-")
		if _, dup := res.Cookies[name]; dup {
			f.tb.Errorf("%s %s set cookie %q twice", req.Method, req.URL.Path, c.Name)
		}
		res.Cookies[name] = c
	}
	return res
}

// browser keeps cookies between requests as a browser would.
type browser struct {
	f   *fn
	jar map[string]*http.Cookie
}

func (f *fn) browser() *browser { return &browser{f: f, jar: map[string]*http.Cookie{}} }

// holding puts the cookie name=value in b's jar, as a browser that kept
// or was handed it holds it, and returns b.
func (b *browser) holding(name, value string) *browser {
	b.jar[name] = &http.Cookie{Name: name, Value: value}
	return b
}

func (b *browser) do(req *http.Request) response {
	b.f.tb.Helper()
	for _, c := range b.jar {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	res := b.f.serve(req)
	for name, c := range res.Cookies {
		if c.MaxAge < 0 {
			delete(b.jar, name)
		} else {
			b.jar[name] = c
		}
	}
	return res
}

func (b *browser) post(path, body string) response {
	b.f.tb.Helper()
	return b.do(httpxtest.NewJSONRequest(http.MethodPost, path, body))
}

// postEmpty is a bodiless POST, as signout and refresh are.
func (b *browser) postEmpty(path string) response {
	b.f.tb.Helper()
	return b.do(httptest.NewRequest(http.MethodPost, path, nil))
}

// mustRefresh refreshes b's session, failing the test unless it is
// refreshed; what names the refresh in the failure.
func (b *browser) mustRefresh(what string) {
	b.f.tb.Helper()
	if res := b.postEmpty("/api/users/refresh"); res.Code != http.StatusOK {
		b.f.tb.Fatalf("%s: %d %s, want 200", what, res.Code, res.Body)
	}
}

func (b *browser) get(path string) response {
	b.f.tb.Helper()
	return b.do(httptest.NewRequest(http.MethodGet, path, nil))
}

func (b *browser) cookie(name string) string {
	if c, ok := b.jar[name]; ok {
		return c.Value
	}
	return ""
}

// signedUp returns a browser in which bob@example.com has just signed up,
// with the password "correct horse": the account most tests start from.
func (f *fn) signedUp() *browser {
	f.tb.Helper()
	b := f.browser()
	b.signup("bob@example.com", "correct horse")
	return b
}

func credentials(email, password string) string {
	b, _ := json.Marshal(map[string]string{"email": email, "password": password})
	return string(b)
}

// signup signs a new account up in b and returns its id.
func (b *browser) signup(email, password string) string {
	b.f.tb.Helper()
	res := b.post("/api/users/signup", credentials(email, password))
	if res.Code != http.StatusCreated {
		b.f.tb.Fatalf("signup %s: %d %s", email, res.Code, res.Body)
	}
	return userOf(b.f.tb, res).ID
}

type userBody struct {
	ID    string `json:"id"`
	Email string `json:"email"`
}

// userOf decodes a {id,email} body, refusing any other field.
func userOf(tb testing.TB, res response) userBody {
	tb.Helper()
	var u userBody
	dec := json.NewDecoder(bytes.NewReader(res.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&u); err != nil || u.ID == "" || u.Email == "" {
		tb.Fatalf("body %s is not {id,email}: %v", res.Body, err)
	}
	return u
}

// currentUser asks who b is signed in as; nil when signed out.
func (b *browser) currentUser() *sharedauth.User {
	b.f.tb.Helper()
	res := b.get("/api/users/currentuser")
	if res.Code != http.StatusOK {
		b.f.tb.Fatalf("currentuser: %d %s", res.Code, res.Body)
	}
	var body struct {
		CurrentUser *sharedauth.User `json:"currentUser"`
	}
	dec := json.NewDecoder(bytes.NewReader(res.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		b.f.tb.Fatalf("currentuser body %s: %v", res.Body, err)
	}
	return body.CurrentUser
}

// errorsOf decodes the error shape (httpxtest.Errors).
func errorsOf(tb testing.TB, res response) []httpx.ErrorItem {
	tb.Helper()
	return httpxtest.Errors(tb, res.Response)
}

// wantError checks a refusal's status and its one error (httpxtest.WantError).
func wantError(tb testing.TB, res response, code int, message, field string) {
	tb.Helper()
	httpxtest.WantError(tb, res.Response, code, message, field)
}

// counts returns how many documents each collection holds.
func (f *fn) counts() map[string]int {
	f.tb.Helper()
	return storetest.Counts(f.tb, f.db, authstore.Collections())
}

// wantNothingStored fails unless the store is empty.
func (f *fn) wantNothingStored() {
	f.tb.Helper()
	if got := f.counts(); len(got) > 0 {
		f.tb.Errorf("store holds %v, want nothing", got)
	}
}

// wantRegistered fails unless the outbox recorded one event per account of
// users and no other, each the user.registered carrying the account's id
// and email, and the broker took each of them once and nothing else.
func (f *fn) wantRegistered(users ...userBody) {
	f.tb.Helper()
	want := map[string]eventing.UserRegistered{}
	for _, u := range users {
		want[u.ID] = eventing.UserRegistered{ID: u.ID, Email: u.Email}
	}
	recorded := eventingtest.Recorded(f.tb, f.db)
	if len(recorded) != len(users) {
		f.tb.Errorf("the outbox recorded %d events, want %d user.registered", len(recorded), len(users))
	}
	for _, ev := range recorded {
		f.wantRegisteredEvent("the outbox recorded", ev, want)
	}
	for _, u := range users {
		f.broker.WaitAbout(f.tb, waitFor, eventing.TypeUserRegistered, u.ID)
	}
	// The relay sends at least once: a round that read an entry pending a
	// moment before another round sent it and let it go may send it again,
	// under its id, which receivers take once.
	taken := f.broker.Events()
	if n := len(eventingtest.Distinct(taken)); n != len(users) {
		f.tb.Errorf("the broker took %d events, want %d user.registered", n, len(users))
	}
	for _, ev := range taken {
		f.wantRegisteredEvent("the broker took", ev, want)
	}
}

// wantRegisteredEvent fails unless ev, which where holds, is auth's
// user.registered of one of want, by user id.
func (f *fn) wantRegisteredEvent(where string, ev event.Event, want map[string]eventing.UserRegistered) {
	f.tb.Helper()
	if ev.Type() != eventing.TypeUserRegistered || ev.Source() != eventing.Source("auth") {
		f.tb.Errorf("%s %s from %s, want user.registered from auth", where, ev.Type(), ev.Source())
		return
	}
	got := eventingtest.Decode[eventing.UserRegistered](f.tb, ev)
	if w, ok := want[ev.Subject()]; !ok || got != w {
		f.tb.Errorf("%s user.registered about %q with %+v; want one of %v", where, ev.Subject(), got, want)
	}
}
