package stack

import (
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
	build  func(s *Stack, db store.Store, logger *slog.Logger) (http.Handler, error)
}

// functions is every function of the marketplace, in start order. Each one
// is built from a Config filled in code: one process cannot give each
// function its own environment.
var functions = []function{
	{
		name:   "auth",
		routes: []string{"/api/users/"},
		build: func(s *Stack, db store.Store, logger *slog.Logger) (http.Handler, error) {
			f, err := auth.New(auth.Config{
				JWTKey:         string(s.jwtKey),
				CookieInsecure: true,
				PasswordCost:   s.opts.PasswordCost,
			}, auth.Deps{Store: db, Logger: logger})
			if err != nil {
				return nil, err
			}
			return f.Handler(), nil
		},
	},
}
