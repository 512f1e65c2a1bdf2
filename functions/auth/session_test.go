package auth_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"hash"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/buytickets/buytickets/functions/auth/internal/session"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/store/storetest"
)

// wantCookiesCleared checks that res deletes both session cookies.
func wantCookiesCleared(t *testing.T, res response) {
	t.Helper()
	for _, name := range []string{"session", "refresh"} {
		c, ok := res.Cookies[name]
		if !ok || c.MaxAge >= 0 || c.Value != "" || c.Path != "/" {
			t.Errorf("%s cookie %v, want it cleared (Max-Age=0, Path=/)", name, c)
		}
	}
}

func TestRefreshRotatesTheSession(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	b := f.browser()
	id := b.signup("bob@example.com", "correct horse")
	oldSession, oldRefresh := b.cookie("session"), b.cookie("refresh")
	f.clock.Advance(10 * time.Minute)

	res := b.postEmpty("/api/users/refresh")
	if res.Code != http.StatusOK {
		t.Fatalf("refresh: %d %s, want 200", res.Code, res.Body)
	}
	if u := userOf(t, res); u.ID != id || u.Email != "bob@example.com" {
		t.Errorf("refresh answered %+v, want %s", u, id)
	}
	wantSessionCookies(t, res, true)
	if b.cookie("session") == oldSession || b.cookie("refresh") == oldRefresh {
		t.Error("refresh did not replace both cookies")
	}
	if me := b.currentUser(); me == nil || me.ID != id || !me.IssuedAt.Equal(t0.Add(10*time.Minute)) {
		t.Errorf("currentuser = %+v, want a token issued at the refresh", me)
	}
	// The new refresh token refreshes in turn.
	if res := b.postEmpty("/api/users/refresh"); res.Code != http.StatusOK {
		t.Errorf("second refresh: %d %s, want 200", res.Code, res.Body)
	}
}

func TestReusedRefreshTokenRevokesTheWholeFamily(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	victim := f.signedUp()
	stolen := victim.cookie("refresh")
	victim.mustRefresh("refresh")

	f.clock.Advance(session.Grace) // past the grace two tabs get
	thief := f.browser().holding("refresh", stolen)
	res := thief.postEmpty("/api/users/refresh")
	wantError(t, res, http.StatusUnauthorized, "Not authorized", "")
	wantCookiesCleared(t, res)

	// The reuse revoked the family: the token the victim got is dead too.
	res = victim.postEmpty("/api/users/refresh")
	wantError(t, res, http.StatusUnauthorized, "Not authorized", "")
	wantCookiesCleared(t, res)
}

func TestRefreshRefusesDeadTokens(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// prepare returns a browser holding the refresh cookie to present.
		prepare func(f *fn) *browser
	}{
		{"no refresh cookie", func(f *fn) *browser { return f.browser() }},
		{"a cookie that is no token", func(f *fn) *browser {
			b := f.browser().holding("refresh", "not-a-token")
			return b
		}},
		{"a token never issued", func(f *fn) *browser {
			b := f.browser()
			secret, _ := session.NewSecret()
			b.holding("refresh", secret)
			return b
		}},
		{"expired after 7 days", func(f *fn) *browser {
			b := f.signedUp()
			f.clock.Advance(7 * 24 * time.Hour)
			return b
		}},
		{"revoked by signout", func(f *fn) *browser {
			b := f.signedUp()
			kept := b.cookie("refresh")
			b.postEmpty("/api/users/signout")
			b.holding("refresh", kept)
			return b
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFn(t)
			b := tc.prepare(f)
			before := f.counts()
			res := b.postEmpty("/api/users/refresh")
			wantError(t, res, http.StatusUnauthorized, "Not authorized", "")
			wantCookiesCleared(t, res)
			storetest.WantSameCounts(t, "a refused refresh", before, f.counts())
		})
	}
}

func TestRefreshWorksUntilTheLastMoment(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	b := f.signedUp()
	f.clock.Advance(7*24*time.Hour - time.Second)
	b.mustRefresh("refresh a second before expiry")
	// The rotated token lives 7 days from its own issue.
	f.clock.Advance(7*24*time.Hour - time.Second)
	b.mustRefresh("refresh of the rotated token")
}

func TestSignoutRevokesTheSessionAndClearsCookies(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	b := f.signedUp()
	kept := b.cookie("refresh")

	res := b.postEmpty("/api/users/signout")
	if res.Code != http.StatusOK || string(res.Body) != "{}\n" {
		t.Fatalf("signout: %d %q, want 200 {}", res.Code, res.Body)
	}
	wantCookiesCleared(t, res)
	if me := b.currentUser(); me != nil {
		t.Errorf("currentuser after signout = %+v, want null", me)
	}
	other := f.browser().holding("refresh", kept)
	wantError(t, other.postEmpty("/api/users/refresh"), http.StatusUnauthorized, "Not authorized", "")
}

func TestSignoutEndsOnlyItsOwnSession(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	phone, laptop := f.browser(), f.browser()
	phone.signup("bob@example.com", "correct horse")
	if res := laptop.post("/api/users/signin", credentials("bob@example.com", "correct horse")); res.Code != http.StatusOK {
		t.Fatalf("signin: %d %s", res.Code, res.Body)
	}
	phone.postEmpty("/api/users/signout")
	if res := laptop.postEmpty("/api/users/refresh"); res.Code != http.StatusOK {
		t.Errorf("refresh on the other device: %d %s, want 200", res.Code, res.Body)
	}
}

func TestSignoutWithoutASessionStillAnswers200(t *testing.T) {
	t.Parallel()
	tests := map[string]string{"no cookie": "", "a cookie that is no token": "nonsense"}
	for name, value := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFn(t)
			b := f.browser()
			if value != "" {
				b.holding("refresh", value)
			}
			res := b.postEmpty("/api/users/signout")
			if res.Code != http.StatusOK || string(res.Body) != "{}\n" {
				t.Fatalf("signout: %d %q, want 200 {}", res.Code, res.Body)
			}
			wantCookiesCleared(t, res)
			f.wantNothingStored()
		})
	}
}

func TestCurrentUserIsNullWhenSignedOut(t *testing.T) {
	t.Parallel()
	res := newFn(t).browser().get("/api/users/currentuser")
	if res.Code != http.StatusOK || string(res.Body) != `{"currentUser":null}`+"\n" {
		t.Errorf("currentuser: %d %q, want 200 {\"currentUser\":null}", res.Code, res.Body)
	}
}

func TestCurrentUserAnswersIDEmailIatExp(t *testing.T) {
	t.Parallel()
	b := newFn(t).browser()
	id := b.signup("bob@example.com", "correct horse")
	res := b.get("/api/users/currentuser")
	var body map[string]map[string]any
	if err := json.Unmarshal(res.Body, &body); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"id": id, "email": "bob@example.com",
		"iat": float64(t0.Unix()), "exp": float64(t0.Add(15 * time.Minute).Unix())}
	if len(body) != 1 || !maps.Equal(body["currentUser"], want) {
		t.Errorf("currentuser = %s, want {\"currentUser\":%v}", res.Body, want)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
}

// forge builds a JWT from a header and claims, signed by sign (unsigned when nil).
func forge(header, claims map[string]any, sign func(string) string) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	signing := enc(header) + "." + enc(claims)
	if sign == nil {
		return signing + "."
	}
	return signing + "." + sign(signing)
}

func hmacWith(h func() hash.Hash, key string) func(string) string {
	return func(s string) string {
		mac := hmac.New(h, []byte(key))
		mac.Write([]byte(s))
		return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	}
}

func TestForgedAccessTokensAreSignedOut(t *testing.T) {
	t.Parallel()
	hs256 := map[string]any{"alg": "HS256", "typ": "JWT"}
	claims := func(change func(map[string]any)) map[string]any {
		c := map[string]any{
			"iss": "buytickets", "aud": []string{"buytickets"}, "sub": "user-1", "email": "eve@example.com",
			"iat": t0.Unix(), "exp": t0.Add(15 * time.Minute).Unix(),
		}
		if change != nil {
			change(c)
		}
		return c
	}
	right := hmacWith(sha256.New, testKey)
	tests := []struct {
		name  string
		token func(f *fn) string
		want  bool // signed in
	}{
		{"well-formed token (control)", func(*fn) string { return forge(hs256, claims(nil), right) }, true},
		{"alg none", func(*fn) string {
			return forge(map[string]any{"alg": "none", "typ": "JWT"}, claims(nil), nil)
		}, false},
		{"wrong key", func(*fn) string {
			return forge(hs256, claims(nil), hmacWith(sha256.New, "another-key-0123456789abcdef0123"))
		}, false},
		{"HS512 with the right key", func(*fn) string {
			return forge(map[string]any{"alg": "HS512", "typ": "JWT"}, claims(nil), hmacWith(sha512.New, testKey))
		}, false},
		{"expired", func(*fn) string {
			return forge(hs256, claims(func(c map[string]any) {
				c["iat"], c["exp"] = t0.Add(-time.Hour).Unix(), t0.Add(-time.Second).Unix()
			}), right)
		}, false},
		{"expired by the clock", func(f *fn) string {
			b := f.signedUp()
			f.clock.Advance(15*time.Minute + time.Second)
			return b.cookie("session")
		}, false},
		{"missing iat", func(*fn) string {
			return forge(hs256, claims(func(c map[string]any) { delete(c, "iat") }), right)
		}, false},
		{"issued in the future", func(*fn) string {
			return forge(hs256, claims(func(c map[string]any) { c["iat"] = t0.Add(time.Hour).Unix() }), right)
		}, false},
		{"missing exp", func(*fn) string {
			return forge(hs256, claims(func(c map[string]any) { delete(c, "exp") }), right)
		}, false},
		{"wrong issuer", func(*fn) string {
			return forge(hs256, claims(func(c map[string]any) { c["iss"] = "elsewhere" }), right)
		}, false},
		{"wrong audience", func(*fn) string {
			return forge(hs256, claims(func(c map[string]any) { c["aud"] = "elsewhere" }), right)
		}, false},
		{"tampered payload", func(f *fn) string {
			b := f.signedUp()
			parts := strings.Split(b.cookie("session"), ".")
			forged := strings.Split(forge(hs256, claims(func(c map[string]any) { c["email"] = "admin@example.com" }), nil), ".")
			return parts[0] + "." + forged[1] + "." + parts[2]
		}, false},
		{"not a JWT", func(*fn) string { return "not-a-jwt" }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFn(t)
			b := f.browser().holding("session", tc.token(f))
			me := b.currentUser()
			if (me != nil) != tc.want {
				t.Errorf("currentuser = %+v, want signed in: %v", me, tc.want)
			}
		})
	}
}

func TestCrossSiteRequestsCannotChangeTheSession(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	b := f.signedUp()
	before := f.counts()
	for _, path := range []string{"/api/users/signup", "/api/users/signin", "/api/users/signout", "/api/users/refresh"} {
		req := httpxtest.NewJSONRequest(http.MethodPost, path, credentials("eve@example.com", "correct horse"))
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Origin", "https://evil.example")
		res := b.do(req)
		if res.Code != http.StatusForbidden {
			t.Errorf("cross-site POST %s: %d %s, want 403", path, res.Code, res.Body)
		}
		errorsOf(t, res)
	}
	storetest.WantSameCounts(t, "cross-site requests", before, f.counts())
	if me := b.currentUser(); me == nil {
		t.Error("a cross-site signout signed the browser out")
	}
	req := httpxtest.NewJSONRequest(http.MethodPost, "/api/users/signin", credentials("bob@example.com", "correct horse"))
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if res := b.do(req); res.Code != http.StatusOK {
		t.Errorf("same-origin signin: %d %s, want 200", res.Code, res.Body)
	}
}

func TestRoutesAnswerInJSON(t *testing.T) {
	t.Parallel()
	b := newFn(t).browser()
	if res := b.get("/healthz"); res.Code != http.StatusOK || string(res.Body) != `{"status":"ok"}`+"\n" {
		t.Errorf("healthz: %d %q", res.Code, res.Body)
	}
	wantError(t, b.get("/api/users/nope"), http.StatusNotFound, "Not found", "")
	wantError(t, b.get("/api/users/ban"), http.StatusNotFound, "Not found", "")
	res := b.get("/api/users/signup")
	wantError(t, res, http.StatusMethodNotAllowed, "Method not allowed", "")
	if allow := res.Header.Get("Allow"); allow != "POST" {
		t.Errorf("Allow %q, want POST", allow)
	}
	wantError(t, b.postEmpty("/api/users/currentuser"), http.StatusMethodNotAllowed, "Method not allowed", "")
}
