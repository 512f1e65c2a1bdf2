package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAPI plays the routes of DESIGN.md §3 that the smoke test calls: a
// sign-up that sets a session cookie, the ticket list, and currentuser
// reading the cookie back. fault names one behaviour to get wrong.
type fakeAPI struct {
	fault string

	mu    sync.Mutex
	users map[string]user // by session cookie value
}

func (f *fakeAPI) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/users/signup", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, `{"errors":[{"message":"Unsupported media type"}]}`, http.StatusUnsupportedMediaType)
			return
		}
		var in struct{ Email, Password string }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || !strings.Contains(in.Email, "@") || len(in.Password) < 8 || len(in.Password) > 72 {
			http.Error(w, `{"errors":[{"message":"Invalid","field":"email"}]}`, http.StatusBadRequest)
			return
		}
		u := user{ID: "u-" + in.Email, Email: in.Email}
		f.mu.Lock()
		session := "s" + string(rune('a'+len(f.users)))
		f.users[session] = u
		f.mu.Unlock()
		if f.fault != "no-cookie" {
			http.SetCookie(w, &http.Cookie{Name: "session", Value: session, Path: "/", HttpOnly: true})
		}
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(u)
	})
	mux.HandleFunc("GET /api/tickets", func(w http.ResponseWriter, r *http.Request) {
		if f.fault == "tickets-down" {
			http.Error(w, `{"errors":[{"message":"Service unavailable"}]}`, http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`[{"id":"t1","title":"Concert","price":10,"status":"available"}]`))
	})
	mux.HandleFunc("GET /api/users/currentuser", func(w http.ResponseWriter, r *http.Request) {
		var current *user
		if c, err := r.Cookie("session"); err == nil {
			f.mu.Lock()
			if u, ok := f.users[c.Value]; ok {
				current = &u
			}
			f.mu.Unlock()
		}
		json.NewEncoder(w).Encode(map[string]*user{"currentUser": current})
	})
	return mux
}

func serve(tb testing.TB, api *fakeAPI) *Smoke {
	tb.Helper()
	api.users = map[string]user{}
	srv := httptest.NewServer(api.routes())
	tb.Cleanup(srv.Close)
	return &Smoke{BaseURL: srv.URL, Client: srv.Client()}
}

func TestSmokePassesAgainstTheAPI(t *testing.T) {
	t.Parallel()
	api := &fakeAPI{}
	s := serve(t, api)
	for range 2 { // a second run signs up another user
		if err := s.Run(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if len(api.users) != 2 {
		t.Errorf("%d users signed up, want 2 (one per run)", len(api.users))
	}
}

func TestSmokeFailsWhenTheAPIMisbehaves(t *testing.T) {
	t.Parallel()
	tests := []struct{ fault, want string }{
		{"no-cookie", "GET /api/users/currentuser: answered <nil>"},
		{"tickets-down", "GET /api/tickets: status 503, want 200"},
	}
	for _, tt := range tests {
		t.Run(tt.fault, func(t *testing.T) {
			t.Parallel()
			err := serve(t, &fakeAPI{fault: tt.fault}).Run(t.Context())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Run() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestSmokeFailsWhenNothingAnswers(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	err := (&Smoke{BaseURL: srv.URL, Client: http.DefaultClient}).Run(t.Context())
	if err == nil || !strings.Contains(err.Error(), "POST /api/users/signup") {
		t.Errorf("Run() = %v, want the sign-up's failure", err)
	}
}

func TestRetryUntilSuccessOrDeadline(t *testing.T) {
	t.Parallel()
	calls := 0
	err := Retry(t.Context(), time.Millisecond, func(context.Context) error {
		if calls++; calls < 3 {
			return errors.New("not yet")
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Errorf("Retry() = %v after %d calls, want success after 3", err, calls)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	err = Retry(ctx, time.Millisecond, func(context.Context) error { return errors.New("still down") })
	if err == nil || !strings.Contains(err.Error(), "still down") || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Retry() = %v, want the last failure and the deadline", err)
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Parallel()
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cfg, err := configFromEnv(env(map[string]string{"BASE_URL": "https://staging.buytickets.dev/", "TIMEOUT": "2m"}))
	if err != nil || cfg.BaseURL != "https://staging.buytickets.dev" || cfg.Timeout != 2*time.Minute {
		t.Errorf("configFromEnv() = %+v, %v", cfg, err)
	}
	for _, bad := range []map[string]string{
		{},
		{"BASE_URL": "staging.buytickets.dev"},
		{"BASE_URL": "https://staging.buytickets.dev", "TIMEOUT": "soon"},
		{"BASE_URL": "https://staging.buytickets.dev", "TIMEOUT": "-1s"},
	} {
		if _, err := configFromEnv(env(bad)); err == nil {
			t.Errorf("configFromEnv(%v) succeeded, want a refusal", bad)
		}
	}
}
