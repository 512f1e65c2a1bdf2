// Package auth is the accounts function: sign-up, sign-in, sign-out, the
// current user and the refresh of a session (DESIGN §3–4).
//
// It issues the access token every function verifies locally (shared/auth)
// and keeps the refresh tokens, hashed, in its own store. A sign-up writes
// the account with the user.registered event it causes in one store
// transaction, and the function's outbox relays the event to the broker.
// New builds the function from its Config and Deps; Handler is its whole
// HTTP surface, which cmd/auth serves alone and cmd/buytickets mounts with
// the others; Run relays the outbox for as long as the function serves.
package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/buytickets/buytickets/eventing/outbox"
	"github.com/buytickets/buytickets/functions/auth/internal/account"
	"github.com/buytickets/buytickets/functions/auth/internal/password"
	"github.com/buytickets/buytickets/functions/auth/internal/session"
	authstore "github.com/buytickets/buytickets/functions/auth/internal/store"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
	"github.com/buytickets/buytickets/shared/httpx"
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
	// AdminEmails are the accounts that are admins (ADMIN_EMAILS, comma
	// separated): their access tokens carry the role, from their next
	// sign-in or refresh.
	AdminEmails []string `env:"ADMIN_EMAILS"`
	// RateLimits is "on" or "off" (RATE_LIMITS): off drops the budget of
	// sign-ins and sign-ups per client address, for load tests from one
	// host; the per-account limit on wrong passwords always holds.
	RateLimits string `env:"RATE_LIMITS" default:"on"`
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
	if _, err := adminEmails(c.AdminEmails); err != nil {
		return err
	}
	if c.RateLimits != "" && c.RateLimits != "on" && c.RateLimits != "off" {
		return errors.New("RATE_LIMITS must be on or off")
	}
	return nil
}

// withExpiries adds to opts what auth's sweep deletes once its time has
// passed: refresh tokens past their expiry, sessions a day after their
// revocation, counts of wrong passwords a day after the last, and the
// access tokens signed out once they would have expired anyway.
func withExpiries(opts outbox.Options) outbox.Options {
	opts.Expire = append(opts.Expire,
		outbox.Expiry{Collection: authstore.RefreshTokens, Field: "expiresAt"},
		outbox.Expiry{Collection: authstore.RefreshFamilies, Field: "revokedAt", After: 24 * time.Hour},
		outbox.Expiry{Collection: authstore.SigninFailures, Field: "last", After: 24 * time.Hour},
		outbox.Expiry{Collection: authstore.SignedOut, Field: "expiresAt"},
	)
	return opts
}

// AddressLimit is the budget of sign-ins and sign-ups per client address:
// ten at once, then one every six seconds.
var AddressLimit = httpx.AddressLimit{Every: 6 * time.Second, Burst: 10}

// adminEmails normalises ADMIN_EMAILS, skipping blanks, and refuses one
// that is not an email.
func adminEmails(list []string) ([]string, error) {
	var admins []string
	for _, e := range list {
		if strings.TrimSpace(e) == "" {
			continue
		}
		email, err := account.NormalizeEmail(e)
		if err != nil {
			return nil, fmt.Errorf("ADMIN_EMAILS holds %q, which is not an email address", e)
		}
		admins = append(admins, email)
	}
	return admins, nil
}

// Deps are what the function runs on. Its Store keeps the accounts, the
// refresh tokens and the outbox.
type Deps = outbox.Deps

// Function is the auth function, ready to serve.
type Function struct {
	ft              outbox.Footing
	store           *authstore.Store
	passwords       *password.Hasher
	successors      session.Successors
	cookies         sharedauth.Cookies
	refreshLifetime time.Duration
	admins          []string // normalised ADMIN_EMAILS
	// perAddress limits sign-ins and sign-ups per client address; nil
	// with RATE_LIMITS=off.
	perAddress *httpx.Limiter
}

// New returns the function for cfg on deps, or an error when a setting is
// unusable, the store is missing or the sink is no http(s) URL.
func New(cfg Config, deps Deps) (*Function, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("auth.New: %w", err)
	}
	pub, err := outbox.Join(deps.Store, deps.Sink, withExpiries(deps.Outbox), deps.Events)
	if err != nil {
		return nil, fmt.Errorf("auth.New: %w", err)
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
	admins, _ := adminEmails(cfg.AdminEmails) // Validate checked them
	var perAddress *httpx.Limiter
	if cfg.RateLimits != "off" {
		perAddress = httpx.NewLimiter(AddressLimit, now)
	}
	refresh := cfg.RefreshLifetime
	if refresh == 0 {
		refresh = sharedauth.RefreshLifetime
	}
	// Not Deps.Start's footing: auth's Tokens also issue, for the
	// configured lifetime, and auth keeps no ban list fed by events, being
	// where bans come from (so the footing's Session and SignedIn are not
	// for it).
	crossOrigin, err := httpx.CrossOriginProtectionFor(deps.PublicURL)
	if err != nil {
		return nil, fmt.Errorf("auth.New: %w", err)
	}
	ft := outbox.Footing{Publisher: pub, Tokens: tokens, Now: now, Logger: deps.Logger, CrossOrigin: crossOrigin}
	return &Function{
		ft:              ft,
		store:           authstore.New(pub.DB, pub.Box),
		passwords:       hasher,
		successors:      session.NewSuccessors([]byte(cfg.JWTKey)),
		cookies:         sharedauth.Cookies{Insecure: cfg.CookieInsecure, Now: now},
		refreshLifetime: refresh,
		admins:          admins,
		perAddress:      perAddress,
	}, nil
}

// Handler returns the function's whole HTTP surface (routes.go).
func (f *Function) Handler() http.Handler { return f.routes() }

// Run relays the outbox's events to the sink until ctx is done; start it
// beside the server (go f.Run(ctx)). Events it leaves unsent stay in the
// store for the next relay or sweep.
func (f *Function) Run(ctx context.Context) { f.ft.Relay(ctx) }
