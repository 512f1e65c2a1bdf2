package auth_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/buytickets/buytickets/shared/auth"
)

func TestCookiesCarryTheSessionFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		set        func(c auth.Cookies, w http.ResponseWriter)
		wantName   string // over HTTPS; over plain HTTP, the seed's name
		plainName  string
		wantMaxAge int
	}{
		{"session", func(c auth.Cookies, w http.ResponseWriter) {
			c.SetSession(w, "access-token", t0.Add(auth.AccessLifetime))
		}, "__Host-session", auth.SessionCookie, 900},
		{"refresh", func(c auth.Cookies, w http.ResponseWriter) {
			c.SetRefresh(w, "refresh-token", t0.Add(auth.RefreshLifetime))
		}, "__Host-refresh", auth.RefreshCookie, 604800},
	}
	for _, tc := range tests {
		// Each cookie is set over HTTPS and, insecure, over plain HTTP.
		for _, insecure := range []bool{false, true} {
			name := tc.name
			if insecure {
				name += " over plain HTTP"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				rec := httptest.NewRecorder()
				tc.set(auth.Cookies{Insecure: insecure, Now: clockAt(t0)}, rec)
				cookies := rec.Result().Cookies()
				if len(cookies) != 1 {
					t.Fatalf("got %d cookies, want 1", len(cookies))
				}
				c, want := cookies[0], tc.wantName
				if insecure {
					want = tc.plainName
				}
				if c.Name != want || c.Value == "" {
					t.Errorf("cookie %q=%q, want %q with a value", c.Name, c.Value, want)
				}
				checkFlags(t, c, !insecure)
				if c.MaxAge != tc.wantMaxAge {
					t.Errorf("Max-Age = %d, want %d", c.MaxAge, tc.wantMaxAge)
				}
			})
		}
	}
}

func TestClearExpiresBothCookies(t *testing.T) {
	t.Parallel()
	for _, insecure := range []bool{false, true} {
		rec := httptest.NewRecorder()
		auth.Cookies{Insecure: insecure}.Clear(rec)
		for _, line := range rec.Result().Header.Values("Set-Cookie") {
			if !strings.Contains(line, "Max-Age=0") {
				t.Errorf("Set-Cookie %q does not carry Max-Age=0", line)
			}
		}
		got := map[string]bool{}
		for _, c := range rec.Result().Cookies() {
			got[c.Name] = true
			if c.Value != "" || c.MaxAge >= 0 || !c.Expires.Before(time.Now()) {
				t.Errorf("cookie %s=%q Max-Age %d Expires %v is not expired", c.Name, c.Value, c.MaxAge, c.Expires)
			}
			checkFlags(t, c, !insecure)
		}
		session, refresh := auth.SecureSessionCookie, auth.SecureRefreshCookie
		if insecure {
			session, refresh = auth.SessionCookie, auth.RefreshCookie
		}
		if !got[session] || !got[refresh] || len(got) != 2 {
			t.Errorf("cleared cookies %v, want %s and %s", got, session, refresh)
		}
	}
}

func TestEitherNameOfACookieIsRead(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name                     string
		cookies                  []*http.Cookie
		wantSession, wantRefresh string
	}{
		{"the seed's names", []*http.Cookie{{Name: "session", Value: "a"}, {Name: "refresh", Value: "r"}}, "a", "r"},
		{"the __Host- names", []*http.Cookie{{Name: "__Host-session", Value: "a"}, {Name: "__Host-refresh", Value: "r"}}, "a", "r"},
		{"both: the __Host- one wins", []*http.Cookie{{Name: "session", Value: "old"}, {Name: "__Host-session", Value: "a"}}, "a", ""},
		{"none", nil, "", ""},
	} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		for _, c := range tc.cookies {
			req.AddCookie(c)
		}
		if got := auth.SessionToken(req); got != tc.wantSession {
			t.Errorf("%s: SessionToken = %q, want %q", tc.name, got, tc.wantSession)
		}
		if got := auth.RefreshToken(req); got != tc.wantRefresh {
			t.Errorf("%s: RefreshToken = %q, want %q", tc.name, got, tc.wantRefresh)
		}
	}
}

func TestCookieWithPastExpiryIsDeleted(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	auth.Cookies{Now: clockAt(t0)}.SetSession(rec, "stale", t0.Add(-time.Minute))
	c := rec.Result().Cookies()[0]
	if c.MaxAge >= 0 {
		t.Errorf("Max-Age = %d for an expiry in the past, want a deleting cookie", c.MaxAge)
	}
}

func checkFlags(tb testing.TB, c *http.Cookie, wantSecure bool) {
	tb.Helper()
	if !c.HttpOnly {
		tb.Errorf("cookie %s is not HttpOnly", c.Name)
	}
	if c.SameSite != http.SameSiteLaxMode {
		tb.Errorf("cookie %s SameSite = %v, want Lax", c.Name, c.SameSite)
	}
	if c.Path != "/" {
		tb.Errorf("cookie %s Path = %q, want /", c.Name, c.Path)
	}
	if c.Secure != wantSecure {
		tb.Errorf("cookie %s Secure = %v, want %v", c.Name, c.Secure, wantSecure)
	}
}
