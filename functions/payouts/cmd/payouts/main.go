// Command payouts serves the payouts function on its own, as it runs in
// production: settings from the environment, payouts in Firestore, Stripe
// Connect at STRIPE_KEY's account, events relayed to the broker at K_SINK.
package main

import (
	"context"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/identity"
	"github.com/buytickets/buytickets/functions/payouts"
	"github.com/buytickets/buytickets/shared/launch"
	"github.com/buytickets/buytickets/shared/store/firestore"
)

// settings is the process's environment (DESIGN §7).
type settings struct {
	launch.Settings
	// Sink is the broker's address, which Knative's SinkBinding injects.
	Sink    string `env:"K_SINK" required:"true"`
	Payouts payouts.Config
	// Events authenticates the event plane (EVENTS_ISSUER, EVENTS_AUDIENCE).
	Events identity.Settings
	firestore.Database
}

func main() { launch.Main("payouts", realMain) }

func realMain(ctx context.Context) error {
	return launch.Serve(ctx, func(_ context.Context, s *settings, env launch.Env) (launch.Function, error) {
		events, err := eventing.JoinCluster("payouts", s.Events)
		if err != nil {
			return nil, err
		}
		return payouts.New(s.Payouts, payouts.Deps{Events: events, Store: env.Store, Sink: s.Sink, Logger: env.Logger})
	})
}
