package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/eventing/outbox"
	"github.com/buytickets/buytickets/functions/auth/internal/account"
	"github.com/buytickets/buytickets/functions/auth/internal/session"
	authstore "github.com/buytickets/buytickets/functions/auth/internal/store"
	"github.com/buytickets/buytickets/shared/apperr"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/storetest"
	"github.com/buytickets/buytickets/shared/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

const lifetime = 7 * 24 * time.Hour

// eachDriver runs fn as a parallel subtest on every driver, with a Store
// whose outbox is never relayed, so what it holds can be counted.
func eachDriver(t *testing.T, fn func(t *testing.T, db store.Store, s *authstore.Store)) {
	t.Helper()
	storetest.EachStore(t, "auth", func(t *testing.T, db store.Store) {
		fn(t, db, authstore.New(db, eventingtest.Unrelayed(t, db)))
	})
}

// signup stores a new account with its first session and its
// user.registered event, as sign-up does, and returns the account and the
// session's refresh token.
func signup(tb testing.TB, s *authstore.Store, email string) (account.User, session.Refresh, error) {
	tb.Helper()
	u := account.New(email, "scrypt$hash", t0)
	_, f, r := session.Start(u.ID(), t0, lifetime)
	ev := eventingtest.Event(tb, eventing.NewUserRegistered, eventing.UserRegistered{ID: u.ID(), Email: u.Email()})
	return u, r, s.CreateUser(context.Background(), u, f, r, t0, ev)
}

// stored is what one account holds once signed up with tokens refresh
// tokens: its user, email, session, and the event of its sign-up.
func stored(tokens int) map[string]int {
	return map[string]int{authstore.Users: 1, authstore.Emails: 1, authstore.RefreshFamilies: 1, authstore.RefreshTokens: tokens, outbox.Collection: 1}
}

func wantCounts(tb testing.TB, db store.Store, want map[string]int) {
	tb.Helper()
	storetest.WantCounts(tb, db, authstore.Collections(), want)
}

// wantRegistered fails unless the outbox holds exactly the user.registered
// of u, carrying its id and email.
func wantRegistered(tb testing.TB, db store.Store, u account.User) {
	tb.Helper()
	recorded := eventingtest.Recorded(tb, db)
	if len(recorded) != 1 {
		tb.Fatalf("the outbox holds %d events, want the one user.registered of %s", len(recorded), u.ID())
	}
	ev := recorded[0]
	got := eventingtest.Decode[eventing.UserRegistered](tb, ev)
	if ev.Type() != eventing.TypeUserRegistered || ev.Subject() != u.ID() || got != (eventing.UserRegistered{ID: u.ID(), Email: u.Email()}) {
		tb.Errorf("the outbox holds %s about %s with %+v, want user.registered of %s %s", ev.Type(), ev.Subject(), got, u.ID(), u.Email())
	}
}

func TestCreatedUserIsStoredWithItsEventAndFoundByEmail(t *testing.T) {
	t.Parallel()
	eachDriver(t, func(t *testing.T, db store.Store, s *authstore.Store) {
		u, _, err := signup(t, s, "a/b@example.com") // a slash cannot be in an id
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.UserByEmail(context.Background(), "a/b@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID() != u.ID() || got.Email() != u.Email() || got.PasswordHash() != u.PasswordHash() || !got.CreatedAt().Equal(u.CreatedAt()) {
			t.Errorf("UserByEmail = %+v, want %+v", got, u)
		}
		if _, err := s.UserByEmail(context.Background(), "nobody@example.com"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("UserByEmail(unknown) = %v, want ErrNotFound", err)
		}
		wantCounts(t, db, stored(1))
		wantRegistered(t, db, u)
	})
}

func TestDuplicateEmailIsRefusedAndWritesNothing(t *testing.T) {
	t.Parallel()
	eachDriver(t, func(t *testing.T, db store.Store, s *authstore.Store) {
		first, _, err := signup(t, s, "bob@example.com")
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = signup(t, s, "bob@example.com")
		if !errors.Is(err, account.ErrEmailInUse) || apperr.KindOf(err) != apperr.Invalid {
			t.Fatalf("second CreateUser = %v, want ErrEmailInUse", err)
		}
		wantCounts(t, db, stored(1))
		wantRegistered(t, db, first)
	})
}

func TestRacingSignupsWithOneEmailCreateOneAccount(t *testing.T) {
	t.Parallel()
	eachDriver(t, func(t *testing.T, db store.Store, s *authstore.Store) {
		const n = 20
		users := make([]account.User, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { users[i], _, errs[i] = signup(t, s, "race@example.com") })
		}
		wg.Wait()
		var created []account.User
		for i, err := range errs {
			switch {
			case err == nil:
				created = append(created, users[i])
			case !errors.Is(err, account.ErrEmailInUse):
				t.Errorf("CreateUser = %v, want nil or ErrEmailInUse", err)
			}
		}
		if len(created) != 1 {
			t.Fatalf("%d sign-ups succeeded, want exactly 1", len(created))
		}
		wantCounts(t, db, stored(1))
		wantRegistered(t, db, created[0]) // the losers' events were never recorded
	})
}

func TestRotateChainsTokensAndRevokesTheFamilyOnReuse(t *testing.T) {
	t.Parallel()
	eachDriver(t, func(t *testing.T, db store.Store, s *authstore.Store) {
		ctx := context.Background()
		u, first, err := signup(t, s, "bob@example.com")
		if err != nil {
			t.Fatal(err)
		}
		_, secondID := session.NewSecret()
		rot, err := s.Rotate(ctx, first.ID, secondID, t0.Add(time.Hour), lifetime)
		if err != nil {
			t.Fatalf("Rotate(first): %v", err)
		}
		if rot.User.ID() != u.ID() || rot.User.Email() != u.Email() || rot.Next.ID != secondID ||
			rot.Next.FamilyID != first.FamilyID || !rot.Next.ExpiresAt.Equal(t0.Add(time.Hour+lifetime)) {
			t.Errorf("Rotate = %+v", rot)
		}
		_, thirdID := session.NewSecret()
		rot, err = s.Rotate(ctx, secondID, thirdID, t0.Add(2*time.Hour), lifetime)
		if err != nil || rot.Next.ID != thirdID {
			t.Fatalf("Rotate(second) = %+v, %v", rot, err)
		}

		// The first token again: a reuse, refused, and the family revoked for good.
		_, otherID := session.NewSecret()
		if _, err := s.Rotate(ctx, first.ID, otherID, t0.Add(3*time.Hour), lifetime); !errors.Is(err, session.ErrReused) ||
			apperr.KindOf(err) != apperr.Unauthorized {
			t.Fatalf("Rotate(first) again = %v, want ErrReused", err)
		}
		if _, err := s.Rotate(ctx, thirdID, otherID, t0.Add(3*time.Hour), lifetime); !errors.Is(err, session.ErrRevoked) {
			t.Errorf("Rotate(latest) after a reuse = %v, want ErrRevoked", err)
		}
		wantCounts(t, db, stored(3))
	})
}

func TestRotateRefusesUnknownAndExpiredTokens(t *testing.T) {
	t.Parallel()
	eachDriver(t, func(t *testing.T, db store.Store, s *authstore.Store) {
		ctx := context.Background()
		_, first, err := signup(t, s, "bob@example.com")
		if err != nil {
			t.Fatal(err)
		}
		_, nextID := session.NewSecret()
		_, unknownID := session.NewSecret()
		if _, err := s.Rotate(ctx, unknownID, nextID, t0, lifetime); !errors.Is(err, session.ErrUnknown) ||
			apperr.KindOf(err) != apperr.Unauthorized {
			t.Errorf("Rotate(unknown) = %v, want ErrUnknown", err)
		}
		if _, err := s.Rotate(ctx, first.ID, nextID, first.ExpiresAt, lifetime); !errors.Is(err, session.ErrExpired) {
			t.Errorf("Rotate at expiry = %v, want ErrExpired", err)
		}
		// Refusals write nothing: the token still rotates before its expiry.
		if _, err := s.Rotate(ctx, first.ID, nextID, first.ExpiresAt.Add(-time.Second), lifetime); err != nil {
			t.Errorf("Rotate before expiry = %v", err)
		}
	})
}

func TestRevokeEndsOneSessionOnly(t *testing.T) {
	t.Parallel()
	eachDriver(t, func(t *testing.T, db store.Store, s *authstore.Store) {
		ctx := context.Background()
		u, phone, err := signup(t, s, "bob@example.com")
		if err != nil {
			t.Fatal(err)
		}
		_, f, laptop := session.Start(u.ID(), t0, lifetime)
		if err := s.StartSession(ctx, f, laptop, t0); err != nil {
			t.Fatal(err)
		}
		for range 2 { // signing out twice is signing out
			if err := s.Revoke(ctx, phone.ID, t0); err != nil {
				t.Fatalf("Revoke: %v", err)
			}
		}
		_, unknownID := session.NewSecret()
		if err := s.Revoke(ctx, unknownID, t0); err != nil {
			t.Errorf("Revoke(unknown) = %v, want nil", err)
		}
		_, nextID := session.NewSecret()
		if _, err := s.Rotate(ctx, phone.ID, nextID, t0, lifetime); !errors.Is(err, session.ErrRevoked) {
			t.Errorf("Rotate(revoked) = %v, want ErrRevoked", err)
		}
		if _, err := s.Rotate(ctx, laptop.ID, nextID, t0, lifetime); err != nil {
			t.Errorf("Rotate(other session) = %v, want nil", err)
		}
	})
}
