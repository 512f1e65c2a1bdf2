// Command auth serves the accounts function on its own, as it runs in
// production: settings from the environment, accounts in Firestore.
package main

import (
	"context"

	"github.com/buytickets/buytickets/functions/auth"
	"github.com/buytickets/buytickets/shared/launch"
	"github.com/buytickets/buytickets/shared/store/firestore"
)

// settings is the process's environment (DESIGN §7).
type settings struct {
	launch.Settings
	Auth auth.Config
	firestore.Database
}

func main() { launch.Main("auth", realMain) }

func realMain(ctx context.Context) error {
	return launch.Serve(ctx, func(_ context.Context, s *settings, env launch.Env) (launch.Function, error) {
		return auth.New(s.Auth, auth.Deps{Store: env.Store, Logger: env.Logger})
	})
}
