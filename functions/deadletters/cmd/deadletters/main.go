// Command deadletters serves the Broker's dead-letter sink on its own, as it
// runs in production: settings from the environment, dead letters in
// Firestore.
package main

import (
	"context"
	"path/filepath"

	"github.com/buytickets/buytickets/eventing/command"
	"github.com/buytickets/buytickets/eventing/identity"
	"github.com/buytickets/buytickets/functions/deadletters"
	"github.com/buytickets/buytickets/shared/launch"
)

// settings are what the dead-letter sink reads besides what every member
// of the event plane reads (DESIGN §7).
type settings struct {
	DeadLetters deadletters.Config
	// ReplayTokenDir holds one projected service-account token per
	// subscriber, DIR/FUNCTION/token, for that function's audience.
	ReplayTokenDir string `env:"REPLAY_TOKEN_DIR" default:"/var/run/secrets/buytickets/tokens"`
}

var realMain = command.Serve("deadletters", func(_ context.Context, s settings, env command.Env) (launch.Function, error) {
	replayTokens := func(function string) identity.TokenSource {
		return identity.NewFile(filepath.Join(s.ReplayTokenDir, function, "token"))
	}
	return deadletters.New(s.DeadLetters, deadletters.Deps{
		Store: env.Store, Events: env.Events, ReplayTokens: replayTokens, Logger: env.Logger,
	})
})

func main() { launch.Main("deadletters", realMain) }
