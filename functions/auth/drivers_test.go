package auth_test

import (
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/functions/auth"
	"github.com/buytickets/buytickets/functions/auth/internal/session"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/storetest"
)

// TestSessionLifeOnEveryDriver runs a whole account's life over HTTP on the
// embedded default's store and on production's, through the Firestore emulator.
func TestSessionLifeOnEveryDriver(t *testing.T) {
	t.Parallel()
	storetest.EachStore(t, "auth", func(t *testing.T, db store.Store) {
		f := newFn(t, withStore(db))
		phone, laptop := f.browser(), f.browser()

		id := phone.signup("Bob@Example.com", "correct horse")
		wantError(t, f.browser().post("/api/users/signup", credentials("bob@example.com", "another one")),
			http.StatusBadRequest, "Email in use", "email")
		if res := laptop.post("/api/users/signin", credentials("bob@example.com", "correct horse")); res.Code != http.StatusOK {
			t.Fatalf("signin: %d %s", res.Code, res.Body)
		}
		wantError(t, f.browser().post("/api/users/signin", credentials("bob@example.com", "wrong horse")),
			http.StatusBadRequest, "Invalid credentials", "")

		stolen := phone.cookie("refresh")
		phone.mustRefresh("refresh")
		f.clock.Advance(session.Grace) // past the grace two tabs get
		thief := f.browser().holding("refresh", stolen)
		wantError(t, thief.postEmpty("/api/users/refresh"), http.StatusUnauthorized, "Not authorized", "")
		wantError(t, phone.postEmpty("/api/users/refresh"), http.StatusUnauthorized, "Not authorized", "")

		laptop.mustRefresh("refresh of the other session")
		if me := laptop.currentUser(); me == nil || me.ID != id || me.Email != "bob@example.com" {
			t.Errorf("currentuser = %+v, want %s", me, id)
		}
		kept := laptop.cookie("refresh")
		if res := laptop.postEmpty("/api/users/signout"); res.Code != http.StatusOK {
			t.Fatalf("signout: %d %s", res.Code, res.Body)
		}
		thief.holding("refresh", kept)
		wantError(t, thief.postEmpty("/api/users/refresh"), http.StatusUnauthorized, "Not authorized", "")

		// Of the whole life, the sign-up alone is published.
		f.wantRegistered(userBody{ID: id, Email: "bob@example.com"})
	})
}

func TestNewRefusesUnusableSettings(t *testing.T) {
	t.Parallel()
	db := openSQLite(t)
	member := eventingtest.Member(t, "auth")
	good := auth.Config{JWTKey: testKey, PasswordCost: testCost}
	tests := []struct {
		name string
		cfg  auth.Config
		deps auth.Deps
	}{
		{"short JWT key", auth.Config{JWTKey: "too-short"}, auth.Deps{Store: db, Sink: "http://broker", Events: member}},
		{"negative lifetime", auth.Config{JWTKey: testKey, AccessLifetime: -time.Minute}, auth.Deps{Store: db, Sink: "http://broker", Events: member}},
		{"no store", good, auth.Deps{Sink: "http://broker", Events: member}},
		{"no sink", good, auth.Deps{Store: db, Events: member}},
		{"sink not a URL", good, auth.Deps{Store: db, Sink: "broker:8080", Events: member}},
		{"no event plane", good, auth.Deps{Store: db, Sink: "http://broker"}},
	}
	for _, tc := range tests {
		if _, err := auth.New(tc.cfg, tc.deps); err == nil {
			t.Errorf("%s: New succeeded", tc.name)
		}
	}
	if _, err := auth.New(good, auth.Deps{Store: db, Sink: "http://broker", Events: member, Logger: slog.New(slog.DiscardHandler)}); err != nil {
		t.Errorf("New with everything: %v", err)
	}
}
