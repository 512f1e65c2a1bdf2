// Command deadletters serves the Broker's dead-letter sink on its own, as it
// runs in production: settings from the environment, dead letters in
// Firestore.
package main

import (
	"context"

	"github.com/buytickets/buytickets/functions/deadletters"
	"github.com/buytickets/buytickets/shared/launch"
	"github.com/buytickets/buytickets/shared/store/firestore"
)

// settings is the process's environment (DESIGN §7).
type settings struct {
	launch.Settings
	DeadLetters deadletters.Config
	firestore.Database
}

func main() { launch.Main("deadletters", realMain) }

func realMain(ctx context.Context) error {
	return launch.Serve(ctx, func(_ context.Context, s *settings, env launch.Env) (launch.Function, error) {
		return deadletters.New(s.DeadLetters, deadletters.Deps{Store: env.Store, Logger: env.Logger})
	})
}
