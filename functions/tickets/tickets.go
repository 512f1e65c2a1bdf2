// Package tickets is the tickets function: sellers list tickets, edit and
// withdraw them, holders of e-tickets list them again at face value, anyone
// browses the tickets on sale, and the order events of DESIGN §5 lock a
// ticket while an order holds it, unlock it when the order is cancelled and
// mark it sold when the order is paid. The e-ticket events keep the
// replica of e-tickets that resale listings are checked against.
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
	"fmt"
	"net/http"

	"github.com/buytickets/buytickets/eventing/outbox"
	ticketstore "github.com/buytickets/buytickets/functions/tickets/internal/store"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
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
	return sharedauth.CheckKey(c.JWTKey)
}

// Deps are what the function runs on. Its Store keeps the tickets, the
// outbox and the receipts of events.
type Deps = outbox.Deps

// Function is the tickets function, ready to serve.
type Function struct {
	ft    outbox.Footing
	store *ticketstore.Store
}

// New returns the function for cfg on deps, or an error when a setting is
// unusable, the store is missing or the sink is no http(s) URL.
func New(cfg Config, deps Deps) (*Function, error) {
	ft, err := deps.Start(cfg.Validate, cfg.JWTKey)
	if err != nil {
		return nil, fmt.Errorf("tickets.New: %w", err)
	}
	return &Function{ft: ft, store: ticketstore.New(ft.DB, ft.Box)}, nil
}

// Handler returns the function's whole HTTP surface (routes.go).
func (f *Function) Handler() http.Handler { return f.routes() }

// Run relays the outbox's events to the sink until ctx is done; start it
// beside the server (go f.Run(ctx)). Events it leaves unsent stay in the
// store for the next relay or sweep.
func (f *Function) Run(ctx context.Context) { f.ft.Relay(ctx) }
