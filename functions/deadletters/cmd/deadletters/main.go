// Command deadletters serves the Broker's dead-letter sink on its own, as it
// runs in production: settings from the environment, dead letters in
// Firestore.
package main

import (
	"context"
	"path/filepath"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/identity"
	"github.com/buytickets/buytickets/functions/deadletters"
	"github.com/buytickets/buytickets/shared/launch"
	"github.com/buytickets/buytickets/shared/store/firestore"
)

// settings is the process's environment (DESIGN §7).
type settings struct {
	launch.Settings
	DeadLetters deadletters.Config
	// Events authenticates the event plane (EVENTS_ISSUER, EVENTS_AUDIENCE).
	Events identity.Settings
	// ReplayTokenDir holds one projected service-account token per
	// subscriber, DIR/FUNCTION/token, for that function's audience.
	ReplayTokenDir string `env:"REPLAY_TOKEN_DIR" default:"/var/run/secrets/buytickets/tokens"`
	firestore.Database
}

func main() { launch.Main("deadletters", realMain) }

func realMain(ctx context.Context) error {
	return launch.Serve(ctx, func(_ context.Context, s *settings, env launch.Env) (launch.Function, error) {
		events, err := eventing.JoinCluster("deadletters", s.Events)
		if err != nil {
			return nil, err
		}
		replayTokens := func(function string) identity.TokenSource {
			return identity.NewFile(filepath.Join(s.ReplayTokenDir, function, "token"))
		}
		return deadletters.New(s.DeadLetters, deadletters.Deps{
			Store: env.Store, Events: events, ReplayTokens: replayTokens, Logger: env.Logger,
		})
	})
}
