package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/buytickets/buytickets/shared/testenv"
)

func TestMain(m *testing.M) { testenv.MainOr(m, main) }

func TestAMissingSettingStopsTheStartWithOneLine(t *testing.T) {
	t.Parallel()
	required := testenv.Settings{"JWT_KEY=" + testenv.JWTKey, "GOOGLE_CLOUD_PROJECT=p"}
	testenv.CommandFailsEach(t, required.Refusals("auth", map[string]string{
		"JWT_KEY=too-short-to-sign": "config: JWT_KEY must be at least 32 bytes",
		"COOKIE_INSECURE=maybe":     "config: invalid COOKIE_INSECURE: must be true or false",
	}))
}

func TestServesOnFirestoreUntilCancelled(t *testing.T) {
	t.Setenv("JWT_KEY", testenv.JWTKey)
	testenv.SetFirestoreEnv(t, "auth")

	cmd := testenv.ServeCommand(t, realMain)
	base := cmd.URL

	// One sign-up at the production cost, into Firestore.
	res, err := http.Post(base+"/api/users/signup", "application/json",
		strings.NewReader(`{"email":"bob@example.com","password":"correct horse"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Errorf("signup: %d, want 201", res.StatusCode)
	}
	for _, c := range res.Cookies() {
		if !c.Secure {
			t.Errorf("cookie %s is not Secure without COOKIE_INSECURE", c.Name)
		}
	}

	cmd.Stop()
}
