package stack

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/buytickets/buytickets/functions/auth"
	"github.com/buytickets/buytickets/shared/store"
)

// function says how the stack builds one function and which paths the
// ingress sends to it.
type function struct {
	name   string
	routes []string
	build  func(s *Stack, db store.Store, logger *slog.Logger) (replica, error)
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
}
