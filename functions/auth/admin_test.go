package auth_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/functions/auth"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
)

// withAdmins makes the accounts of emails admins (ADMIN_EMAILS).
func withAdmins(emails ...string) option {
	return func(c *auth.Config, _ *auth.Deps) { c.AdminEmails = emails }
}

// adminUserBody is an account as an admin's lookup answers it.
type adminUserBody struct {
	ID          string          `json:"id"`
	Email       string          `json:"email"`
	Role        sharedauth.Role `json:"role"`
	Banned      bool            `json:"banned"`
	BanReason   string          `json:"banReason"`
	BannedUntil *time.Time      `json:"bannedUntil"`
	CreatedAt   time.Time       `json:"createdAt"`
}

// admin is a market with an admin signed in, and bob, whom they may ban.
type admin struct {
	*fn
	admin, bob *browser
	bobID      string
}

func newAdmin(t *testing.T) admin {
	f := newFn(t, withAdmins("Root@Example.com"))
	a := admin{fn: f, admin: f.browser(), bob: f.browser()}
	a.admin.signup("root@example.com", "correct horse")
	a.bobID = a.bob.signup("bob@example.com", "correct horse")
	return a
}

func (b *browser) deleteBan(id string) response {
	b.f.tb.Helper()
	return b.do(httptest.NewRequest(http.MethodDelete, "/api/users/"+id+"/ban", nil))
}

func (a admin) find(as *browser, email string) []adminUserBody {
	a.tb.Helper()
	res := as.get("/api/users?email=" + email)
	if res.Code != http.StatusOK {
		a.tb.Fatalf("GET /api/users: %d %s", res.Code, res.Body)
	}
	var found []adminUserBody
	if err := json.Unmarshal(res.Body, &found); err != nil {
		a.tb.Fatal(err)
	}
	return found
}

func TestAnAdminsSessionSaysSoAndTheyFindAUserByEmail(t *testing.T) {
	t.Parallel()
	a := newAdmin(t)
	if u := a.admin.currentUser(); u == nil || !u.Admin() {
		t.Errorf("the admin's current user is %+v, want the admin role", u)
	}
	a.admin.mustRefresh("the admin's refresh")
	if u := a.admin.currentUser(); u == nil || !u.Admin() {
		t.Errorf("after a refresh the admin's current user is %+v, want the admin role", u)
	}
	if u := a.bob.currentUser(); u == nil || u.Admin() {
		t.Errorf("bob's current user is %+v, want no role", u)
	}

	found := a.find(a.admin, "%20BOB@example.com")
	if len(found) != 1 || found[0].ID != a.bobID || found[0].Email != "bob@example.com" || found[0].Role != "" || found[0].Banned || !found[0].CreatedAt.Equal(t0) {
		t.Errorf("looking bob up found %+v", found)
	}
	if found := a.find(a.admin, "root@example.com"); len(found) != 1 || found[0].Role != sharedauth.RoleAdmin {
		t.Errorf("looking the admin up found %+v", found)
	}
	if found := a.find(a.admin, "nobody@example.com"); len(found) != 0 {
		t.Errorf("looking nobody up found %+v", found)
	}
	wantError(t, a.admin.get("/api/users?email=not-an-email"), http.StatusBadRequest, "Email must be a valid address", "email")
	wantError(t, a.bob.get("/api/users?email=root@example.com"), http.StatusUnauthorized, "Not authorized", "")
	wantError(t, a.browser().get("/api/users?email=bob@example.com"), http.StatusUnauthorized, "Not authorized", "")
}

func TestABanEndsTheUsersSessionsRefusesTheirSignInAndTellsEveryFunction(t *testing.T) {
	t.Parallel()
	a := newAdmin(t)
	until := t0.Add(48 * time.Hour)
	res := a.admin.post("/api/users/"+a.bobID+"/ban", `{"reason":"Selling fakes","until":"`+until.Format(time.RFC3339)+`"}`)
	if res.Code != http.StatusOK {
		t.Fatalf("ban: %d %s", res.Code, res.Body)
	}
	var banned struct {
		ID          string    `json:"id"`
		Email       string    `json:"email"`
		BannedUntil time.Time `json:"bannedUntil"`
	}
	if err := json.Unmarshal(res.Body, &banned); err != nil || banned.ID != a.bobID || !banned.BannedUntil.Equal(until) {
		t.Errorf("ban answered %s", res.Body)
	}
	ev := a.broker.WaitAbout(t, waitFor, eventing.TypeUserBanned, a.bobID)
	if p := eventingtest.Decode[eventing.UserBanned](t, ev); p.UserID != a.bobID || p.Until == nil || !p.Until.Equal(until) {
		t.Errorf("user.banned %+v", p)
	}

	if res := a.bob.postEmpty("/api/users/refresh"); res.Code != http.StatusUnauthorized {
		t.Errorf("bob's refresh after the ban: %d %s, want 401", res.Code, res.Body)
	}
	wantError(t, a.browser().post("/api/users/signin", credentials("bob@example.com", "correct horse")), http.StatusForbidden, "Account suspended", "")
	wantError(t, a.browser().post("/api/users/signin", credentials("bob@example.com", "wrong horse")), http.StatusBadRequest, "Invalid credentials", "")
	if found := a.find(a.admin, "bob@example.com"); len(found) != 1 || !found[0].Banned || found[0].BanReason != "Selling fakes" || !found[0].BannedUntil.Equal(until) {
		t.Errorf("the lookup shows %+v, want bob banned", found)
	}

	if res := a.admin.deleteBan(a.bobID); res.Code != http.StatusOK {
		t.Fatalf("lifting the ban: %d %s", res.Code, res.Body)
	}
	a.broker.WaitAbout(t, waitFor, eventing.TypeUserUnbanned, a.bobID)
	if res := a.browser().post("/api/users/signin", credentials("bob@example.com", "correct horse")); res.Code != http.StatusOK {
		t.Errorf("bob's sign-in after the ban was lifted: %d %s", res.Code, res.Body)
	}
}

func TestABanWithAnEndLapsesWithoutAnAdmin(t *testing.T) {
	t.Parallel()
	a := newAdmin(t)
	if res := a.admin.post("/api/users/"+a.bobID+"/ban", `{"reason":"Cool off","until":"`+t0.Add(time.Hour).Format(time.RFC3339)+`"}`); res.Code != http.StatusOK {
		t.Fatalf("ban: %d %s", res.Code, res.Body)
	}
	a.clock.Advance(time.Hour)
	if res := a.browser().post("/api/users/signin", credentials("bob@example.com", "correct horse")); res.Code != http.StatusOK {
		t.Errorf("bob's sign-in once the ban ended: %d %s", res.Code, res.Body)
	}
}

func TestBansAnAdminCannotMake(t *testing.T) {
	t.Parallel()
	a := newAdmin(t)
	rootID := a.find(a.admin, "root@example.com")[0].ID
	cases := []struct {
		name    string
		as      *browser
		path    string
		body    string
		code    int
		message string
		field   string
	}{
		{"banning oneself", a.admin, "/api/users/" + rootID + "/ban", `{"reason":"Oops"}`, http.StatusBadRequest, "You cannot ban yourself", ""},
		{"an unknown user", a.admin, "/api/users/0123456789abcdef01234567/ban", `{"reason":"Fraud"}`, http.StatusNotFound, "User not found", ""},
		{"an id no user can have", a.admin, "/api/users/not..an..id/ban", `{"reason":"Fraud"}`, http.StatusNotFound, "User not found", ""},
		{"no reason", a.admin, "/api/users/" + a.bobID + "/ban", `{"reason":"  "}`, http.StatusBadRequest, "Reason is required", "reason"},
		{"an end already past", a.admin, "/api/users/" + a.bobID + "/ban", `{"reason":"Fraud","until":"` + t0.Add(-time.Minute).Format(time.RFC3339) + `"}`, http.StatusBadRequest, "Until must be in the future", "until"},
		{"an end that is no time", a.admin, "/api/users/" + a.bobID + "/ban", `{"reason":"Fraud","until":"next week"}`, http.StatusBadRequest, "Until must be a time such as 2026-12-31T23:59:00Z", "until"},
		{"an unknown field", a.admin, "/api/users/" + a.bobID + "/ban", `{"reason":"Fraud","forever":true}`, http.StatusBadRequest, "Unknown field", "forever"},
		{"a user who is no admin", a.bob, "/api/users/" + rootID + "/ban", `{"reason":"Coup"}`, http.StatusUnauthorized, "Not authorized", ""},
		{"signed out", a.browser(), "/api/users/" + a.bobID + "/ban", `{"reason":"Fraud"}`, http.StatusUnauthorized, "Not authorized", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, tc.as.post(tc.path, tc.body), tc.code, tc.message, tc.field)
		})
	}
	wantError(t, a.admin.deleteBan(a.bobID), http.StatusBadRequest, "User is not banned", "")
	wantError(t, a.bob.deleteBan(a.bobID), http.StatusUnauthorized, "Not authorized", "")
	if evs := a.broker.About(eventing.TypeUserBanned, a.bobID); len(evs) != 0 {
		t.Errorf("refused bans published %d user.banned", len(evs))
	}
	if res := a.bob.postEmpty("/api/users/refresh"); res.Code != http.StatusOK {
		t.Errorf("bob's session after refused bans: %d %s, want it alive", res.Code, res.Body)
	}
}
