package stack_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/buytickets/buytickets/cmd/buytickets/stack"
)

// start runs a stack on a free port for one test, with a cheap password cost.
func start(t *testing.T, dataDir string, replicas int) *stack.Stack {
	t.Helper()
	s, err := stack.Start(context.Background(), stack.Options{
		DataDir:      dataDir,
		Replicas:     map[string]int{"auth": replicas},
		PasswordCost: 1 << 10,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// client is a browser-like client with its own cookie jar.
func client(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar}
}

func post(t *testing.T, c *http.Client, url, body string) (int, string) {
	t.Helper()
	resp, err := c.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func currentEmail(t *testing.T, c *http.Client, base string) string {
	t.Helper()
	resp, err := c.Get(base + "/api/users/currentuser")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		CurrentUser *struct {
			Email string `json:"email"`
		} `json:"currentUser"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if body.CurrentUser == nil {
		return ""
	}
	return body.CurrentUser.Email
}

func TestSignedUpUserIsKnownToEveryReplica(t *testing.T) {
	t.Parallel()
	s := start(t, t.TempDir(), 3)
	c := client(t)
	if status, body := post(t, c, s.URL()+"/api/users/signup", `{"email":"Ada@Example.com","password":"correct horse"}`); status != http.StatusCreated {
		t.Fatalf("signup = %d %s", status, body)
	}
	// Round robin over three replicas: these land on each of them.
	for i := range 3 {
		if got := currentEmail(t, c, s.URL()); got != "ada@example.com" {
			t.Errorf("currentuser #%d = %q, want ada@example.com", i, got)
		}
	}
	other := client(t)
	for i := range 3 {
		if status, body := post(t, other, s.URL()+"/api/users/signin", `{"email":"ada@example.com","password":"correct horse"}`); status != http.StatusOK {
			t.Errorf("signin #%d = %d %s", i, status, body)
		}
	}
}

func TestRouterAnswersUnknownAPIPathsInTheErrorShape(t *testing.T) {
	t.Parallel()
	s := start(t, t.TempDir(), 1)
	// Every other path belongs to the storefront; GET /api/users is the
	// admins' lookup (401 signed out), not unknown.
	for _, path := range []string{"/api/unknown", "/api/users/nope", "/api/users/nope/deeper"} {
		resp, err := http.Get(s.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(b), `"errors":[{"message":"Not found"}]`) {
			t.Errorf("GET %s = %d %s, want 404 in the error shape", path, resp.StatusCode, b)
		}
	}
}

func TestRestartKeepsUsersAndSessions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := start(t, dir, 1)
	c := client(t)
	if status, body := post(t, c, s.URL()+"/api/users/signup", `{"email":"grace@example.com","password":"hopper1906"}`); status != http.StatusCreated {
		t.Fatalf("signup = %d %s", status, body)
	}
	oldURL := s.URL()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	info, err := os.Stat(filepath.Join(dir, "jwt.key"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("generated key file: %v, mode %v; want private to its owner", err, info.Mode().Perm())
	}

	s = start(t, dir, 1)
	// The cookie jar is keyed by host, and the new router has a new port.
	for _, ck := range c.Jar.Cookies(mustURL(t, oldURL)) {
		c.Jar.SetCookies(mustURL(t, s.URL()), []*http.Cookie{ck})
	}
	if got := currentEmail(t, c, s.URL()); got != "grace@example.com" {
		t.Errorf("session after restart belongs to %q, want grace@example.com", got)
	}
	if status, body := post(t, client(t), s.URL()+"/api/users/signin", `{"email":"grace@example.com","password":"hopper1906"}`); status != http.StatusOK {
		t.Errorf("signin after restart = %d %s", status, body)
	}
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
