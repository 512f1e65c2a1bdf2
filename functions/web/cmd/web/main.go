// Command web serves the storefront on its own, as it runs in production:
// settings from the environment, the API reached at API_URL.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/buytickets/buytickets/functions/web"
	"github.com/buytickets/buytickets/shared/config"
	"github.com/buytickets/buytickets/shared/logging"
	"github.com/buytickets/buytickets/shared/server"
)

// settings is the process's environment (DESIGN §7).
type settings struct {
	Port     string `env:"PORT" default:"8080"`
	LogLevel string `env:"LOG_LEVEL" default:"info"`
	Web      web.Config
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := realMain(ctx)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "web: %v\n", err)
		os.Exit(1)
	}
}

func realMain(ctx context.Context) error {
	var s settings
	if err := config.FromEnv(&s); err != nil {
		return err
	}
	logger := logging.New(os.Stdout, s.LogLevel)
	ctx = logging.WithLogger(ctx, logger)

	fn, err := web.New(s.Web, web.Deps{Logger: logger})
	if err != nil {
		return err
	}
	return server.Serve(ctx, ":"+s.Port, fn.Handler())
}
