// Command tickets serves the tickets function on its own, as it runs in
// production: settings from the environment, tickets in Firestore, events
// relayed to the broker at K_SINK.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/buytickets/buytickets/functions/tickets"
	"github.com/buytickets/buytickets/shared/config"
	"github.com/buytickets/buytickets/shared/logging"
	"github.com/buytickets/buytickets/shared/server"
	"github.com/buytickets/buytickets/shared/store/firestore"
)

// settings is the process's environment (DESIGN §7).
type settings struct {
	Port     string `env:"PORT" default:"8080"`
	LogLevel string `env:"LOG_LEVEL" default:"info"`
	Tickets  tickets.Config
	// Sink is the broker's address, which Knative's SinkBinding injects.
	Sink      string `env:"K_SINK" required:"true"`
	Firestore firestore.Config
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := realMain(ctx)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "tickets: %v\n", err)
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

	fn, err := tickets.New(s.Tickets, tickets.Deps{Store: db, Sink: s.Sink, Logger: logger})
	if err != nil {
		return err
	}
	// Its background work stops with the server, before the store closes.
	return server.ServeRunning(ctx, ":"+s.Port, fn.Handler(), fn.Run)
}
