// Command expiration serves the expiration function on its own, as it runs
// in production: settings from the environment, expiries in Firestore,
// tasks on Cloud Tasks with the invoker's OIDC token (verified against
// Google's keys when they call back), events relayed to the broker at
// K_SINK.
package main

import (
	"context"
	"fmt"

	"google.golang.org/api/idtoken"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/identity"
	"github.com/buytickets/buytickets/functions/expiration"
	"github.com/buytickets/buytickets/shared/launch"
	"github.com/buytickets/buytickets/shared/scheduler/cloudtasks"
	"github.com/buytickets/buytickets/shared/store/firestore"
)

// settings is the process's environment (DESIGN §7).
type settings struct {
	launch.Settings
	// Sink is the broker's address, which Knative's SinkBinding injects.
	Sink       string `env:"K_SINK" required:"true"`
	Expiration expiration.Config
	// Events authenticates the event plane (EVENTS_ISSUER, EVENTS_AUDIENCE).
	Events identity.Settings
	firestore.Database
	Tasks cloudtasks.Config
}

func main() { launch.Main("expiration", realMain) }

func realMain(ctx context.Context) error {
	return launch.Serve(ctx, func(ctx context.Context, s *settings, env launch.Env) (launch.Function, error) {
		tasks, err := cloudtasks.Open(ctx, s.Tasks)
		if err != nil {
			return nil, err
		}
		env.Close(tasks)
		verifier, err := idtoken.NewValidator(ctx)
		if err != nil {
			return nil, fmt.Errorf("idtoken.NewValidator: %w", err)
		}
		events, err := eventing.JoinCluster("expiration", s.Events)
		if err != nil {
			return nil, err
		}
		return expiration.New(s.Expiration, expiration.Deps{Events: events,
			Store: env.Store, Sink: s.Sink, Scheduler: tasks, Verifier: verifier, Logger: env.Logger,
		})
	})
}
