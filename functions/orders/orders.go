// Package orders is the orders function: buyers order tickets, and an order
// reserves its ticket for a window in which nobody else can order it
// (DESIGN §3, §5).
//
// Orders owns the reservations. It keeps a replica of every ticket, fed by
// ticket.created and ticket.updated in version order, and beside it each
// ticket's reservation; placing an order reads both in one transaction, so
// of two buyers racing for a ticket only one wins, however many replicas of
// the function serve them. Each change records its events (order.created,
// order.cancelled) in that same transaction, and the outbox relays them to
// the broker after commit.
//
// New builds the function from its Config and Deps; Handler is its whole
// HTTP and CloudEvents surface, and Run relays the outbox. cmd/orders serves
// it alone and cmd/buytickets mounts it with the others.
package orders

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/buytickets/buytickets/eventing/outbox"
	"github.com/buytickets/buytickets/functions/orders/internal/order"
	ordersstore "github.com/buytickets/buytickets/functions/orders/internal/store"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
	"github.com/buytickets/buytickets/shared/dispatch"
)

// Config is the orders function's settings, from the environment (DESIGN §7).
type Config struct {
	// JWTKey is the HS256 secret that access tokens are verified with
	// (JWT_KEY), at least 32 bytes.
	JWTKey string `env:"JWT_KEY" required:"true"`
	// ExpirationWindow is how long an order reserves its ticket
	// (ORDER_EXPIRATION_WINDOW); 15 minutes when zero.
	ExpirationWindow time.Duration `env:"ORDER_EXPIRATION_WINDOW" default:"15m"`
}

// Validate reports a JWT key too short to verify with, naming the setting
// but not its value, and a negative expiration window.
func (c *Config) Validate() error {
	if err := sharedauth.CheckKey(c.JWTKey); err != nil {
		return err
	}
	if c.ExpirationWindow < 0 {
		return errors.New("ORDER_EXPIRATION_WINDOW must not be negative")
	}
	return nil
}

// Deps are what the function runs on. Its Store keeps orders, the
// tickets' replica, reservations, the outbox and the receipts of events.
type Deps = outbox.Deps

// Function is the orders function, ready to serve.
type Function struct {
	ft      outbox.Footing
	metrics metrics
	store   *ordersstore.Store
	window  time.Duration
	// received is notified whenever an event this replica took has
	// committed: an order waiting for its ticket looks again.
	received *dispatch.Signal
}

// New returns the function for cfg on deps, or an error when a setting is
// unusable or the store or the sink is missing.
func New(cfg Config, deps Deps) (*Function, error) {
	ft, err := deps.Start(cfg.Validate, cfg.JWTKey)
	if err != nil {
		return nil, fmt.Errorf("orders.New: %w", err)
	}
	m, err := newMetrics()
	if err != nil {
		return nil, fmt.Errorf("orders.New: %w", err)
	}
	return &Function{
		ft:       ft,
		metrics:  m,
		store:    ordersstore.New(ft.DB, ft.Box),
		window:   cmp.Or(cfg.ExpirationWindow, order.DefaultWindow),
		received: dispatch.NewSignal(),
	}, nil
}

// Handler returns the function's whole HTTP surface (routes.go).
func (f *Function) Handler() http.Handler { return f.routes() }

// Run relays the outbox's events to the sink until ctx ends; events still
// unsent then wait for the next relay or sweep.
func (f *Function) Run(ctx context.Context) { f.ft.Relay(ctx) }
