// Command web serves the storefront on its own, as it runs in production:
// settings from the environment, the API reached at API_URL.
package main

import (
	"context"

	"github.com/buytickets/buytickets/functions/web"
	"github.com/buytickets/buytickets/shared/launch"
)

// settings is the process's environment (DESIGN §7).
type settings struct {
	launch.Settings
	Web web.Config
}

func main() { launch.Main("web", realMain) }

func realMain(ctx context.Context) error {
	return launch.Serve(ctx, func(_ context.Context, s *settings, env launch.Env) (launch.Function, error) {
		return web.New(s.Web, web.Deps{Logger: env.Logger})
	})
}
