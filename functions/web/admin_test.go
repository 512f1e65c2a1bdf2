package web_test

import (
	"bytes"
	"encoding/json"
	"io"
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

// Recorded from the embedded stack's auth, for an admin (ADMIN_EMAILS).
const (
	adminToken    = "access-token-ADMIN-1"
	adminUserJSON = `{"currentUser":{"id":"e09ddeec83c11f77c6d6eec1","email":"ada@example.com","role":"admin","iat":1795725203,"exp":1795726103}}`
	accountID     = "d98cdccb72b00e66b5c5ddb0"
	activeAccount = `[{"id":"d98cdccb72b00e66b5c5ddb0","email":"bob@example.com","role":"","banned":false,"createdAt":"2026-11-26T20:33:23.000Z"}]`
	bannedAccount = `[{"id":"d98cdccb72b00e66b5c5ddb0","email":"bob@example.com","role":"","banned":true,"banReason":"Selling fakes","bannedUntil":"2026-12-31T23:59:00.000Z","createdAt":"2026-11-26T20:33:23.000Z"}]`
	banOK         = `{"id":"d98cdccb72b00e66b5c5ddb0","email":"bob@example.com","bannedUntil":"2026-12-31T23:59:00.000Z"}`
	suspendedBody = `{"errors":[{"message":"Account suspended"}]}`
)

var adminCookies = []*http.Cookie{{Name: "session", Value: adminToken}}

// adminAPI is a recorded API that also knows an admin's session: it
// answers currentuser with the admin, passes the admin's other calls to
// the recorded API as a signed-in user's, and keeps the body of each.
type adminAPI struct {
	*recordedAPI

	mu     sync.Mutex
	bodies map[string]string
}

func newAdminAPI(answers map[string]answer) *adminAPI {
	return &adminAPI{recordedAPI: &recordedAPI{answers: answers}, bodies: map[string]string{}}
}

func (a *adminAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	session, _ := r.Cookie("session")
	if session == nil || session.Value != adminToken {
		a.recordedAPI.ServeHTTP(w, r)
		return
	}
	b, _ := io.ReadAll(r.Body)
	a.mu.Lock()
	a.bodies[r.Method+" "+r.URL.Path] = string(b)
	a.mu.Unlock()
	if r.URL.Path == "/api/users/currentuser" {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, adminUserJSON)
		return
	}
	r2 := r.Clone(r.Context())
	r2.Header.Del("Cookie")
	r2.AddCookie(&http.Cookie{Name: "session", Value: accessToken})
	r2.Body = io.NopCloser(strings.NewReader(string(b)))
	a.recordedAPI.ServeHTTP(w, r2)
}

// body returns what the admin sent to "METHOD /path".
func (a *adminAPI) body(route string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.bodies[route]
}

// adminStorefront is the web function in front of a, its clock at now
// (the real one when zero).
func adminStorefront(t *testing.T, a *adminAPI, now time.Time) *storefront {
	t.Helper()
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	var logs bytes.Buffer
	deps := web.Deps{HTTPClient: srv.Client(), Logger: logging.New(&logs, "debug")}
	if !now.IsZero() {
		deps.Now = func() time.Time { return now }
	}
	f, err := web.New(web.Config{APIURL: srv.URL}, deps)
	if err != nil {
		t.Fatal(err)
	}
	return &storefront{t: t, handler: f.Handler(), logs: &logs}
}

func TestOnlyAnAdminSeesTheAdminLinkAndPage(t *testing.T) {
	t.Parallel()
	a := newAdminAPI(map[string]answer{"GET /api/orders": {body: ordersJSON}})
	s := adminStorefront(t, a, time.Time{})

	page := body(t, s.get("/orders", adminCookies...))
	mustContain(t, page, `<a href="/admin" data-admin-link>Admin</a>`)
	resp := s.get("/admin", adminCookies...)
	page = body(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("an admin's /admin: %d\n%s", resp.StatusCode, page)
	}
	mustContain(t, page, `<h1>Admin</h1>`, `<label for="field-email">Email</label>`, `<label for="field-id">Order id</label>`)

	for _, path := range []string{"/admin", "/admin?email=bob%40example.com", "/admin/orders/" + orderID, "/admin/orders?id=" + orderID} {
		resp := s.get(path, signedInCookies...)
		page := body(t, resp)
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(page, "Page not found") || strings.Contains(page, "data-admin-link") {
			t.Errorf("a user's %s: %d, want the page not found without an Admin link:\n%s", path, resp.StatusCode, page)
		}
	}
	resp = s.post("/admin/users/"+accountID+"/ban", url.Values{"reason": {"x"}, "email": {"bob@example.com"}}, signedInCookies...)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("a user's ban: %d, want 404", resp.StatusCode)
	}
	if slices.ContainsFunc(a.made(), func(c string) bool { return strings.Contains(c, "/ban") || strings.HasPrefix(c, "GET /api/users?") }) {
		t.Errorf("a user's visits called the admin API: %q", a.made())
	}
	resp = s.get("/admin")
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/auth/signin?next=%2Fadmin" {
		t.Errorf("signed out, /admin: %d to %q, want to sign in", resp.StatusCode, loc)
	}
}

func TestAnAdminFindsAUserAndSeesTheirStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		answer  answer
		status  int
		wants   []string
		lacking string
	}{
		{"active", answer{body: activeAccount}, http.StatusOK, []string{
			`data-account-status>Active</span>`,
			`<form method="post" action="/admin/users/` + accountID + `/ban"`,
			`<label for="field-reason">Reason</label>`,
			`<input id="field-until" name="until" type="datetime-local" value="" aria-describedby="field-until-hint">`,
		}, "Lift the ban"},
		{"banned", answer{body: bannedAccount}, http.StatusOK, []string{
			`data-account-status>Banned</span>`,
			`<dd data-ban-reason>Selling fakes</dd>`,
			`<time datetime="2026-12-31T23:59:00Z">31 Dec 2026, 23:59:00 UTC</time>`,
			`<form method="post" action="/admin/users/` + accountID + `/unban" data-unban-form>`,
		}, `data-ban-form`},
		{"nobody", answer{body: `[]`}, http.StatusOK, []string{`data-no-account>No account has the email bob@example.com.</p>`}, "data-account-status"},
		{"a malformed email", answer{status: 400, body: `{"errors":[{"message":"Email must be a valid address","field":"email"}]}`},
			http.StatusBadRequest, []string{`data-error-for="email">Email must be a valid address</p>`, `aria-invalid="true"`}, "data-no-account"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := adminStorefront(t, newAdminAPI(map[string]answer{"GET /api/users": tc.answer}), time.Time{})
			resp := s.get("/admin?email=bob%40example.com", adminCookies...)
			page := body(t, resp)
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			mustContain(t, page, append(tc.wants, `value="bob@example.com"`)...)
			if strings.Contains(page, tc.lacking) {
				t.Errorf("page holds %q:\n%s", tc.lacking, page)
			}
		})
	}
}

func TestAnAdminBansWithAReasonAndAnEndInUTC(t *testing.T) {
	t.Parallel()
	a := newAdminAPI(map[string]answer{"POST /api/users/" + accountID + "/ban": {body: banOK}})
	s := adminStorefront(t, a, time.Time{})
	resp := s.post("/admin/users/"+accountID+"/ban", url.Values{
		"reason": {"Selling fakes"}, "until": {"2026-12-31T23:59"}, "email": {"bob@example.com"},
	}, adminCookies...)
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/admin?email=bob%40example.com" {
		t.Fatalf("ban: %d to %q, want 303 to the account", resp.StatusCode, loc)
	}
	var sent map[string]string
	if err := json.Unmarshal([]byte(a.body("POST /api/users/"+accountID+"/ban")), &sent); err != nil ||
		sent["reason"] != "Selling fakes" || sent["until"] != "2026-12-31T23:59:00Z" {
		t.Errorf("sent %v (%v), want the reason and the end as RFC 3339 in UTC", sent, err)
	}
	if !slices.ContainsFunc(resp.Header.Values("Set-Cookie"), func(c string) bool { return strings.HasPrefix(c, "flash=banned;") }) {
		t.Errorf("no flash after the ban: %q", resp.Header.Values("Set-Cookie"))
	}

	resp = s.post("/admin/users/"+accountID+"/ban", url.Values{"reason": {"Spam"}, "email": {"bob@example.com"}}, adminCookies...)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a ban without end: %d", resp.StatusCode)
	}
	if got := a.body("POST /api/users/" + accountID + "/ban"); got != `{"reason":"Spam"}` {
		t.Errorf("a ban without end sent %s, want no until", got)
	}
}

func TestABanRefusedShowsTheErrorsNextToTheirFields(t *testing.T) {
	t.Parallel()
	refused := `{"errors":[{"message":"Reason is required","field":"reason"},{"message":"Until must be in the future","field":"until"}]}`
	a := newAdminAPI(map[string]answer{
		"POST /api/users/" + accountID + "/ban": {status: 400, body: refused},
		"GET /api/users":                        {body: activeAccount},
	})
	s := adminStorefront(t, a, time.Time{})
	resp := s.post("/admin/users/"+accountID+"/ban", url.Values{"reason": {""}, "until": {"2020-01-01T00:00"}, "email": {"bob@example.com"}}, adminCookies...)
	page := body(t, resp)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d, want 400", resp.StatusCode)
	}
	mustContain(t, page,
		`data-error-for="reason">Reason is required</p>`,
		`data-error-for="until">Until must be in the future</p>`,
		`value="2020-01-01T00:00" aria-describedby="field-until-hint field-until-error" aria-invalid="true"`,
		`data-account-status>Active</span>`)

	calls := len(a.made())
	resp = s.post("/admin/users/"+accountID+"/ban", url.Values{"reason": {"Spam"}, "until": {"next week"}, "email": {"bob@example.com"}}, adminCookies...)
	page = body(t, resp)
	mustContain(t, page, `data-error-for="until">Until must be a date and time, such as 2026-12-31T23:59</p>`, `value="Spam"`)
	if made := a.made()[calls:]; slices.ContainsFunc(made, func(c string) bool { return strings.HasSuffix(c, "/ban") }) {
		t.Errorf("an end that is no time was sent: %q", made)
	}
}

func TestAnAdminLiftsABan(t *testing.T) {
	t.Parallel()
	a := newAdminAPI(map[string]answer{
		"DELETE /api/users/" + accountID + "/ban": {body: `{"id":"` + accountID + `","email":"bob@example.com"}`},
	})
	s := adminStorefront(t, a, time.Time{})
	resp := s.post("/admin/users/"+accountID+"/unban", url.Values{"email": {"bob@example.com"}}, adminCookies...)
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/admin?email=bob%40example.com" {
		t.Fatalf("unban: %d to %q", resp.StatusCode, loc)
	}

	a = newAdminAPI(map[string]answer{
		"DELETE /api/users/" + accountID + "/ban": {status: 400, body: `{"errors":[{"message":"User is not banned"}]}`},
		"GET /api/users": {body: bannedAccount},
	})
	s = adminStorefront(t, a, time.Time{})
	resp = s.post("/admin/users/"+accountID+"/unban", url.Values{"email": {"bob@example.com"}}, adminCookies...)
	mustContain(t, body(t, resp), `<div class="errors" role="alert"><p data-form-error>User is not banned</p></div>`)
}

func TestAnAdminOpensAnOrderByItsID(t *testing.T) {
	t.Parallel()
	s := adminStorefront(t, newAdminAPI(nil), time.Time{})
	resp := s.get("/admin/orders?id="+orderID, adminCookies...)
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/admin/orders/"+orderID {
		t.Errorf("open an order: %d to %q", resp.StatusCode, loc)
	}
	resp = s.get("/admin/orders?id=no+such%2Forder", adminCookies...)
	page := body(t, resp)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a malformed id: %d, want 400", resp.StatusCode)
	}
	mustContain(t, page, `data-error-for="id">Order id must be the id of an order`, `value="no such/order"`)
}

// An order's story as the functions told it in the embedded stack: placed,
// paid, then refunded at Stripe, which revoked the e-ticket.
const (
	historyJSON = `[{"at":"2026-11-26T20:33:30.368Z","what":"placed","detail":"T3 at $13.50","traceId":"4bf92f3577b34da6a3ce929d0e0e4736"},` +
		`{"at":"2026-11-26T20:33:30.368Z","what":"reserved","detail":"until 2026-11-26T20:48:30.368Z"},` +
		`{"at":"2026-11-26T20:34:00.900Z","what":"completed"}]`
	paymentsJSON = `[{"id":"p1","stripeId":"ch_3Kx","amount":1350,"currency":"usd","createdAt":"2026-11-26T20:34:00.500Z",` +
		`"refund":{"reason":"refunded_at_stripe","at":"2026-11-27T09:00:00.000Z"}}]`
	orderETicketJSON = `[{"code":"` + eticketCode + `","orderId":"` + orderID + `","ticketId":"0c1b48307f5f9e3575f1e271","title":"T3","status":"revoked",` +
		`"issuedAt":"2026-11-26T20:34:01.120Z","revokedAt":"2026-11-27T09:00:01.000Z","revokeReason":"refunded_at_stripe"}]`
	cancelledHistory = `[{"at":"2026-11-26T20:33:30.368Z","what":"placed","detail":"T3 at $13.50"},` +
		`{"at":"2026-11-26T20:33:30.368Z","what":"reserved","detail":"until 2026-11-26T20:48:30.368Z"},` +
		`{"at":"2026-11-26T20:35:00.000Z","what":"cancelled","detail":"banned"}]`
)

func TestAnOrdersSupportPageTellsItsStoryInTimeOrder(t *testing.T) {
	t.Parallel()
	a := newAdminAPI(map[string]answer{
		"GET /api/orders/" + orderID:              {body: paidOrder},
		"GET /api/orders/" + orderID + "/history": {body: historyJSON},
		"GET /api/payments":                       {body: paymentsJSON},
		"GET /api/etickets":                       {body: orderETicketJSON},
	})
	s := adminStorefront(t, a, time.Time{})
	resp := s.get("/admin/orders/"+orderID, adminCookies...)
	page := body(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d:\n%s", resp.StatusCode, page)
	}
	want := []string{"placed", "reserved", "paid", "completed", "eticket-issued", "refunded", "eticket-revoked"}
	if got := storyOf(page); !slices.Equal(got, want) {
		t.Errorf("story %v, want %v", got, want)
	}
	mustContain(t, page,
		`<h1>Order `+orderID+`</h1>`,
		`<span class="story-detail" data-detail>T3 at $13.50</span>`,
		`Until <time datetime="2026-11-26T20:48:30Z">26 Nov 2026, 20:48:30 UTC</time>`,
		`$13.50 USD, Stripe ch_3Kx`,
		`$13.50 USD. Refunded at Stripe.`,
		`<time datetime="2026-11-27T09:00:01Z">27 Nov 2026, 09:00:01 UTC</time>`,
		`<dd class="id" data-trace>4bf92f3577b34da6a3ce929d0e0e4736</dd>`)
	for _, call := range []string{"GET /api/payments", "GET /api/etickets"} {
		if !slices.Contains(a.made(), call) {
			t.Errorf("%s was not asked: %q", call, a.made())
		}
	}
}

func TestAnOrdersSupportPageSaysWhatItCouldNotRead(t *testing.T) {
	t.Parallel()
	a := newAdminAPI(map[string]answer{
		"GET /api/orders/" + orderID:              {body: orderJSON},
		"GET /api/orders/" + orderID + "/history": {body: cancelledHistory},
		"GET /api/payments":                       {status: 503, body: `{"errors":[{"message":"Service unavailable"}]}`},
		"GET /api/etickets":                       {body: `[]`},
	})
	s := adminStorefront(t, a, time.Time{})
	resp := s.get("/admin/orders/"+orderID, adminCookies...)
	page := body(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d:\n%s", resp.StatusCode, page)
	}
	if got := storyOf(page); !slices.Equal(got, []string{"placed", "reserved", "cancelled"}) {
		t.Errorf("story %v", got)
	}
	mustContain(t, page, `The buyer&#39;s account was banned.`, `Not shown, as it cannot be read just now: payments.`)

	resp = s.get("/admin/orders/"+strings.Repeat("b", 24), adminCookies...)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown order: %d, want 404", resp.StatusCode)
	}
}

// storyOf returns the data-what of each line of a support page's story.
func storyOf(page string) []string {
	var out []string
	for _, part := range strings.Split(page, `<li data-what="`)[1:] {
		what, _, _ := strings.Cut(part, `"`)
		out = append(out, what)
	}
	return out
}

func TestASuspendedUserIsToldSo(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{answers: map[string]answer{"GET /api/orders": {status: 403, body: suspendedBody}}}
	s := newStorefront(t, a, "", time.Time{})
	resp := s.get("/orders", signedInCookies...)
	page := body(t, resp)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("status %d, want 403", resp.StatusCode)
	}
	mustContain(t, page, `<h1>Your account is suspended</h1>`, `An administrator has suspended your account`)
}
