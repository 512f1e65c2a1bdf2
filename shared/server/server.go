// Package server runs a function's HTTP handler until its context is
// cancelled, then shuts it down gracefully: context cancellation is the only
// shutdown path (main cancels on SIGTERM, tests and the embedded stack
// cancel when they are done).
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/logging"
)

// ShutdownTimeout is how long in-flight requests get to finish once the
// context is cancelled; after it, their connections are closed.
const ShutdownTimeout = 10 * time.Second

// Serve listens on addr (":8080", "127.0.0.1:0") and serves h as
// ServeListener does.
func Serve(ctx context.Context, addr string, h http.Handler) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("net.Listen: %w", err)
	}
	return ServeListener(ctx, ln, h)
}

// ServeListener serves h on ln until ctx is cancelled, then stops accepting
// connections and waits up to ShutdownTimeout for in-flight requests to
// finish. It closes ln and returns nil after a clean shutdown, or the error
// that stopped it. Requests' contexts carry ctx's values, such as the logger,
// but not its cancellation, so a shutdown does not cut requests short.
func ServeListener(ctx context.Context, ln net.Listener, h http.Handler) error {
	logger := logging.FromContext(ctx)
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		// Long enough for a payment that waits on Stripe's own timeouts.
		WriteTimeout:   90 * time.Second,
		IdleTimeout:    120 * time.Second,
		MaxHeaderBytes: 64 << 10,
		BaseContext:    func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		ErrorLog:       slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	logger.InfoContext(ctx, "serving", slog.String("addr", ln.Addr().String()))

	select {
	case err := <-served:
		return fmt.Errorf("http.Server.Serve: %w", err)
	case <-ctx.Done():
	}

	logger.InfoContext(ctx, "shutting down", slog.String("addr", ln.Addr().String()))
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		// Requests still running after the timeout: cut them off.
		_ = srv.Close()
		<-served
		return fmt.Errorf("http.Server.Shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http.Server.Serve: %w", err)
	}
	return nil
}

// Health answers GET /healthz: 200 {"status":"ok"} while the process serves.
func Health() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpx.JSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// NewMux returns the mux of a function's surface (httpx.NewMux), already
// answering GET /healthz (Health).
func NewMux() *httpx.Mux {
	mux := httpx.NewMux()
	mux.Handle("GET /healthz", Health())
	return mux
}

// ServeRunning serves h on addr as Serve does, with a function's background
// work (its outbox relay, say) running beside it. The work outlives the
// serving: when ctx ends, the server drains first, with the work still
// running, so that what the last requests commit (events, refunds, tasks)
// is still relayed; only once the server has shut down is the work's
// context cancelled (the outbox then makes its final flush) and the work
// awaited, so it stops before whatever it uses is closed.
func ServeRunning(ctx context.Context, addr string, h http.Handler, run func(context.Context)) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("net.Listen: %w", err)
	}
	return ServeListenerRunning(ctx, ln, h, run)
}

// ServeListenerRunning is ServeRunning on a listener.
func ServeListenerRunning(ctx context.Context, ln net.Listener, h http.Handler, run func(context.Context)) error {
	// Not ctx's child: ctx ends at SIGTERM, and the work must run through
	// the drain that follows.
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var background sync.WaitGroup
	if run != nil {
		background.Go(func() { run(runCtx) })
	}
	err := ServeListener(ctx, ln, h)
	cancel()
	background.Wait()
	return err
}
