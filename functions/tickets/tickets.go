// Package tickets is the tickets function: sellers list tickets and edit
// them, anyone browses the tickets on sale, and the order events of DESIGN
// §5 lock a ticket while an order holds it, unlock it when the order is
// cancelled and mark it sold when the order is paid.
//
// Every change of a ticket is written with the event it causes
// (ticket.created, ticket.updated) in one store transaction, and relayed to
// the broker by the function's outbox. New builds the function from its
// Config and Deps; Handler is its whole HTTP surface, which cmd/tickets
// serves alone and cmd/buytickets mounts with the others; Run relays the
// outbox for as long as the function serves.
package tickets

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/outbox"
	ticketstore "github.com/buytickets/buytickets/functions/tickets/internal/store"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
	"github.com/buytickets/buytickets/shared/logging"
	"github.com/buytickets/buytickets/shared/store"
)

// Config is the tickets function's settings, from the environment (DESIGN §7).
type Config struct {
	// JWTKey is the HS256 secret that access tokens are verified with
	// (JWT_KEY), at least 32 bytes: the key auth signs them with.
	JWTKey string `env:"JWT_KEY" required:"true"`
}

// Validate reports a JWT key too short to verify with, naming the setting
// but not its value.
func (c *Config) Validate() error {
	if len(c.JWTKey) < sharedauth.MinKeyLen {
		return fmt.Errorf("JWT_KEY must be at least %d bytes", sharedauth.MinKeyLen)
	}
	return nil
}

// Deps are what the function runs on.
type Deps struct {
	// Store keeps the tickets, the outbox and the receipts; required.
	Store store.Store
	// Sink is where the outbox sends events (K_SINK): the broker's ingress
	// URL; required.
	Sink string
	// Outbox tunes the outbox relay; its zero value is production's, where
	// a PingSource sweeps. The embedded stack sets SweepEvery.
	Outbox outbox.Options
	// Events is the function's membership of the event plane: whose
	// tokens its /events and sweep accept, and its own for the broker;
	// required.
	Events *eventing.Member
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger logs each request and the relay; when nil, the logger already
	// in the request's (or Run's) context, or slog's default, is used.
	Logger *slog.Logger
}

// Function is the tickets function, ready to serve.
type Function struct {
	db     store.Store
	store  *ticketstore.Store
	box    *outbox.Outbox
	events *eventing.Member
	tokens *sharedauth.Tokens
	now    func() time.Time
	logger *slog.Logger
}

// New returns the function for cfg on deps, or an error when a setting is
// unusable, the store is missing or the sink is no http(s) URL.
func New(cfg Config, deps Deps) (*Function, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("tickets.New: %w", err)
	}
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	if deps.Events == nil {
		return nil, errors.New("tickets.New: no event plane membership (Deps.Events)")
	}
	box, err := outbox.New(deps.Store, deps.Sink, deps.Outbox.For(deps.Events))
	if err != nil {
		return nil, fmt.Errorf("tickets.New: %w", err)
	}
	tokens, err := sharedauth.NewTokens(sharedauth.TokenConfig{Key: []byte(cfg.JWTKey), Now: now})
	if err != nil {
		return nil, fmt.Errorf("tickets.New: %w", err)
	}
	return &Function{
		db:     deps.Store,
		store:  ticketstore.New(deps.Store, box),
		box:    box,
		events: deps.Events,
		tokens: tokens,
		now:    now,
		logger: deps.Logger,
	}, nil
}

// Handler returns the function's whole HTTP surface (routes.go).
func (f *Function) Handler() http.Handler { return f.routes() }

// Run relays the outbox's events to the sink until ctx is done; start it
// beside the server (go f.Run(ctx)). Events it leaves unsent stay in the
// store for the next relay or sweep.
func (f *Function) Run(ctx context.Context) {
	ctx = logging.WithLogger(ctx, f.logger)
	f.box.Run(ctx)
}
