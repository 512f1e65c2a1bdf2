// Command verify is the staging smoke test that Cloud Deploy's verify phase
// runs after each rollout (skaffold.yaml, profile staging). Against the
// public API at BASE_URL it signs up a new user, lists the tickets and reads
// the session back from GET /api/users/currentuser (DESIGN.md §3). Until
// TIMEOUT passes it retries a failed run from the start, as functions may
// still be starting; it exits non-zero if no run succeeds.
//
// It is its own module, outside go.work (build with GOWORK=off).
package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := realMain(ctx); err != nil {
		slog.Error("verify failed", "error", err)
		os.Exit(1)
	}
}

func realMain(ctx context.Context) error {
	cfg, err := configFromEnv(os.Getenv)
	if err != nil {
		return fmt.Errorf("configFromEnv: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	s := &Smoke{BaseURL: cfg.BaseURL, Client: &http.Client{Timeout: 30 * time.Second}}
	return Retry(ctx, 10*time.Second, func(ctx context.Context) error {
		err := s.Run(ctx)
		if err != nil {
			slog.Warn("smoke test failed; retrying", "error", err)
		}
		return err
	})
}
