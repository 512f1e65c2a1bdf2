// Package banlist is a function's own copy of who is banned: fed by
// user.banned and user.unbanned, kept in the function's store so that it
// survives scale-to-zero, and read on every signed-in request so that a
// banned user is refused within moments of the ban, however long their
// access token still lives.
//
// An entry is kept for good (bans are few); an unban is kept too, as a
// tombstone, so that a ban delivered after the unban that lifted it cannot
// bring it back: of two events about one user, the later by time wins.
package banlist

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/receive"
	"github.com/buytickets/buytickets/shared/apperr"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/store"
)

// Collection holds one entry per user an admin banned, by user id.
const Collection = "bans"

// entry is a user's standing as the latest event about them said it.
type entry struct {
	Banned bool `store:"banned"`
	// Until ends the ban; zero for a ban without end.
	Until time.Time `store:"until"`
	// At is the time of the event that said it; a later event wins.
	At time.Time `store:"at"`
	// EventID breaks a tie between two events of one time.
	EventID string `store:"eventId"`
}

// later reports whether ev comes after the event that wrote e.
func (e entry) later(ev event.Event) bool {
	t := ev.Time().UTC().Truncate(time.Millisecond) // as the store keeps times
	return t.After(e.At) || (t.Equal(e.At) && ev.ID() > e.EventID)
}

// Hooks are what a function does, in the receipt's transaction, when a
// user's standing changes: cancel their orders, withdraw their listings.
// Each runs only when the event changed the list (not for a duplicate, nor
// for one overtaken by a later event), and before the list's own write, so
// that it may still read in tx (the store refuses a read after a write);
// a hook that writes must do its own reads first. Nil hooks do nothing.
type Hooks struct {
	Banned   func(ctx context.Context, tx store.Tx, userID string) error
	Unbanned func(ctx context.Context, tx store.Tx, userID string) error
}

// Routes are the receive routes of user.banned and user.unbanned, to put in
// the function's receive.Table: each records the user's standing in tx,
// then runs its hook.
func Routes(h Hooks) []receive.Route {
	return []receive.Route{
		receive.On(eventing.TypeUserBanned, func(ctx context.Context, tx store.Tx, ev event.Event, p eventing.UserBanned) error {
			e := entry{Banned: true}
			if p.Until != nil {
				e.Until = p.Until.UTC()
			}
			return record(ctx, tx, ev, p.UserID, e, h.Banned)
		}),
		receive.On(eventing.TypeUserUnbanned, func(ctx context.Context, tx store.Tx, ev event.Event, p eventing.UserUnbanned) error {
			return record(ctx, tx, ev, p.UserID, entry{}, h.Unbanned)
		}),
	}
}

// ErrNoUser refuses a ban event that names no user: no redelivery can
// mend it.
var ErrNoUser = apperr.Field("userId", "User id is required")

// record runs hook and writes e as userID's standing, said by ev, unless a
// later event about them is recorded already.
func record(ctx context.Context, tx store.Tx, ev event.Event, userID string, e entry,
	hook func(context.Context, store.Tx, string) error,
) error {
	if !store.ValidID(userID) {
		return ErrNoUser.With(fmt.Errorf("user id %q", userID))
	}
	var held entry
	switch err := tx.Get(Collection, userID, &held); {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return err
	case !held.later(ev):
		return nil
	}
	if hook != nil {
		if err := hook(ctx, tx, userID); err != nil {
			return err
		}
	}
	e.At, e.EventID = ev.Time().UTC().Truncate(time.Millisecond), ev.ID()
	return tx.Set(Collection, userID, e)
}

// List reads a function's ban list.
type List struct {
	db  store.Store
	now func() time.Time
}

// New returns the ban list kept in db, on the clock now (time.Now when nil).
func New(db store.Store, now func() time.Time) *List {
	if now == nil {
		now = time.Now
	}
	return &List{db: db, now: now}
}

// Banned reports whether userID is banned now.
func (l *List) Banned(ctx context.Context, userID string) (bool, error) {
	return l.bannedBy(func(dst any) error { return l.db.Get(ctx, Collection, userID, dst) }, userID)
}

// BannedIn reports, in tx, whether userID is banned now: for a rule that
// must see the ban in the transaction it decides in.
func (l *List) BannedIn(tx store.Tx, userID string) (bool, error) {
	return l.bannedBy(func(dst any) error { return tx.Get(Collection, userID, dst) }, userID)
}

// bannedBy reports whether userID is banned now, reading their entry with
// get (from the store, or in a transaction).
func (l *List) bannedBy(get func(dst any) error, userID string) (bool, error) {
	if !store.ValidID(userID) {
		return false, nil
	}
	var e entry
	switch err := get(&e); {
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("banlist: %w", err)
	}
	return e.banned(l.now()), nil
}

// banned reports whether e bans its user at now.
func (e entry) banned(now time.Time) bool {
	return e.Banned && (e.Until.IsZero() || now.Before(e.Until))
}

// Guard passes to next the requests of users not banned, and the signed
// out ones (the handler decides what they may do), and refuses a banned
// user's with sharedauth.ErrSuspended (403). It expects sharedauth.Middleware to have
// run.
func (l *List) Guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok := sharedauth.FromContext(r.Context())
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		switch banned, err := l.Banned(r.Context(), u.ID); {
		case err != nil:
			httpx.Error(w, r, err)
		case banned:
			httpx.Error(w, r, sharedauth.ErrSuspended)
		default:
			next.ServeHTTP(w, r)
		}
	})
}
