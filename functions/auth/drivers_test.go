package auth_test

import (
	"net/http"
	"testing"

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
	})
}
