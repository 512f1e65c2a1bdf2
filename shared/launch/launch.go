// Package launch runs one function as its own production command: a
// context cancelled on SIGINT or SIGTERM (Knative's stop signal), the
// settings from the environment (DESIGN §7), a JSON logger, the function's
// own database, and the function served until the context ends.
// Each cmd/<name>/main.go says only how its function is built.
package launch

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/buytickets/buytickets/shared/config"
	"github.com/buytickets/buytickets/shared/logging"
	"github.com/buytickets/buytickets/shared/server"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/tracing"
)

// Settings are what every command reads: embed them first in the
// command's settings struct.
type Settings struct {
	Port     string `env:"PORT" default:"8080"`
	LogLevel string `env:"LOG_LEVEL" default:"info"`
	// LogFormat is json (Cloud Logging's) or text (a person's); json when
	// empty.
	LogFormat string `env:"LOG_FORMAT"`
	// Project is the Google Cloud project, whose Cloud Trace the log
	// lines' trace fields name.
	Project string `env:"GOOGLE_CLOUD_PROJECT"`
	// Service is the Knative Service the function runs as, the name of
	// its spans' service.
	Service string `env:"K_SERVICE"`
	// OTLPEndpoint, when set, is where spans and metrics are pushed by
	// OTLP over HTTP (the exporters read it, and the other
	// OTEL_EXPORTER_OTLP_* settings, themselves); none are when empty.
	OTLPEndpoint string `env:"OTEL_EXPORTER_OTLP_ENDPOINT"`
}

// Tracing sets up the process's tracing as the settings say (see package
// tracing), for service when K_SERVICE names none, and returns the
// function that flushes and stops it, once the process has stopped
// serving: within FlushTimeout, and logging to logger what it could not
// send.
func (s *Settings) Tracing(ctx context.Context, service string, logger *slog.Logger) (stop func(), err error) {
	if s.Service != "" {
		service = s.Service
	}
	shutdown, err := tracing.Setup(ctx, tracing.Options{Service: service, Export: s.OTLPEndpoint != ""})
	if err != nil {
		return nil, err
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), FlushTimeout)
		defer cancel()
		if err := shutdown(ctx); err != nil {
			logger.WarnContext(ctx, "traces not flushed", slog.Any("error", err))
		}
	}, nil
}

// FlushTimeout bounds the last flush of spans and metrics, within the
// time Knative leaves a stopping pod.
const FlushTimeout = 5 * time.Second

// Logger opens the logger the settings describe, writing to w.
func (s *Settings) Logger(w io.Writer) (*slog.Logger, error) {
	return logging.Open(w, logging.Options{Level: s.LogLevel, Format: s.LogFormat, Project: s.Project})
}

func (s *Settings) settings() *Settings { return s }

// storeSetting is a settings struct that names the function's database:
// one that embeds firestore.Database.
type storeSetting interface {
	OpenStore(ctx context.Context) (store.Store, error)
}

// Function is a function as a command serves it. One that also has a
// Run(context.Context) method does background work (an outbox relay, a
// scheduler) for as long as it is served.
type Function interface {
	Handler() http.Handler
}

// runner is a Function with background work.
type runner interface {
	Function
	Run(ctx context.Context)
}

// Env is what a command's build function gets besides its settings.
type Env struct {
	// Logger is the command's logger, also in the build's context.
	Logger *slog.Logger
	// Store is the function's database when the settings embed one
	// (firestore.Database), nil otherwise. It closes after the function stops.
	Store store.Store

	closers *[]io.Closer
}

// Close has c closed once the function has stopped serving, after its
// background work, in the reverse order of the calls; a failure to close
// is logged.
func (e Env) Close(c io.Closer) { *e.closers = append(*e.closers, c) }

// Main runs realMain with a context that SIGINT and SIGTERM cancel, and
// exits with status 1 after printing "name: error" when it fails.
func Main(name string, realMain func(context.Context) error) {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := realMain(ctx)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

// Serve reads the settings into a new S from the environment, opens the
// function's database when S embeds one (firestore.Database), builds the function
// with build and serves it on PORT until ctx ends. Background work stops
// with the server, before anything Env closes is closed.
func Serve[S any, PS interface {
	*S
	settings() *Settings
}](ctx context.Context, build func(ctx context.Context, s *S, env Env) (Function, error)) error {
	s := PS(new(S))
	if err := config.FromEnv(s); err != nil {
		return err
	}
	logger, err := s.settings().Logger(os.Stdout)
	if err != nil {
		return err
	}
	ctx = logging.WithLogger(ctx, logger)
	stopTracing, err := s.settings().Tracing(ctx, filepath.Base(os.Args[0]), logger)
	if err != nil {
		return err
	}
	defer stopTracing()
	var closers []io.Closer
	defer func() {
		for _, c := range slices.Backward(closers) {
			if err := c.Close(); err != nil {
				logger.WarnContext(ctx, "not closed cleanly", slog.Any("error", err))
			}
		}
	}()
	env := Env{Logger: logger, closers: &closers}
	if st, ok := any(s).(storeSetting); ok {
		db, err := st.OpenStore(ctx)
		if err != nil {
			return err
		}
		env.Store = db
		if c, ok := db.(io.Closer); ok {
			env.Close(c)
		}
	}
	fn, err := build(ctx, (*S)(s), env)
	if err != nil {
		return err
	}
	addr := ":" + s.settings().Port
	if r, ok := fn.(runner); ok {
		return server.ServeRunning(ctx, addr, r.Handler(), r.Run)
	}
	return server.Serve(ctx, addr, fn.Handler())
}
