package web_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/buytickets/buytickets/functions/web"
	"github.com/buytickets/buytickets/shared/logging"
)

// These tests check the web function's own behaviour: how it renders
// what the API answers, which cookies it passes back, when it refreshes
// and what it refuses. The API they run against answers with bodies and
// cookies recorded from the embedded stack's auth, tickets and orders; the
// whole marketplace, in a browser, is tested in cmd/buytickets/stack.

// Recorded answers. Cookie values are made distinctive so the logs can be
// searched for them.
const (
	accessToken  = "access-token-SECRET-1"
	newAccess    = "access-token-SECRET-2"
	refreshToken = "refresh-token-SECRET-1"
	newRefresh   = "refresh-token-SECRET-2"

	userJSON     = `{"currentUser":{"id":"d98cdccb72b00e66b5c5ddb0","email":"bob@example.com","iat":1795725203,"exp":1795726103}}`
	signedOut    = `{"currentUser":null}`
	notAuthBody  = `{"errors":[{"message":"Not authorized"}]}`
	signupBad    = `{"errors":[{"message":"Email must be a valid address","field":"email"},{"message":"Password must be between 8 and 72 characters","field":"password"}]}`
	signupOK     = `{"id":"d98cdccb72b00e66b5c5ddb0","email":"bob@example.com"}`
	ticketsPage  = `[{"id":"0c1b48307f5f9e3575f1e271","title":"T3","price":13.5,"userId":"f35bbc050a75c55289bc74ce","status":"available","version":0,"createdAt":"2026-11-26T20:33:25.099Z"},{"id":"7b1ac9c1ed0b795642dd598f","title":"T2","price":12.5,"userId":"f35bbc050a75c55289bc74ce","status":"available","version":0,"createdAt":"2026-11-26T20:33:25.024Z"}]`
	ticketsLink  = `</api/tickets?limit=20&after=7b1ac9c1ed0b795642dd598f>; rel="next"`
	orderID      = "a22ec358fc6d339761d31998"
	orderJSON    = `{"id":"a22ec358fc6d339761d31998","userId":"d98cdccb72b00e66b5c5ddb0","status":"created","expiresAt":"2026-11-26T20:48:30.368Z","createdAt":"2026-11-26T20:33:30.368Z","ticket":{"id":"0c1b48307f5f9e3575f1e271","title":"T3","price":13.5},"version":0}`
	ordersJSON   = `[` + orderJSON + `]`
	intentJSON   = `{"clientSecret":"pi_3Kx_secret_Yz","publishableKey":"pk_test_51Abc"}`
	hostileTitle = `<script>alert("pwned")</script>`
)

var (
	orderExpiresAt = time.Date(2026, 11, 26, 20, 48, 30, 368_000_000, time.UTC)

	sessionSet      = "session=" + newAccess + "; Path=/; Expires=Thu, 26 Nov 2026 20:48:23 GMT; Max-Age=899; HttpOnly; SameSite=Lax"
	refreshSet      = "refresh=" + newRefresh + "; Path=/; Expires=Thu, 03 Dec 2026 20:33:23 GMT; Max-Age=604800; HttpOnly; SameSite=Lax"
	sessionCleared  = "session=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; SameSite=Lax"
	refreshCleared  = "refresh=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; SameSite=Lax"
	hostileTicket   = `{"id":"0c1b48307f5f9e3575f1e271","title":` + jsonString(hostileTitle) + `,"price":13.5,"userId":"f35bbc050a75c55289bc74ce","status":"available","version":0,"createdAt":"2026-11-26T20:33:25.099Z"}`
	signedInCookies = []*http.Cookie{{Name: "session", Value: accessToken}, {Name: "refresh", Value: refreshToken}}
)

func jsonString(s string) string {
	return `"` + strings.NewReplacer(`"`, `\"`).Replace(s) + `"`
}

// recordedAPI answers as the marketplace's API did, for one account whose
// access token is accessToken (or newAccess once refreshed) and whose
// refresh token refreshToken rotates once, when refreshOK.
type recordedAPI struct {
	refreshOK bool
	// answers are the other recorded answers, by "METHOD /path?query"
	// or, for any query, "METHOD /path".
	answers map[string]answer

	mu    sync.Mutex
	calls []string
	sent  []sentRequest
}

// sentRequest is what the web function sent the API in one call.
type sentRequest struct {
	route string // "METHOD /path"
	query url.Values
	body  string
}

type answer struct {
	status     int
	body       string
	link       string
	setCookies []string
	retryAfter string
}

func (a *recordedAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	route := r.Method + " " + r.URL.Path
	sent, _ := io.ReadAll(r.Body)
	a.mu.Lock()
	a.calls = append(a.calls, route)
	a.sent = append(a.sent, sentRequest{route: route, query: r.URL.Query(), body: string(sent)})
	a.mu.Unlock()
	session, _ := r.Cookie("session")
	refresh, _ := r.Cookie("refresh")
	signedIn := session != nil && (session.Value == accessToken || session.Value == newAccess)

	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	switch {
	case route == "GET /api/users/currentuser" && signedIn:
		io.WriteString(w, userJSON)
	case route == "GET /api/users/currentuser":
		io.WriteString(w, signedOut)
	case route == "POST /api/users/refresh" && a.refreshOK && refresh != nil && refresh.Value == refreshToken:
		w.Header().Add("Set-Cookie", sessionSet)
		w.Header().Add("Set-Cookie", refreshSet)
		io.WriteString(w, signupOK)
	case route == "POST /api/users/refresh":
		w.Header().Add("Set-Cookie", sessionCleared)
		w.Header().Add("Set-Cookie", refreshCleared)
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, notAuthBody)
	case strings.HasPrefix(route, "GET /api/orders") && !signedIn:
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, notAuthBody)
	default:
		ans, ok := a.answers[route+"?"+r.URL.RawQuery]
		if !ok {
			ans, ok = a.answers[route]
		}
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"errors":[{"message":"Not found"}]}`)
			return
		}
		for _, c := range ans.setCookies {
			w.Header().Add("Set-Cookie", c)
		}
		if ans.link != "" {
			w.Header().Set("Link", ans.link)
		}
		if ans.retryAfter != "" {
			w.Header().Set("Retry-After", ans.retryAfter)
		}
		if ans.status != 0 {
			w.WriteHeader(ans.status)
		}
		io.WriteString(w, ans.body)
	}
}

// lastSent is the last request sent to route, failing the test when none
// was.
func (a *recordedAPI) lastSent(t *testing.T, route string) sentRequest {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := len(a.sent) - 1; i >= 0; i-- {
		if a.sent[i].route == route {
			return a.sent[i]
		}
	}
	t.Fatalf("no %s was sent; calls: %q", route, a.calls)
	return sentRequest{}
}

func (a *recordedAPI) made() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.calls)
}

// storefront is the web function in front of a, with the given publishable
// key, its clock at now and its logs in logs (when not nil).
type storefront struct {
	t       *testing.T
	handler http.Handler
	logs    *bytes.Buffer
}

func newStorefront(t *testing.T, a *recordedAPI, stripeKey string, now time.Time) *storefront {
	t.Helper()
	return newStorefrontAt(t, a, web.Config{StripePublishableKey: stripeKey}, now)
}

// newStorefrontWith is the web function with cfg in front of a; cfg's API
// URL is a's.
func newStorefrontWith(t *testing.T, a *recordedAPI, cfg web.Config) *storefront {
	t.Helper()
	return newStorefrontAt(t, a, cfg, time.Time{})
}

func newStorefrontAt(t *testing.T, a *recordedAPI, cfg web.Config, now time.Time) *storefront {
	t.Helper()
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	var logs bytes.Buffer
	deps := web.Deps{HTTPClient: srv.Client(), Logger: logging.New(&logs, "debug")}
	if !now.IsZero() {
		deps.Now = func() time.Time { return now }
	}
	cfg.APIURL = srv.URL
	f, err := web.New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	return &storefront{t: t, handler: f.Handler(), logs: &logs}
}

// get sends a same-origin GET with cookies.
func (s *storefront) get(path string, cookies ...*http.Cookie) *http.Response {
	s.t.Helper()
	return s.send(httptest.NewRequest(http.MethodGet, path, nil), cookies)
}

// post sends a same-origin form post with cookies.
func (s *storefront) post(path string, form url.Values, cookies ...*http.Cookie) *http.Response {
	s.t.Helper()
	r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	return s.send(r, cookies)
}

func (s *storefront) send(r *http.Request, cookies []*http.Cookie) *http.Response {
	for _, c := range cookies {
		r.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	s.handler.ServeHTTP(rec, r)
	return rec.Result()
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mustContain(t *testing.T, page string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
}

func TestSignupShowsTheAPIsErrorsNextToTheirFields(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{answers: map[string]answer{"POST /api/users/signup": {status: 400, body: signupBad}}}
	s := newStorefront(t, a, "", time.Time{})
	resp := s.post("/auth/signup", url.Values{"email": {"bad"}, "password": {"short"}})
	page := body(t, resp)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status = %d, want 400", resp.StatusCode)
	}
	mustContain(t, page,
		`<label for="field-email">Email</label>`,
		`value="bad"`,
		`data-error-for="email">Email must be a valid address</p>`,
		`data-error-for="password">Password must be between 8 and 72 characters</p>`,
		`aria-describedby="field-password-error"`)
	if strings.Contains(page, `value="short"`) {
		t.Errorf("the refused password is shown again")
	}
}

func TestSignupPassesTheAPIsCookiesBackAndGoesHome(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{answers: map[string]answer{"POST /api/users/signup": {
		status: 201, body: signupOK, setCookies: []string{sessionSet, refreshSet}}}}
	s := newStorefront(t, a, "", time.Time{})
	resp := s.post("/auth/signup", url.Values{"email": {"bob@example.com"}, "password": {"correct horse"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("got %d to %q, want 303 to /", resp.StatusCode, resp.Header.Get("Location"))
	}
	got := resp.Header.Values("Set-Cookie")
	if !slices.Contains(got, sessionSet) || !slices.Contains(got, refreshSet) {
		t.Errorf("Set-Cookie = %q, want the API's session and refresh cookies unchanged", got)
	}
}

func TestAnExpiredSessionIsRefreshedAndTheNewCookiesPassedBack(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{refreshOK: true, answers: map[string]answer{"GET /api/orders": {body: ordersJSON}}}
	s := newStorefront(t, a, "", orderExpiresAt.Add(-5*time.Minute))
	resp := s.get("/orders", &http.Cookie{Name: "refresh", Value: refreshToken})
	page := body(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d, want 200:\n%s", resp.StatusCode, page)
	}
	mustContain(t, page, `data-user-email>bob@example.com</span>`, `data-status="awaiting-payment">Awaiting payment`, "$13.50")
	got := resp.Header.Values("Set-Cookie")
	if !slices.Contains(got, sessionSet) || !slices.Contains(got, refreshSet) {
		t.Errorf("Set-Cookie = %q, want the refreshed cookies", got)
	}
	if calls := a.made(); !slices.Equal(calls, []string{"POST /api/users/refresh", "GET /api/users/currentuser", "GET /api/orders"}) {
		t.Errorf("API calls = %q", calls)
	}
}

func TestARefusedRefreshAsksToSignInAndClearsTheCookies(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{refreshOK: false}
	s := newStorefront(t, a, "", time.Time{})
	resp := s.get("/orders", &http.Cookie{Name: "session", Value: "expired"}, &http.Cookie{Name: "refresh", Value: "revoked"})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/auth/signin?next=%2Forders" {
		t.Fatalf("got %d to %q, want 303 to sign in and back", resp.StatusCode, resp.Header.Get("Location"))
	}
	got := resp.Header.Values("Set-Cookie")
	if !slices.Contains(got, sessionCleared) || !slices.Contains(got, refreshCleared) {
		t.Errorf("Set-Cookie = %q, want both cookies cleared", got)
	}
	page := body(t, s.get("/auth/signin?next=%2Forders"))
	mustContain(t, page, "Sign in to continue.", `<input type="hidden" name="next" value="/orders">`)
}

func TestLogsNeverCarryCookies(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{refreshOK: true, answers: map[string]answer{"GET /api/orders": {body: ordersJSON}}}
	s := newStorefront(t, a, "", time.Time{})
	s.get("/orders", &http.Cookie{Name: "session", Value: "expired-" + accessToken}, &http.Cookie{Name: "refresh", Value: refreshToken})
	s.post("/auth/signup", url.Values{"email": {"bob@example.com"}, "password": {"correct horse"}}, signedInCookies...)
	if s.logs.Len() == 0 {
		t.Fatal("nothing was logged")
	}
	for _, secret := range []string{accessToken, newAccess, refreshToken, newRefresh, "correct horse"} {
		if strings.Contains(s.logs.String(), secret) {
			t.Errorf("the logs carry %q:\n%s", secret, s.logs)
		}
	}
}

func TestACrossSiteFormIsRefusedBeforeTheAPIIsCalled(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{}
	s := newStorefront(t, a, "", time.Time{})
	for _, headers := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site"},
		{"Sec-Fetch-Site": "same-site"},
		{"Origin": "https://evil.example"},
	} {
		r := httptest.NewRequest(http.MethodPost, "/tickets/new", strings.NewReader("title=Forged&price=1"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range headers {
			r.Header.Set(k, v)
		}
		resp := s.send(r, signedInCookies)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%v: status = %d, want 403", headers, resp.StatusCode)
		}
		mustContain(t, body(t, resp), "<h1>Form refused</h1>")
	}
	if slices.Contains(a.made(), "POST /api/tickets") {
		t.Errorf("a refused form reached the API: %q", a.made())
	}
}

func TestTextFromTheAPIIsEscaped(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{answers: map[string]answer{"GET /api/tickets/0c1b48307f5f9e3575f1e271": {body: hostileTicket}}}
	s := newStorefront(t, a, "", time.Time{})
	page := body(t, s.get("/tickets/0c1b48307f5f9e3575f1e271"))
	if strings.Contains(page, hostileTitle) {
		t.Fatalf("the title was not escaped:\n%s", page)
	}
	mustContain(t, page, `&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;`, `<title>&lt;script&gt;`)
}

func TestHomeListsTicketsAndLinksTheNextPageWithTheAPIsCursor(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{answers: map[string]answer{"GET /api/tickets": {body: ticketsPage, link: ticketsLink}}}
	s := newStorefront(t, a, "", time.Time{})
	page := body(t, s.get("/"))
	mustContain(t, page,
		`<a href="/tickets/0c1b48307f5f9e3575f1e271">T3</a>`, `<span class="price">$13.50</span>`,
		`<a href="/tickets/7b1ac9c1ed0b795642dd598f">T2</a>`, `<span class="price">$12.50</span>`,
		`<a href="/?after=7b1ac9c1ed0b795642dd598f" rel="next">Next page</a>`,
		`<a href="/auth/signup">Sign up</a>`)
	if strings.Index(page, "T3") > strings.Index(page, "T2") {
		t.Errorf("tickets are not in the API's order, newest first")
	}

	a.answers["GET /api/tickets"] = answer{body: `[]`}
	mustContain(t, body(t, s.get("/")), "No tickets for sale yet.")
}

func TestOrderPageCountsDownFromTheServersClock(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{answers: map[string]answer{"GET /api/orders/" + orderID: {body: orderJSON}}}
	s := newStorefront(t, a, "", orderExpiresAt.Add(-10*time.Minute-30*time.Second))
	page := body(t, s.get("/orders/"+orderID, signedInCookies...))
	mustContain(t, page,
		`<time data-countdown data-seconds-left="630" datetime="2026-11-26T20:48:30Z">10:30</time>`,
		`<script src="/static/countdown.js" defer></script>`,
		`<form method="post" action="/orders/`+orderID+`/pay"`,
		`value="tok_visa" checked`,
		`<form method="post" action="/orders/`+orderID+`/cancel"`)
	if strings.Contains(page, "js.stripe.com") {
		t.Errorf("the test-card page loads Stripe.js")
	}
}

func TestOrderPastItsExpiryShowsExpiredAndCannotBePaid(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{answers: map[string]answer{"GET /api/orders/" + orderID: {body: orderJSON}}}
	s := newStorefront(t, a, "", orderExpiresAt.Add(time.Second))
	page := body(t, s.get("/orders/"+orderID, signedInCookies...))
	mustContain(t, page, `data-status="expired">Expired</span>`)
	for _, gone := range []string{"data-countdown", orderID + "/pay", orderID + "/cancel", "countdown.js"} {
		if strings.Contains(page, gone) {
			t.Errorf("an expired order's page still has %q", gone)
		}
	}
}

func TestOrderPageWithAPublishableKeyMountsThePaymentElement(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{answers: map[string]answer{
		"GET /api/orders/" + orderID: {body: orderJSON},
		"POST /api/payments/intents": {status: 201, body: intentJSON},
	}}
	s := newStorefront(t, a, "pk_test_51Abc", orderExpiresAt.Add(-time.Minute))
	page := body(t, s.get("/orders/"+orderID, signedInCookies...))
	mustContain(t, page,
		`<script src="https://js.stripe.com/v3/" defer></script>`,
		`<script src="/static/payment.js" defer></script>`,
		`<div id="payment-element" data-publishable-key="pk_test_51Abc" data-client-secret="pi_3Kx_secret_Yz"`)
	if strings.Contains(page, "tok_visa") {
		t.Errorf("the Payment Element page offers test cards")
	}
}

func TestOrderPageWaitsForPaymentsToLearnOfANewOrder(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{answers: map[string]answer{
		"GET /api/orders/" + orderID: {body: orderJSON},
		"POST /api/payments/intents": {status: 404, body: `{"errors":[{"message":"Order not found"}]}`},
	}}
	s := newStorefront(t, a, "pk_test_51Abc", orderExpiresAt.Add(-time.Minute))
	page := body(t, s.get("/orders/"+orderID, signedInCookies...))
	mustContain(t, page, `<meta http-equiv="refresh" content="1">`, `data-preparing>Getting the payment ready…</p>`)
	if strings.Contains(page, `id="payment-element"`) || strings.Contains(page, "unavailable") {
		t.Errorf("a page waiting for payments shows the Payment Element or an outage:\n%s", page)
	}
}

func TestASignedOutVisitorIsSentToSignInAndBack(t *testing.T) {
	t.Parallel()
	s := newStorefront(t, &recordedAPI{}, "", time.Time{})
	for _, path := range []string{"/orders", "/listings", "/tickets/new", "/orders/" + orderID, "/etickets", "/etickets/" + eticketCode, "/checkin"} {
		resp := s.get(path)
		if want := "/auth/signin?next=" + url.QueryEscape(path); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
			t.Errorf("GET %s: %d to %q, want 303 to %s", path, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}
}

func TestAssetsAndUnknownPaths(t *testing.T) {
	t.Parallel()
	s := newStorefront(t, &recordedAPI{}, "", time.Time{})
	tests := []struct {
		path, status, contentType string
	}{
		{"/static/style.css", "200", "text/css; charset=utf-8"},
		{"/static/countdown.js", "200", "text/javascript; charset=utf-8"},
		{"/static/payment.js", "200", "text/javascript; charset=utf-8"},
		{"/static/eticket.js", "200", "text/javascript; charset=utf-8"},
		{"/static/scan.js", "200", "text/javascript; charset=utf-8"},
		{"/static/zone.js", "200", "text/javascript; charset=utf-8"},
		{"/static/", "404", ""},
		{"/static/missing.css", "404", ""},
		{"/no/such/page", "404", "text/html; charset=utf-8"},
		{"/tickets/not%2Fan-id", "404", "text/html; charset=utf-8"},
		{"/api/nothing", "404", "application/json; charset=utf-8"},
	}
	for _, tc := range tests {
		resp := s.get(tc.path)
		if got := resp.Status[:3]; got != tc.status {
			t.Errorf("GET %s = %s, want %s", tc.path, got, tc.status)
		}
		if tc.contentType != "" && resp.Header.Get("Content-Type") != tc.contentType {
			t.Errorf("GET %s Content-Type = %q, want %q", tc.path, resp.Header.Get("Content-Type"), tc.contentType)
		}
	}
	resp := s.get("/")
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self' https://js.stripe.com") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("a page may be cached: Cache-Control = %q", resp.Header.Get("Cache-Control"))
	}
}

func TestNewRefusesAnAPIURLItCannotCall(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", "buytickets.dev", "ftp://buytickets.dev"} {
		if _, err := web.New(web.Config{APIURL: bad}, web.Deps{Logger: slog.New(slog.DiscardHandler)}); err == nil {
			t.Errorf("New with API_URL %q succeeded", bad)
		}
	}
}
