package stack

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/buytickets/buytickets/eventing/outbox"
	"github.com/buytickets/buytickets/functions/auth"
	"github.com/buytickets/buytickets/functions/expiration"
	"github.com/buytickets/buytickets/functions/orders"
	"github.com/buytickets/buytickets/functions/payments"
	"github.com/buytickets/buytickets/functions/tickets"
	"github.com/buytickets/buytickets/functions/web"
	"github.com/buytickets/buytickets/shared/store"
)

// function says how the stack builds one function and which paths the
// ingress sends to it.
type function struct {
	name   string
	routes []string
	// stateless functions own no data, and get no store.
	stateless bool
	build     func(s *Stack, db store.Store, logger *slog.Logger) (replica, error)
}

// replica is one built instance of a function: its handler and its
// background work (an outbox relay), run until the stack stops.
type replica struct {
	handler http.Handler
	run     func(context.Context)
}

// functions is every function of the marketplace, in start order. Each one
// is built from a Config filled in code: one process cannot give each
// function its own environment.
var functions = []function{
	{
		name:   "auth",
		routes: []string{"/api/users/"},
		build: func(s *Stack, db store.Store, logger *slog.Logger) (replica, error) {
			f, err := auth.New(auth.Config{
				JWTKey:         string(s.jwtKey),
				CookieInsecure: true,
				PasswordCost:   s.opts.PasswordCost,
			}, auth.Deps{Store: db, Logger: logger})
			if err != nil {
				return replica{}, err
			}
			return replica{handler: f.Handler()}, nil
		},
	},
	{
		name:   "tickets",
		routes: []string{"/api/tickets"},
		build: func(s *Stack, db store.Store, logger *slog.Logger) (replica, error) {
			f, err := tickets.New(tickets.Config{JWTKey: string(s.jwtKey)},
				tickets.Deps{Store: db, Sink: s.sink, Outbox: s.outboxOptions(), Logger: logger})
			if err != nil {
				return replica{}, err
			}
			return replica{handler: f.Handler(), run: f.Run}, nil
		},
	},
	{
		name:   "payments",
		routes: []string{"/api/payments"},
		build: func(s *Stack, db store.Store, logger *slog.Logger) (replica, error) {
			f, err := payments.New(s.stripe, payments.Deps{
				Store: db, Sink: s.sink, Outbox: s.outboxOptions(), RedriveAfter: s.opts.RedriveAfter, Logger: logger,
			})
			if err != nil {
				return replica{}, err
			}
			return replica{handler: f.Handler(), run: f.Run}, nil
		},
	},
	{
		// No ingress route: only the embedded scheduler calls /tasks/expire,
		// on loopback, as the function requires without a token verifier.
		name: "expiration",
		build: func(s *Stack, db store.Store, logger *slog.Logger) (replica, error) {
			f, err := expiration.New(expiration.Config{ExpireURL: s.ServiceURL("expiration") + expiration.TasksPath},
				expiration.Deps{Store: db, Sink: s.sink, Outbox: s.outboxOptions(), Logger: logger})
			if err != nil {
				return replica{}, err
			}
			return replica{handler: f.Handler(), run: f.Run}, nil
		},
	},
	{
		name:   "orders",
		routes: []string{"/api/orders"},
		build: func(s *Stack, db store.Store, logger *slog.Logger) (replica, error) {
			f, err := orders.New(orders.Config{JWTKey: string(s.jwtKey), ExpirationWindow: s.opts.ExpirationWindow},
				orders.Deps{Store: db, Sink: s.sink, Outbox: s.outboxOptions(), Logger: logger})
			if err != nil {
				return replica{}, err
			}
			return replica{handler: f.Handler(), run: f.Run}, nil
		},
	},
	{
		// The storefront: every path no API claims. It calls the API through
		// the router, as a browser would.
		name:      "web",
		routes:    []string{"/"},
		stateless: true,
		build: func(s *Stack, _ store.Store, logger *slog.Logger) (replica, error) {
			f, err := web.New(web.Config{APIURL: s.url, CookieInsecure: true}, web.Deps{Logger: logger})
			if err != nil {
				return replica{}, err
			}
			return replica{handler: f.Handler()}, nil
		},
	},
}

// outboxOptions are the embedded default's: a ticker sweeps, since no
// PingSource runs here.
func (s *Stack) outboxOptions() outbox.Options {
	return outbox.Options{SweepEvery: 10 * time.Second}
}
