package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/buytickets/buytickets/shared/testenv"
)

// runMainEnv makes the test binary run main instead of the tests, so a test
// can watch the real process start and stop.
const runMainEnv = "AUTH_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		os.Exit(0)
	}
	testenv.Main(m)
}

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
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append([]string{runMainEnv + "=1"}, tc.env...)
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("exit %v, want status 1", err)
			}
			if stderr.String() != tc.want || stdout.Len() > 0 {
				t.Errorf("stderr %q, stdout %q; want stderr %q only", stderr.String(), stdout.String(), tc.want)
			}
		})
	}
}

func TestServesOnFirestoreUntilCancelled(t *testing.T) {
	host := testenv.FirestoreEmulator(t)
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PORT", fmt.Sprint(port))
	t.Setenv("JWT_KEY", strings.Repeat("k", 32))
	t.Setenv("GOOGLE_CLOUD_PROJECT", testenv.UniqueID("auth-main"))
	t.Setenv("FIRESTORE_DATABASE", "auth")
	t.Setenv("FIRESTORE_EMULATOR_HOST", host)
	t.Setenv("LOG_LEVEL", "error")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- realMain(ctx) }()

	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-done:
			t.Fatalf("realMain returned before serving: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("not healthy after 30s")
		}
	}

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

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("realMain after cancel: %v, want nil", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("realMain did not return after cancel")
	}
}
