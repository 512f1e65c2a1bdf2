package auth_test

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/buytickets/buytickets/functions/auth"
	"github.com/buytickets/buytickets/functions/auth/internal/account"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
)

func TestWrongPasswordsMakeSigninsOfThatAccountWaitLongerEachTime(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	f.signedUp()
	signin := func(password string) response {
		return f.browser().post("/api/users/signin", credentials("bob@example.com", password))
	}
	for range account.FreeAttempts {
		wantError(t, signin("wrong horse"), http.StatusBadRequest, "Invalid credentials", "")
	}
	// Even the right password now waits a second.
	res := signin("correct horse")
	wantError(t, res, http.StatusTooManyRequests, "Too many failed sign-ins for this account, please wait before trying again", "")
	if got := res.Header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After %q, want 1", got)
	}
	// Another account is not held up.
	f.browser().signup("ann@example.com", "correct horse")
	if res := f.browser().post("/api/users/signin", credentials("ann@example.com", "correct horse")); res.Code != http.StatusOK {
		t.Errorf("another account's sign-in: %d %s", res.Code, res.Body)
	}
	f.clock.Advance(time.Second)
	wantError(t, signin("wrong horse"), http.StatusBadRequest, "Invalid credentials", "")
	if got := signin("correct horse").Header.Get("Retry-After"); got != "2" {
		t.Errorf("after one more failure Retry-After %q, want 2", got)
	}
	// The wait never grows past its cap, and the right password then
	// clears the count.
	f.clock.Advance(account.MaxSigninWait)
	if res := signin("correct horse"); res.Code != http.StatusOK {
		t.Fatalf("sign-in after waiting: %d %s", res.Code, res.Body)
	}
	for range account.FreeAttempts - 1 {
		wantError(t, signin("wrong horse"), http.StatusBadRequest, "Invalid credentials", "")
	}
	if res := signin("correct horse"); res.Code != http.StatusOK {
		t.Errorf("a sign-in after the count was cleared: %d %s", res.Code, res.Body)
	}
}

func TestOneAddressGetsABudgetOfSigninsAndSignups(t *testing.T) {
	t.Parallel()
	f := newFn(t, withRateLimits)
	for i := range auth.AddressLimit.Burst {
		if res := f.browser().post("/api/users/signup", credentials("user"+strconv.Itoa(i)+"@example.com", "correct horse")); res.Code != http.StatusCreated {
			t.Fatalf("sign-up %d within the budget: %d %s", i, res.Code, res.Body)
		}
	}
	res := f.browser().post("/api/users/signin", credentials("user0@example.com", "correct horse"))
	wantError(t, res, http.StatusTooManyRequests, "Too many attempts, please wait a moment", "")
	if got := res.Header.Get("Retry-After"); got != "6" {
		t.Errorf("Retry-After %q, want 6", got)
	}
	f.clock.Advance(auth.AddressLimit.Every)
	if res := f.browser().post("/api/users/signin", credentials("user0@example.com", "correct horse")); res.Code != http.StatusOK {
		t.Errorf("after waiting: %d %s", res.Code, res.Body)
	}
}

func TestConcurrentSigninsOfOneAccountCountEveryWrongPassword(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	f.signedUp()
	var wg sync.WaitGroup
	for range 2 * account.FreeAttempts {
		wg.Go(func() { f.browser().post("/api/users/signin", credentials("bob@example.com", "wrong horse")) })
	}
	wg.Wait()
	res := f.browser().post("/api/users/signin", credentials("bob@example.com", "correct horse"))
	if res.Code != http.StatusTooManyRequests {
		t.Errorf("after %d wrong passwords at once the sign-in answered %d %s, want 429", 2*account.FreeAttempts, res.Code, res.Body)
	}
}

func TestASignedOutAccessTokenNoLongerSignsAnyoneInAtAuth(t *testing.T) {
	t.Parallel()
	f := newFn(t, withAdmins("bob@example.com"))
	bob := f.signedUp()
	session := bob.cookie(sharedauth.SessionCookie)
	if res := bob.postEmpty("/api/users/signout"); res.Code != http.StatusOK {
		t.Fatalf("signout: %d %s", res.Code, res.Body)
	}
	// A copy of the access cookie, kept from before the sign-out.
	stolen := f.browser().holding(sharedauth.SessionCookie, session)
	if u := stolen.currentUser(); u != nil {
		t.Errorf("the signed-out token is still %+v", u)
	}
	wantError(t, stolen.get("/api/users?email=bob@example.com"), http.StatusUnauthorized, "Not authorized", "")
	// A fresh sign-in is another token, taken as ever.
	again := f.browser()
	if res := again.post("/api/users/signin", credentials("bob@example.com", "correct horse")); res.Code != http.StatusOK {
		t.Fatalf("signin: %d %s", res.Code, res.Body)
	}
	if u := again.currentUser(); u == nil || u.Email != "bob@example.com" {
		t.Errorf("a new session reads as %+v", u)
	}
}

func TestASignInFromThePublicOriginIsTakenBehindTheIngress(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, publicURL string
		want            int
	}{
		{"PUBLIC_URL set", "https://buytickets.dev", http.StatusOK},
		{"PUBLIC_URL unset", "", http.StatusForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFn(t, func(_ *auth.Config, d *auth.Deps) { d.PublicURL = tc.publicURL })
			f.signedUp()
			req := httpxtest.NewJSONRequest(http.MethodPost, "http://auth.buytickets.svc.cluster.local/api/users/signin", credentials("bob@example.com", "correct horse"))
			req.Header.Set("Origin", "https://buytickets.dev")
			if res := f.serve(req); res.Code != tc.want {
				t.Errorf("sign-in answered %d %s, want %d", res.Code, res.Body, tc.want)
			}
		})
	}
}
