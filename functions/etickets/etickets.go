// Package etickets is the etickets function: when an order is paid it
// issues the buyer an e-ticket whose code proves itself (signed with the
// issuer's Ed25519 key, so a door scanner can verify it offline with the
// public key), shows it as a QR symbol, lets the ticket's seller check it
// in once, and revokes it when the payment is refunded (DESIGN §3, §5).
// While a resale listing of it is on sale it is listed and cannot be
// checked in; once the resale is paid it is revoked, and the new buyer
// holds a new e-ticket that the original seller still checks in.
//
// Every change of an e-ticket is written with the event it causes
// (eticket.issued, eticket.checkedin, eticket.revoked) in one store
// transaction, and relayed to the broker by the function's outbox. New
// builds the function from its Config and Deps; Handler is its whole HTTP
// surface; Run relays the outbox for as long as the function serves.
package etickets

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/buytickets/buytickets/eventing/outbox"
	"github.com/buytickets/buytickets/functions/etickets/internal/eticket"
	eticketstore "github.com/buytickets/buytickets/functions/etickets/internal/store"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
)

// Config is the etickets function's settings, from the environment (DESIGN §7).
type Config struct {
	// JWTKey is the HS256 secret that access tokens are verified with
	// (JWT_KEY), at least 32 bytes: the key auth signs them with.
	JWTKey string `env:"JWT_KEY" required:"true"`
	// SigningKey is the Ed25519 seed that signs e-ticket codes
	// (ETICKET_SIGNING_KEY): 32 bytes in base64, standard or URL alphabet,
	// padded or not.
	SigningKey string `env:"ETICKET_SIGNING_KEY" required:"true"`
}

// Validate reports a JWT key too short to verify with, or a signing key
// that is no Ed25519 seed, naming the setting but not its value.
func (c *Config) Validate() error {
	if err := sharedauth.CheckKey(c.JWTKey); err != nil {
		return err
	}
	_, err := c.signer()
	return err
}

// errBadSigningKey names the setting without its value.
var errBadSigningKey = errors.New("ETICKET_SIGNING_KEY must be a 32-byte Ed25519 seed in base64")

// signer returns the code signer of SigningKey.
func (c *Config) signer() (*eticket.Signer, error) {
	s := strings.TrimRight(strings.TrimSpace(c.SigningKey), "=")
	seed, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil {
		seed, err = base64.RawURLEncoding.DecodeString(s)
	}
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, errBadSigningKey
	}
	return eticket.NewSigner(ed25519.NewKeyFromSeed(seed))
}

// Deps are what the function runs on. Its Store keeps the e-tickets, the
// refunds that came before them, the outbox and the receipts of events.
type Deps = outbox.Deps

// Function is the etickets function, ready to serve.
type Function struct {
	ft     outbox.Footing
	store  *eticketstore.Store
	signer *eticket.Signer
}

// New returns the function for cfg on deps, or an error when a setting is
// unusable or the store or the sink is missing.
func New(cfg Config, deps Deps) (*Function, error) {
	ft, err := deps.Start(cfg.Validate, cfg.JWTKey)
	if err != nil {
		return nil, fmt.Errorf("etickets.New: %w", err)
	}
	signer, err := cfg.signer()
	if err != nil {
		return nil, fmt.Errorf("etickets.New: %w", err)
	}
	return &Function{ft: ft, store: eticketstore.New(ft.DB, ft.Box), signer: signer}, nil
}

// Handler returns the function's whole HTTP surface (routes.go).
func (f *Function) Handler() http.Handler { return f.routes() }

// Run relays the outbox's events to the sink until ctx ends; events still
// unsent then wait for the next relay or sweep.
func (f *Function) Run(ctx context.Context) { f.ft.Relay(ctx) }
