// Package auth is the accounts function: sign-up, sign-in, sign-out, the
// current user and the refresh of a session (DESIGN §3–4).
//
// It issues the access token every function verifies locally (shared/auth)
// and keeps the refresh tokens, hashed, in its own store. New builds the
// function from its Config and Deps; Handler is its whole HTTP surface, which
// cmd/auth serves alone and cmd/buytickets mounts with the others.
package auth

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/buytickets/buytickets/functions/auth/internal/password"
	"github.com/buytickets/buytickets/functions/auth/internal/session"
	authstore "github.com/buytickets/buytickets/functions/auth/internal/store"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
	"github.com/buytickets/buytickets/shared/store"
)

// Config is the auth function's settings. JWTKey and CookieInsecure come
// from the environment (DESIGN §7); the other fields are for code that builds
// a Config (tests, the embedded stack), and their zero value is the default
// of DESIGN §4.
type Config struct {
	// JWTKey is the HS256 secret that signs access tokens (JWT_KEY), at
	// least 32 bytes.
	JWTKey string `env:"JWT_KEY" required:"true"`
	// CookieInsecure drops the Secure flag of the session cookies
	// (COOKIE_INSECURE=true), for plain-HTTP loopback only.
	CookieInsecure bool `env:"COOKIE_INSECURE"`
	// AccessLifetime is how long an access token lives; 15 minutes when zero.
	AccessLifetime time.Duration
	// RefreshLifetime is how long a refresh token lives; 7 days when zero.
	RefreshLifetime time.Duration
	// PasswordCost is scrypt's N for new password hashes, a power of two;
	// 2^17 when zero. Tests use a cheap one such as 2^10.
	PasswordCost int
}

// Validate reports a JWT key too short to sign with, naming the setting but
// not its value.
func (c *Config) Validate() error {
	if err := sharedauth.CheckKey(c.JWTKey); err != nil {
		return err
	}
	if c.AccessLifetime < 0 || c.RefreshLifetime < 0 || c.PasswordCost < 0 {
		return errors.New("auth lifetimes and password cost must not be negative")
	}
	return nil
}

// Deps are what the function runs on.
type Deps struct {
	// Store keeps accounts and refresh tokens; required.
	Store store.Store
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger logs each request; when nil, the logger already in the
	// request's context (or slog's default) is used.
	Logger *slog.Logger
}

// Function is the auth function, ready to serve.
type Function struct {
	store           *authstore.Store
	passwords       *password.Hasher
	tokens          *sharedauth.Tokens
	successors      session.Successors
	cookies         sharedauth.Cookies
	refreshLifetime time.Duration
	now             func() time.Time
	logger          *slog.Logger
}

// New returns the function for cfg on deps, or an error when a setting is
// unusable or the store is missing.
func New(cfg Config, deps Deps) (*Function, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("auth.New: %w", err)
	}
	if deps.Store == nil {
		return nil, errors.New("auth.New: no store")
	}
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	cost := cfg.PasswordCost
	if cost == 0 {
		cost = password.DefaultCost
	}
	hasher, err := password.NewHasher(cost)
	if err != nil {
		return nil, fmt.Errorf("auth.New: %w", err)
	}
	tokens, err := sharedauth.NewTokens(sharedauth.TokenConfig{
		Key:      []byte(cfg.JWTKey),
		Lifetime: cfg.AccessLifetime,
		Now:      now,
	})
	if err != nil {
		return nil, fmt.Errorf("auth.New: %w", err)
	}
	refresh := cfg.RefreshLifetime
	if refresh == 0 {
		refresh = sharedauth.RefreshLifetime
	}
	return &Function{
		store:           authstore.New(deps.Store),
		passwords:       hasher,
		tokens:          tokens,
		successors:      session.NewSuccessors([]byte(cfg.JWTKey)),
		cookies:         sharedauth.Cookies{Insecure: cfg.CookieInsecure, Now: now},
		refreshLifetime: refresh,
		now:             now,
		logger:          deps.Logger,
	}, nil
}

// Handler returns the function's whole HTTP surface (routes.go).
func (f *Function) Handler() http.Handler { return f.routes() }
