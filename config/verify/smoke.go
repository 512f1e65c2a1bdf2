package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"
)

// Config is the smoke test's settings, from the environment.
type Config struct {
	// BaseURL is the public origin of the API, e.g. https://staging.buytickets.dev.
	BaseURL string
	// Timeout bounds every attempt together (TIMEOUT, a Go duration, default 10m).
	Timeout time.Duration
}

// configFromEnv reads Config with getenv and refuses a missing or malformed
// setting.
func configFromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{BaseURL: strings.TrimSuffix(getenv("BASE_URL"), "/"), Timeout: 10 * time.Minute}
	u, err := url.Parse(cfg.BaseURL)
	if cfg.BaseURL == "" || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return Config{}, fmt.Errorf("BASE_URL %q: an http or https origin is required", cfg.BaseURL)
	}
	if s := getenv("TIMEOUT"); s != "" {
		if cfg.Timeout, err = time.ParseDuration(s); err != nil || cfg.Timeout <= 0 {
			return Config{}, fmt.Errorf("TIMEOUT %q: a positive Go duration is required", s)
		}
	}
	return cfg, nil
}

// Smoke checks the public API at BaseURL with Client.
type Smoke struct {
	BaseURL string
	Client  *http.Client
}

// user is what sign-up and currentuser answer about a user.
type user struct {
	ID    string `json:"id"`
	Email string `json:"email"`
}

// Run signs up a new user with a fresh session, lists the tickets and
// checks that GET /api/users/currentuser answers that user. Each run uses
// its own address, so it never collides with an earlier run.
func (s *Smoke) Run(ctx context.Context) error {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return fmt.Errorf("cookiejar.New: %w", err)
	}
	client := *s.Client
	client.Jar = jar

	email := "smoke-" + strings.ToLower(rand.Text()) + "@example.com"
	body, _ := json.Marshal(map[string]string{"email": email, "password": rand.Text()})
	var signedUp user
	if err := s.call(ctx, &client, http.MethodPost, "/api/users/signup", body, http.StatusCreated, &signedUp); err != nil {
		return err
	}
	if signedUp.Email != email || signedUp.ID == "" {
		return fmt.Errorf("POST /api/users/signup: answered %+v, want a user with id and email %s", signedUp, email)
	}

	var tickets []json.RawMessage
	if err := s.call(ctx, &client, http.MethodGet, "/api/tickets", nil, http.StatusOK, &tickets); err != nil {
		return err
	}

	var current struct {
		CurrentUser *user `json:"currentUser"`
	}
	if err := s.call(ctx, &client, http.MethodGet, "/api/users/currentuser", nil, http.StatusOK, &current); err != nil {
		return err
	}
	if current.CurrentUser == nil || *current.CurrentUser != signedUp {
		return fmt.Errorf("GET /api/users/currentuser: answered %+v, want the user signed up, %+v", current.CurrentUser, signedUp)
	}
	return nil
}

// call sends one request and decodes a JSON answer of status want into out.
func (s *Smoke) call(ctx context.Context, client *http.Client, method, path string, body []byte, want int, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, s.BaseURL+path, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: status %d, want %d: %.200s", method, path, resp.StatusCode, want, data)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// Retry calls run until it succeeds, waiting pause between attempts, and
// gives up with the last failure when ctx is done.
func Retry(ctx context.Context, pause time.Duration, run func(context.Context) error) error {
	for {
		err := run(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(pause):
		}
	}
}
