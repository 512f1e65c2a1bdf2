package banlist_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/banlist"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/eventing/receive"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/storetest"
	"github.com/buytickets/buytickets/shared/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var t0 = time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)

// banned is a user.banned of u at the time at, to last until until (for
// good when zero).
func banned(tb testing.TB, u string, at, until time.Time) event.Event {
	p := eventing.UserBanned{UserID: u}
	if !until.IsZero() {
		p.Until = &until
	}
	ev := eventingtest.Event(tb, eventing.NewUserBanned, p)
	ev.SetTime(at)
	return ev
}

// unbanned is a user.unbanned of u at the time at.
func unbanned(tb testing.TB, u string, at time.Time) event.Event {
	ev := eventingtest.Event(tb, eventing.NewUserUnbanned, eventing.UserUnbanned{UserID: u})
	ev.SetTime(at)
	return ev
}

// list is a function's ban list on db, whose hooks count the changes.
type list struct {
	*banlist.List
	db          store.Store
	apply       receive.Func
	bans, lifts map[string]int
	now         time.Time
}

func newList(db store.Store) *list {
	l := &list{db: db, bans: map[string]int{}, lifts: map[string]int{}, now: t0}
	l.List = banlist.New(db, func() time.Time { return l.now })
	l.apply = receive.Table(banlist.Routes(banlist.Hooks{
		Banned:   func(_ context.Context, _ store.Tx, u string) error { l.bans[u]++; return nil },
		Unbanned: func(_ context.Context, _ store.Tx, u string) error { l.lifts[u]++; return nil },
	})...)
	return l
}

// receive applies the events, one transaction each, as receive.Handler does.
func (l *list) receive(tb testing.TB, evs ...event.Event) {
	tb.Helper()
	for _, ev := range evs {
		if err := l.db.RunTransaction(context.Background(), func(ctx context.Context, tx store.Tx) error {
			return l.apply(ctx, tx, ev)
		}); err != nil {
			tb.Fatalf("%s: %v", ev.Type(), err)
		}
	}
}

func (l *list) banned(tb testing.TB, u string) bool {
	tb.Helper()
	b, err := l.Banned(context.Background(), u)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestTheLaterEventAboutAUserWinsWhateverTheOrderOfDelivery(t *testing.T) {
	t.Parallel()
	storetest.EachStore(t, "eventing", func(t *testing.T, db store.Store) {
		// Each case is about a user of its own, on the one database.
		ban := func(u string) event.Event { return banned(t, u, t0, time.Time{}) }
		lift := func(u string) event.Event { return unbanned(t, u, t0.Add(time.Minute)) }
		banAgain := func(u string) event.Event { return banned(t, u, t0.Add(time.Hour), time.Time{}) }
		tests := []struct {
			name       string
			deliveries func(u string) []event.Event
			want       bool
			bans       int
			lifts      int
		}{
			{"a ban", func(u string) []event.Event { return []event.Event{ban(u)} }, true, 1, 0},
			{"a ban delivered twice", func(u string) []event.Event { b := ban(u); return []event.Event{b, b} }, true, 1, 0},
			{"a ban, then its lifting", func(u string) []event.Event { return []event.Event{ban(u), lift(u)} }, false, 1, 1},
			{"the lifting overtakes the ban", func(u string) []event.Event { return []event.Event{lift(u), ban(u)} }, false, 0, 1},
			{"a new ban after the lifting", func(u string) []event.Event { return []event.Event{ban(u), lift(u), banAgain(u)} }, true, 2, 1},
		}
		l := newList(db)
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				u := fmt.Sprintf("user%d", i)
				l.receive(t, tc.deliveries(u)...)
				if got := l.banned(t, u); got != tc.want {
					t.Errorf("banned = %v, want %v", got, tc.want)
				}
				if l.bans[u] != tc.bans || l.lifts[u] != tc.lifts {
					t.Errorf("the function acted on %d bans and %d liftings, want %d and %d", l.bans[u], l.lifts[u], tc.bans, tc.lifts)
				}
				if l.banned(t, "nobody") {
					t.Error("a user never banned is banned")
				}
			})
		}
	})
}

func TestABanWithAnEndLapsesThen(t *testing.T) {
	t.Parallel()
	l := newList(storetest.OpenTempSQLite(t, "eventing"))
	l.receive(t, banned(t, "u1", t0, t0.Add(24*time.Hour)))
	if !l.banned(t, "u1") {
		t.Error("not banned during the ban")
	}
	l.now = t0.Add(24 * time.Hour)
	if l.banned(t, "u1") {
		t.Error("still banned once the ban ended")
	}
}

func TestABanEventNamingNoUserIsRefused(t *testing.T) {
	t.Parallel()
	l := newList(storetest.OpenTempSQLite(t, "eventing"))
	err := l.db.RunTransaction(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return l.apply(ctx, tx, banned(t, "", t0, time.Time{}))
	})
	if err == nil {
		t.Fatal("a ban of no user was taken")
	}
}

func TestGuardRefusesOnlyABannedUsersRequests(t *testing.T) {
	t.Parallel()
	l := newList(storetest.OpenTempSQLite(t, "eventing"))
	l.receive(t, banned(t, "u1", t0, time.Time{}))
	h := l.Guard(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	tests := []struct {
		name    string
		as      string
		code    int
		message string
	}{
		{"a banned user", "u1", http.StatusForbidden, "Account suspended"},
		{"another user", "u2", http.StatusNoContent, ""},
		{"signed out", "", http.StatusNoContent, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(http.MethodGet, "/api/orders", nil)
			if tc.as != "" {
				req = req.WithContext(sharedauth.WithUser(req.Context(), sharedauth.User{ID: tc.as}))
			}
			res := httpxtest.Serve(h, req)
			if tc.message != "" {
				httpxtest.WantErrors(t, res, tc.code, httpx.ErrorItem{Message: tc.message})
			} else if res.Code != tc.code {
				t.Errorf("answered %d %s, want %d", res.Code, res.Body, tc.code)
			}
		})
	}
}

// TestAHookMayReadBeforeItWrites holds the promise that lets a function
// cancel a banned user's orders in the receipt's transaction: the hook
// runs before the list writes, so its reads come before any write, as both
// drivers demand.
func TestAHookMayReadBeforeItWrites(t *testing.T) {
	t.Parallel()
	storetest.EachStore(t, "eventing", func(t *testing.T, db store.Store) {
		type note struct {
			Seen int `store:"seen"`
		}
		hook := func(_ context.Context, tx store.Tx, u string) error {
			var n note
			if err := tx.Get("notes", u, &n); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			if _, err := tx.Query("notes", store.Query{}); err != nil {
				return err
			}
			n.Seen++
			return tx.Set("notes", u, n)
		}
		apply := receive.Table(banlist.Routes(banlist.Hooks{Banned: hook, Unbanned: hook})...)
		for _, ev := range []event.Event{banned(t, "u1", t0, time.Time{}), unbanned(t, "u1", t0.Add(time.Minute))} {
			if err := db.RunTransaction(context.Background(), func(ctx context.Context, tx store.Tx) error {
				return apply(ctx, tx, ev)
			}); err != nil {
				t.Fatalf("%s: %v", ev.Type(), err)
			}
		}
		var n note
		if err := db.Get(context.Background(), "notes", "u1", &n); err != nil || n.Seen != 2 {
			t.Errorf("the hooks ran %d times (%v), want 2", n.Seen, err)
		}
	})
}
