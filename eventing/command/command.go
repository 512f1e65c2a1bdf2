// Package command runs a member of the event plane as its own production
// command: launch's settings and the function's database, its membership
// of the event plane joined from EVENTS_ISSUER and EVENTS_AUDIENCE, and
// the function built and served until the context ends. Each
// functions/<name>/cmd/<name>/main.go says only what its function reads
// besides and how it is built.
package command

import (
	"context"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/identity"
	"github.com/buytickets/buytickets/eventing/outbox"
	"github.com/buytickets/buytickets/shared/launch"
	"github.com/buytickets/buytickets/shared/store/firestore"
)

// settings is a member's environment (DESIGN §7): what every command
// reads, the function's own settings F, the event plane's and the
// database's.
type settings[F any] struct {
	launch.Settings
	Function F
	// Events authenticates the event plane (EVENTS_ISSUER, EVENTS_AUDIENCE).
	Events identity.Settings
	firestore.Database
}

// Env is what a member's build function gets besides its settings.
type Env struct {
	launch.Env
	// Events is the function's membership of the event plane.
	Events *eventing.Member
}

// Serve returns the realMain of the command of function name: it reads
// the settings (the function's own into an F), opens the database, joins
// the event plane as name, builds the function with build and serves it
// until ctx ends (launch.Serve).
func Serve[F any](name string, build func(ctx context.Context, s F, env Env) (launch.Function, error)) func(context.Context) error {
	return func(ctx context.Context) error {
		return launch.Serve(ctx, func(ctx context.Context, s *settings[F], env launch.Env) (launch.Function, error) {
			events, err := eventing.JoinCluster(name, s.Events)
			if err != nil {
				return nil, err
			}
			return build(ctx, s.Function, Env{Env: env, Events: events})
		})
	}
}

// Publishing is the settings of a function that publishes through its
// outbox: its own, C, and the broker's address.
type Publishing[C any] struct {
	// Sink is the broker's address, which Knative's SinkBinding injects.
	Sink string `env:"K_SINK" required:"true"`
	// PublicURL is the marketplace's public address (PUBLIC_URL), whose
	// origin cookie-authenticated changes trust behind the ingress.
	PublicURL string `env:"PUBLIC_URL"`
	Config    C
}

// Deps is the footing of a publisher served with env and these settings.
func (s Publishing[C]) Deps(env Env) outbox.Deps {
	return outbox.Deps{Events: env.Events, Store: env.Store, Sink: s.Sink, Logger: env.Logger, PublicURL: s.PublicURL}
}

// Publisher returns the realMain of the command of function name, built
// on an outbox (outbox.Deps) by newFn from its settings C: its events go
// to the broker at K_SINK.
func Publisher[C any, F launch.Function](name string, newFn func(C, outbox.Deps) (F, error)) func(context.Context) error {
	return Serve(name, func(_ context.Context, s Publishing[C], env Env) (launch.Function, error) {
		f, err := newFn(s.Config, s.Deps(env))
		if err != nil {
			return nil, err
		}
		return f, nil
	})
}
