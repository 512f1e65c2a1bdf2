// Package banlisttest is the receive test every function with a ban list
// runs against its own API (banlist.Routes behind the footing's Session,
// SignedIn and Mutation wrappers), so that the promise of DESIGN §4 is
// checked where it is kept, once, rather than copied into each function.
package banlisttest

import (
	"net/http"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
)

// T0 is when the bans of Test are made; Test's unbans come a minute later.
var T0 = time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)

// Banned returns a user.banned of userID, for good, from auth at the time at.
func Banned(tb testing.TB, userID string, at time.Time) event.Event {
	tb.Helper()
	ev := eventingtest.Event(tb, eventing.NewUserBanned, eventing.UserBanned{UserID: userID})
	ev.SetTime(at)
	return ev
}

// Unbanned returns a user.unbanned of userID, from auth at the time at.
func Unbanned(tb testing.TB, userID string, at time.Time) event.Event {
	tb.Helper()
	ev := eventingtest.Event(tb, eventing.NewUserUnbanned, eventing.UserUnbanned{UserID: userID})
	ev.SetTime(at)
	return ev
}

// Function is a function under test as Test reaches it.
type Function struct {
	// Receiver delivers events to the function's /events.
	Receiver eventingtest.Receiver
	// Ask sends one request of the function's API as userID, signed in
	// with a valid session, and returns the answer, failing tb when it
	// cannot be sent. Any request a signed-in user may make will do, so
	// long as the function answers it the same way each time for a user
	// who is not banned, and not 403.
	Ask func(tb testing.TB, userID string) httpxtest.Response
}

// Test checks, in subtests of t, each about users of its own, that the
// function's API refuses a banned user with 403 Account suspended and no
// one else; that a duplicate delivery of a ban changes nothing more; that
// of a ban and an unban, the later by time wins whichever is delivered
// first; and that an unban gives the user their access back.
func Test(t *testing.T, f Function) {
	t.Helper()
	later := T0.Add(time.Minute)
	t.Run("a ban refuses the user and no one else", func(t *testing.T) {
		c := f.check(t, "banned-1", "bystander-1")
		c.deliver(Banned(t, "banned-1", T0))
		c.wantSuspended("banned-1")
		c.wantServed("bystander-1")
	})
	t.Run("a duplicate ban changes nothing more", func(t *testing.T) {
		c := f.check(t, "banned-2")
		ban := Banned(t, "banned-2", T0)
		c.deliver(ban)
		c.deliver(ban)
		c.wantSuspended("banned-2")
		c.deliver(Unbanned(t, "banned-2", later))
		c.deliver(ban) // a late duplicate, taken and ignored
		c.wantServed("banned-2")
	})
	t.Run("an unban delivered before its older ban leaves the user unbanned", func(t *testing.T) {
		c := f.check(t, "banned-3")
		c.deliver(Unbanned(t, "banned-3", later))
		c.deliver(Banned(t, "banned-3", T0))
		c.wantServed("banned-3")
	})
	t.Run("an unban restores access", func(t *testing.T) {
		c := f.check(t, "banned-4")
		c.deliver(Banned(t, "banned-4", T0))
		c.wantSuspended("banned-4")
		c.deliver(Unbanned(t, "banned-4", later))
		c.wantServed("banned-4")
	})
}

// check is one subtest of Test: the function, and how it answered each of
// the subtest's users before any event about them.
type check struct {
	tb     testing.TB
	f      Function
	before map[string]int
}

// check asks the function as each of users, before anything happens to
// them, and remembers the answers.
func (f Function) check(tb testing.TB, users ...string) *check {
	tb.Helper()
	f.Receiver.TB = tb // the subtest's, so that a failure stops it alone
	c := &check{tb: tb, f: f, before: map[string]int{}}
	for _, u := range users {
		res := f.Ask(tb, u)
		if res.Code == http.StatusForbidden {
			tb.Fatalf("%s, not banned, answered 403 %s", u, res.Body)
		}
		c.before[u] = res.Code
	}
	return c
}

// deliver delivers ev and fails unless the function takes it (200), as it
// takes every ban event, new, duplicate or overtaken.
func (c *check) deliver(ev event.Event) {
	c.tb.Helper()
	c.f.Receiver.MustDeliver(ev)
}

func (c *check) wantSuspended(u string) {
	c.tb.Helper()
	httpxtest.WantErrors(c.tb, c.f.Ask(c.tb, u), http.StatusForbidden, httpx.ErrorItem{Message: "Account suspended"})
}

func (c *check) wantServed(u string) {
	c.tb.Helper()
	if res := c.f.Ask(c.tb, u); res.Code != c.before[u] {
		c.tb.Errorf("%s answered %d %s, want %d as before the ban", u, res.Code, res.Body, c.before[u])
	}
}
