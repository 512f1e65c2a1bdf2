package auth_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/buytickets/buytickets/functions/auth/internal/session"
	authstore "github.com/buytickets/buytickets/functions/auth/internal/store"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/storetest"
)

// refreshWith posts a refresh carrying only the refresh cookie secret, as
// one of several tabs of a browser does.
func (f *fn) refreshWith(secret string) response {
	req := httptest.NewRequest(http.MethodPost, "/api/users/refresh", nil)
	req.AddCookie(&http.Cookie{Name: "refresh", Value: secret})
	return f.serve(req)
}

func TestTabsRefreshingAtOnceAllStaySignedInOnEveryDriver(t *testing.T) {
	t.Parallel()
	const tabs = 8
	storetest.EachStore(t, "auth", func(t *testing.T, db store.Store) {
		f := newFn(t, withStore(db))
		b := f.signedUp()
		shared := b.cookie("refresh")
		f.clock.Advance(20 * time.Minute) // every tab's access token has expired

		answers := make([]response, tabs)
		var wg sync.WaitGroup
		for i := range tabs {
			wg.Go(func() { answers[i] = f.refreshWith(shared) })
		}
		wg.Wait()
		successor := ""
		for i, res := range answers {
			if res.Code != http.StatusOK {
				t.Fatalf("tab %d: %d %s, want 200", i, res.Code, res.Body)
			}
			got := res.Cookies["refresh"].Value
			if successor == "" {
				successor = got
			}
			if got != successor || got == shared {
				t.Errorf("tab %d was given refresh token %.8s…, want the one successor %.8s…", i, got, successor)
			}
		}
		if n := f.counts()[authstore.RefreshTokens]; n != 2 {
			t.Errorf("%d refresh tokens stored, want the first and its one successor", n)
		}

		// The family is intact: the successor refreshes in turn.
		if res := f.refreshWith(successor); res.Code != http.StatusOK {
			t.Fatalf("the successor refreshed: %d %s, want 200", res.Code, res.Body)
		}
		// The first token, presented again after the grace, is taken for
		// a stolen one: refused, and the whole family revoked.
		f.clock.Advance(session.Grace)
		wantError(t, f.refreshWith(shared), http.StatusUnauthorized, "Not authorized", "")
		wantError(t, f.refreshWith(successor), http.StatusUnauthorized, "Not authorized", "")
	})
}

func TestATokenPresentedAgainJustBeforeTheGraceEndsStillSignsIn(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	b := f.signedUp()
	shared := b.cookie("refresh")
	first := f.refreshWith(shared)
	f.clock.Advance(session.Grace - time.Millisecond)
	again := f.refreshWith(shared)
	if first.Code != http.StatusOK || again.Code != http.StatusOK {
		t.Fatalf("refreshes answered %d and %d, want 200 twice", first.Code, again.Code)
	}
	if again.Cookies["refresh"].Value != first.Cookies["refresh"].Value {
		t.Error("the second tab was given another refresh token than the first")
	}
	if again.Cookies["session"].Value == "" {
		t.Error("the second tab got no access token")
	}
}

func TestAPageLoadAfterTheAccessTokenExpiredComesBackSignedIn(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	b := f.browser()
	id := b.signup("bob@example.com", "correct horse")
	oldRefresh := b.cookie("refresh")
	f.clock.Advance(15*time.Minute + 40*time.Second)

	res := b.get("/api/users/currentuser")
	if res.Code != http.StatusOK {
		t.Fatalf("currentuser: %d %s", res.Code, res.Body)
	}
	wantSessionCookies(t, res, true)
	if b.cookie("refresh") == oldRefresh {
		t.Error("the refresh token was not rotated")
	}
	me := b.currentUser()
	if me == nil || me.ID != id || !me.IssuedAt.Equal(t0.Add(15*time.Minute+40*time.Second)) {
		t.Errorf("currentuser = %+v, want %s with a token issued now", me, id)
	}
	// A live access token is answered as is, without a rotation.
	if res := b.get("/api/users/currentuser"); len(res.Cookies) != 0 {
		t.Errorf("a signed-in currentuser set cookies %v", res.Header["Set-Cookie"])
	}
}

func TestCurrentUserWithoutAUsableSessionIsNullNeverAnError(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	b := f.signedUp()
	signedOut := b.cookie("refresh")
	b.postEmpty("/api/users/signout")
	expired := f.browser()
	expired.signup("eve@example.com", "correct horse")
	expiredRefresh := expired.cookie("refresh")
	f.clock.Advance(8 * 24 * time.Hour)

	tests := []struct {
		name        string
		cookies     []*http.Cookie
		wantCleared bool
	}{
		{"no cookie at all", nil, false},
		{"an access token of garbage", []*http.Cookie{{Name: "session", Value: "not.a.token"}}, false},
		{"a refresh token of garbage", []*http.Cookie{{Name: "refresh", Value: "garbage"}}, true},
		{"a refresh token never issued", []*http.Cookie{{Name: "refresh", Value: "A" + signedOut[1:]}}, true},
		{"the refresh token of a signed-out session", []*http.Cookie{{Name: "refresh", Value: signedOut}}, true},
		{"an expired refresh token", []*http.Cookie{{Name: "refresh", Value: expiredRefresh}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/api/users/currentuser", nil)
			for _, c := range tc.cookies {
				req.AddCookie(c)
			}
			res := f.serve(req)
			if res.Code != http.StatusOK || string(res.Body) != "{\"currentUser\":null}\n" {
				t.Errorf("currentuser: %d %s, want 200 {\"currentUser\":null}", res.Code, res.Body)
			}
			if tc.wantCleared {
				wantCookiesCleared(t, res)
			} else if len(res.Cookies) != 0 {
				t.Errorf("cookies set: %v", res.Header["Set-Cookie"])
			}
		})
	}
}
