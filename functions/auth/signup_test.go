package auth_test

import (
	"fmt"
	"maps"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/buytickets/buytickets/eventing/outbox"
	authstore "github.com/buytickets/buytickets/functions/auth/internal/store"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/store/storetest"
)

// wantSessionCookies checks the session and refresh cookies DESIGN §4 sets.
func wantSessionCookies(t *testing.T, res response, secure bool) {
	t.Helper()
	for name, maxAge := range map[string]int{"session": 15 * 60, "refresh": 7 * 24 * 3600} {
		c, ok := res.Cookies[name]
		if !ok || c.Value == "" {
			t.Errorf("no %s cookie in %v", name, res.Header["Set-Cookie"])
			continue
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure != secure || c.MaxAge != maxAge {
			t.Errorf("%s cookie: HttpOnly=%v SameSite=%v Path=%q Secure=%v Max-Age=%d; want true, Lax, /, %v, %d",
				name, c.HttpOnly, c.SameSite, c.Path, c.Secure, c.MaxAge, secure, maxAge)
		}
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store on an answer that sets a session", cc)
	}
}

func TestSignupCreatesAnAccountAndSignsItIn(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	b := f.browser()
	res := b.post("/api/users/signup", credentials("bob@example.com", "correct horse"))
	if res.Code != http.StatusCreated {
		t.Fatalf("signup: %d %s, want 201", res.Code, res.Body)
	}
	u := userOf(t, res)
	if u.Email != "bob@example.com" {
		t.Errorf("email %q, want bob@example.com", u.Email)
	}
	wantSessionCookies(t, res, true)

	me := b.currentUser()
	if me == nil || me.ID != u.ID || me.Email != u.Email || !me.IssuedAt.Equal(t0) || !me.ExpiresAt.Equal(t0.Add(15*time.Minute)) {
		t.Errorf("currentuser = %+v, want %s signed in at %v for 15 minutes", me, u.ID, t0)
	}
	f.wantOneAccount("the account")
}

func TestCookiesAreSecureUnlessCookieInsecureIsSet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		opts   []option
		secure bool
	}{
		{"production", nil, true},
		{"COOKIE_INSECURE=true", []option{withInsecureCookies}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newFn(t, tc.opts...).browser()
			wantSessionCookies(t, b.post("/api/users/signup", credentials("bob@example.com", "correct horse")), tc.secure)
			wantSessionCookies(t, b.post("/api/users/signin", credentials("bob@example.com", "correct horse")), tc.secure)
			wantSessionCookies(t, b.postEmpty("/api/users/refresh"), tc.secure)
			res := b.postEmpty("/api/users/signout")
			for _, name := range []string{"session", "refresh"} {
				if c := res.Cookies[name]; c == nil || c.Secure != tc.secure || !c.HttpOnly || c.Path != "/" {
					t.Errorf("signout's %s cookie %v, want a cleared cookie with Secure=%v", name, c, tc.secure)
				}
				// Over HTTPS, __Host- names: no other host can set or
				// shadow them. Over plain HTTP, the seed's names.
				if c := res.Cookies[name]; c != nil && strings.HasPrefix(c.Name, "__Host-") != tc.secure {
					t.Errorf("%s cookie named %q over %s", name, c.Name, tc.name)
				}
			}
		})
	}
}

func TestSignupNormalisesTheEmailToLowerCase(t *testing.T) {
	t.Parallel()
	b := newFn(t).browser()
	res := b.post("/api/users/signup", credentials("  Bob.Smith@Example.COM ", "correct horse"))
	if res.Code != http.StatusCreated {
		t.Fatalf("signup: %d %s", res.Code, res.Body)
	}
	if u := userOf(t, res); u.Email != "bob.smith@example.com" {
		t.Errorf("email %q, want bob.smith@example.com", u.Email)
	}
	if me := b.currentUser(); me == nil || me.Email != "bob.smith@example.com" {
		t.Errorf("currentuser = %+v, want bob.smith@example.com", me)
	}
}

func TestSignupRefusesBadFieldsOnePerField(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, email, password string
		want                  []httpx.ErrorItem
	}{
		{"no email", "", "correct horse", []httpx.ErrorItem{{Message: "Email is required", Field: "email"}}},
		{"not an email", "bob", "correct horse", []httpx.ErrorItem{{Message: "Email must be a valid address", Field: "email"}}},
		{"display name", "Bob <bob@example.com>", "correct horse", []httpx.ErrorItem{{Message: "Email must be a valid address", Field: "email"}}},
		{"email too long", strings.Repeat("a", 250) + "@example.com", "correct horse",
			[]httpx.ErrorItem{{Message: "Email must be at most 254 characters", Field: "email"}}},
		{"no password", "bob@example.com", "", []httpx.ErrorItem{{Message: "Password is required", Field: "password"}}},
		{"7-character password", "bob@example.com", "1234567",
			[]httpx.ErrorItem{{Message: "Password must be between 8 and 72 characters", Field: "password"}}},
		{"73-character password", "bob@example.com", strings.Repeat("x", 73),
			[]httpx.ErrorItem{{Message: "Password must be between 8 and 72 characters", Field: "password"}}},
		{"both wrong", "bob", "short", []httpx.ErrorItem{
			{Message: "Email must be a valid address", Field: "email"},
			{Message: "Password must be between 8 and 72 characters", Field: "password"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res := wantFieldErrors(t, "/api/users/signup", tc.email, tc.password, tc.want)
			if len(res.Cookies) > 0 {
				t.Errorf("a refused signup set cookies %v", res.Header["Set-Cookie"])
			}
		})
	}
}

func TestSignupAcceptsPasswordsAtTheLimits(t *testing.T) {
	t.Parallel()
	b := newFn(t).browser()
	for i, pw := range []string{"12345678", strings.Repeat("x", 72), strings.Repeat("é", 72), "        "} {
		res := b.post("/api/users/signup", credentials(fmt.Sprintf("user%d@example.com", i), pw))
		if res.Code != http.StatusCreated {
			t.Errorf("password of %d characters: %d %s, want 201", len([]rune(pw)), res.Code, res.Body)
		}
	}
}

func TestSignupRefusesAnEmailInUseWhateverItsCase(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	f.browser().signup("bob@example.com", "correct horse")
	for _, email := range []string{"bob@example.com", "BOB@example.com", " Bob@Example.Com "} {
		res := f.browser().post("/api/users/signup", credentials(email, "another password"))
		wantError(t, res, http.StatusBadRequest, "Email in use", "email")
		if len(res.Cookies) > 0 {
			t.Errorf("a refused signup set cookies %v", res.Header["Set-Cookie"])
		}
	}
	f.wantOneAccount("the first account only")
}

func TestConcurrentSignupsWithOneEmailCreateOneAccount(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	const n = 20
	results := make([]response, n)
	var wg sync.WaitGroup
	for i := range n {
		email := "race@example.com"
		if i%2 == 1 {
			email = "Race@Example.com"
		}
		wg.Go(func() {
			results[i] = f.serve(httpxtest.NewJSONRequest(http.MethodPost, "/api/users/signup", credentials(email, "correct horse")))
		})
	}
	wg.Wait()
	var created []userBody
	for _, res := range results {
		if res.Code == http.StatusCreated {
			created = append(created, userOf(t, res))
			continue
		}
		wantError(t, res, http.StatusBadRequest, "Email in use", "email")
	}
	if len(created) != 1 {
		t.Fatalf("%d signups answered 201, want exactly 1", len(created))
	}
	f.wantOneAccount("one account")
	f.wantRegistered(created[0]) // the refused ones' events were never recorded
}

func TestSigninWithTheRightPasswordStartsASession(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	id := f.browser().signup("bob@example.com", "correct horse")
	f.clock.Advance(time.Hour)

	b := f.browser()
	res := b.post("/api/users/signin", credentials(" BOB@example.com", "correct horse"))
	if res.Code != http.StatusOK {
		t.Fatalf("signin: %d %s, want 200", res.Code, res.Body)
	}
	if u := userOf(t, res); u.ID != id || u.Email != "bob@example.com" {
		t.Errorf("signin answered %+v, want %s bob@example.com", u, id)
	}
	wantSessionCookies(t, res, true)
	if me := b.currentUser(); me == nil || me.ID != id || !me.IssuedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("currentuser = %+v, want %s signed in an hour after t0", me, id)
	}
	if got := f.counts()[authstore.RefreshFamilies]; got != 2 {
		t.Errorf("%d sessions stored, want 2: signup's and signin's", got)
	}
}

func TestSigninAnswersUnknownEmailAndWrongPasswordAlike(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	f.browser().signup("bob@example.com", "correct horse")
	before := f.counts()

	unknown := f.browser().post("/api/users/signin", credentials("alice@example.com", "correct horse"))
	wrong := f.browser().post("/api/users/signin", credentials("bob@example.com", "wrong horse!"))
	for name, res := range map[string]response{"unknown email": unknown, "wrong password": wrong} {
		wantError(t, res, http.StatusBadRequest, "Invalid credentials", "")
		if len(res.Cookies) > 0 {
			t.Errorf("%s set cookies %v", name, res.Header["Set-Cookie"])
		}
	}
	if string(unknown.Body) != string(wrong.Body) {
		t.Errorf("bodies differ: unknown email %s, wrong password %s", unknown.Body, wrong.Body)
	}
	// Nothing but the count of wrong passwords, kept alike for both.
	storetest.WantSameCounts(t, "a refused signin", before, f.counts(), authstore.SigninFailures)
	if n := storetest.Count(t, f.db, authstore.SigninFailures); n != 2 {
		t.Errorf("%d emails with wrong passwords counted, want both", n)
	}
}

func TestSigninRefusesBadFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, email, password string
		want                  []httpx.ErrorItem
	}{
		{"nothing", "", "", []httpx.ErrorItem{
			{Message: "Email is required", Field: "email"},
			{Message: "Password is required", Field: "password"},
		}},
		{"not an email", "bob", "correct horse", []httpx.ErrorItem{{Message: "Email must be a valid address", Field: "email"}}},
		{"no password", "bob@example.com", "", []httpx.ErrorItem{{Message: "Password is required", Field: "password"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			wantFieldErrors(t, "/api/users/signin", tc.email, tc.password, tc.want)
		})
	}
}

// wantFieldErrors posts email and password to path of a fresh function and
// fails unless they are refused with 400 and exactly the errors want,
// leaving the store empty; it returns the refusal.
func wantFieldErrors(t *testing.T, path, email, password string, want []httpx.ErrorItem) response {
	t.Helper()
	f := newFn(t)
	res := f.browser().post(path, credentials(email, password))
	httpxtest.WantErrors(t, res.Response, http.StatusBadRequest, want...)
	f.wantNothingStored()
	return res
}

// wantOneAccount fails unless the store holds what one signed-up account
// does (its user, email, refresh family and token, and the event of its
// sign-up), which why names.
func (f *fn) wantOneAccount(why string) {
	f.tb.Helper()
	want := map[string]int{authstore.Users: 1, authstore.Emails: 1, authstore.RefreshFamilies: 1, authstore.RefreshTokens: 1, outbox.Collection: 1}
	if got := f.counts(); !maps.Equal(got, want) {
		f.tb.Errorf("store holds %v, want %s: %v", got, why, want)
	}
}
