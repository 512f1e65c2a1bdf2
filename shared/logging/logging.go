// Package logging provides the one logger: log/slog writing JSON with a
// Cloud Logging "severity", or, for a person at a terminal, one readable
// line per record; carried in the context.
package logging

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/lmittmann/tint"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/term"
)

// The formats a logger writes (LOG_FORMAT).
const (
	// JSON is one JSON object per record, as Cloud Logging reads them.
	JSON = "json"
	// Text is one line per record for a person: time, level, message and
	// the record's fields (function, request, error…), colored on a
	// terminal.
	Text = "text"
)

// ErrFormat is a LOG_FORMAT that names no format.
var ErrFormat = errors.New(`LOG_FORMAT must be "json" or "text"`)

// Options say how a logger writes.
type Options struct {
	// Level is LOG_LEVEL: "debug", "info", "warn" or "error"; info when
	// empty or unknown.
	Level string
	// Format is LOG_FORMAT: JSON or Text; JSON when empty.
	Format string
	// Project is the Google Cloud project whose Cloud Trace holds the
	// traces the log lines name (GOOGLE_CLOUD_PROJECT); when empty, a
	// line names its trace by id alone.
	Project string
}

// Open returns the logger writing to w as o says.
func Open(w io.Writer, o Options) (*slog.Logger, error) {
	switch strings.ToLower(strings.TrimSpace(o.Format)) {
	case "", JSON:
		return slog.New(traceHandler{Handler: jsonHandler(w, o.Level), project: o.Project}), nil
	case Text:
		return slog.New(traceHandler{Handler: tint.NewTextHandler(w, &tint.Options{
			Level: ParseLevel(o.Level), TimeFormat: time.TimeOnly, NoColor: !IsTerminal(w),
		}), short: true}), nil
	default:
		return nil, ErrFormat
	}
}

// IsTerminal reports whether w is a terminal a person reads.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

type contextKey struct{}

// New returns a JSON logger writing to w at level ("debug", "info", "warn",
// "error"; info when empty or unknown), with the level under "severity",
// the text under "message" and the trace of the record's context under
// Cloud Logging's trace fields (TraceKey), as Cloud Logging reads them.
func New(w io.Writer, level string) *slog.Logger {
	return slog.New(traceHandler{Handler: jsonHandler(w, level)})
}

func jsonHandler(w io.Writer, level string) slog.Handler {
	return slog.NewJSONHandler(w, &slog.HandlerOptions{
		Level: ParseLevel(level),
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) > 0 {
				return a
			}
			switch a.Key {
			case slog.LevelKey:
				a.Key = "severity"
				if lvl, ok := a.Value.Any().(slog.Level); ok && lvl == slog.LevelWarn {
					a.Value = slog.StringValue("WARNING")
				}
			case slog.MessageKey:
				a.Key = "message"
			}
			return a
		},
	})
}

// The fields by which Cloud Logging joins a log line to its trace and span
// (cloud.google.com/logging/docs/structured-logging).
const (
	TraceKey        = "logging.googleapis.com/trace"
	SpanKey         = "logging.googleapis.com/spanId"
	TraceSampledKey = "logging.googleapis.com/trace_sampled"
)

// traceHandler adds to each record logged with a context that carries a
// span the record's trace: Cloud Logging's three fields, or, when short
// (for a person), the trace id under "trace".
type traceHandler struct {
	slog.Handler
	project string
	short   bool
}

func (h traceHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		id := sc.TraceID().String()
		switch {
		case h.short:
			r.AddAttrs(slog.String("trace", id))
		default:
			if h.project != "" {
				id = "projects/" + h.project + "/traces/" + id
			}
			r.AddAttrs(slog.String(TraceKey, id), slog.String(SpanKey, sc.SpanID().String()),
				slog.Bool(TraceSampledKey, sc.IsSampled()))
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h traceHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	h.Handler = h.Handler.WithAttrs(attrs)
	return h
}

func (h traceHandler) WithGroup(name string) slog.Handler {
	h.Handler = h.Handler.WithGroup(name)
	return h
}

// ParseLevel reads a LOG_LEVEL value; unknown or empty is info.
func ParseLevel(s string) slog.Level {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug
	case "warn", "warning":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}

// WithLogger returns ctx carrying logger; a nil logger leaves ctx as it is,
// so a component configured without one logs with its caller's.
func WithLogger(ctx context.Context, logger *slog.Logger) context.Context {
	if logger == nil {
		return ctx
	}
	return context.WithValue(ctx, contextKey{}, logger)
}

// FromContext returns the logger in ctx, or slog's default logger.
func FromContext(ctx context.Context) *slog.Logger {
	if logger, ok := ctx.Value(contextKey{}).(*slog.Logger); ok {
		return logger
	}
	return slog.Default()
}
