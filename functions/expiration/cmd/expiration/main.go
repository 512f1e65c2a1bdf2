// Command expiration serves the expiration function on its own, as it runs
// in production: settings from the environment, expiries in Firestore,
// tasks on Cloud Tasks with the invoker's OIDC token (verified against
// Google's keys when they call back), events relayed to the broker at
// K_SINK.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"google.golang.org/api/idtoken"

	"github.com/buytickets/buytickets/functions/expiration"
	"github.com/buytickets/buytickets/shared/config"
	"github.com/buytickets/buytickets/shared/logging"
	"github.com/buytickets/buytickets/shared/scheduler/cloudtasks"
	"github.com/buytickets/buytickets/shared/server"
	"github.com/buytickets/buytickets/shared/store/firestore"
)

// settings is the process's environment (DESIGN §7).
type settings struct {
	Port       string `env:"PORT" default:"8080"`
	LogLevel   string `env:"LOG_LEVEL" default:"info"`
	Sink       string `env:"K_SINK" required:"true"`
	Expiration expiration.Config
	Firestore  firestore.Config
	Tasks      cloudtasks.Config
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := realMain(ctx)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "expiration: %v\n", err)
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

	db, err := firestore.Open(ctx, s.Firestore)
	if err != nil {
		return err
	}
	defer db.Close()
	tasks, err := cloudtasks.Open(ctx, s.Tasks)
	if err != nil {
		return err
	}
	defer tasks.Close()
	verifier, err := idtoken.NewValidator(ctx)
	if err != nil {
		return fmt.Errorf("idtoken.NewValidator: %w", err)
	}

	fn, err := expiration.New(s.Expiration, expiration.Deps{
		Store: db, Sink: s.Sink, Scheduler: tasks, Verifier: verifier, Logger: logger,
	})
	if err != nil {
		return err
	}
	// Its background work stops with the server, before the store closes.
	return server.ServeRunning(ctx, ":"+s.Port, fn.Handler(), fn.Run)
}
