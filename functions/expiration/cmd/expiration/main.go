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

	"github.com/buytickets/buytickets/eventing/command"
	"github.com/buytickets/buytickets/functions/expiration"
	"github.com/buytickets/buytickets/shared/launch"
	"github.com/buytickets/buytickets/shared/scheduler/cloudtasks"
)

// settings are what expiration reads besides what every member of the
// event plane reads (DESIGN §7).
type settings struct {
	command.Publishing[expiration.Config]
	Tasks cloudtasks.Config
}

var realMain = command.Serve("expiration", func(ctx context.Context, s settings, env command.Env) (launch.Function, error) {
	tasks, err := cloudtasks.Open(ctx, s.Tasks)
	if err != nil {
		return nil, err
	}
	env.Close(tasks)
	verifier, err := idtoken.NewValidator(ctx)
	if err != nil {
		return nil, fmt.Errorf("idtoken.NewValidator: %w", err)
	}
	return expiration.New(s.Config, expiration.Deps{Events: env.Events,
		Store: env.Store, Sink: s.Sink, Scheduler: tasks, Verifier: verifier, Logger: env.Logger,
	})
})

func main() { launch.Main("expiration", realMain) }
