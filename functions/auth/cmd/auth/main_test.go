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
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"no settings", nil, "auth: config: missing required settings JWT_KEY, GOOGLE_CLOUD_PROJECT\n"},
		{"no JWT key", []string{"GOOGLE_CLOUD_PROJECT=p"}, "auth: config: missing required setting JWT_KEY\n"},
		{"short JWT key", []string{"GOOGLE_CLOUD_PROJECT=p", "JWT_KEY=too-short-to-sign"},
			"auth: config: JWT_KEY must be at least 32 bytes\n"},
		{"bad COOKIE_INSECURE", []string{"GOOGLE_CLOUD_PROJECT=p", "JWT_KEY=" + strings.Repeat("k", 32), "COOKIE_INSECURE=maybe"},
			"auth: config: invalid COOKIE_INSECURE: must be true or false\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			testenv.CommandFails(t, tc.want, tc.env...)
		})
	}
}

func TestServesOnFirestoreUntilCancelled(t *testing.T) {
	host := testenv.FirestoreEmulator(t)
	t.Setenv("JWT_KEY", strings.Repeat("k", 32))
	t.Setenv("GOOGLE_CLOUD_PROJECT", testenv.UniqueID("auth-main"))
	t.Setenv("FIRESTORE_DATABASE", "auth")
	t.Setenv("FIRESTORE_EMULATOR_HOST", host)
	t.Setenv("LOG_LEVEL", "error")

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
