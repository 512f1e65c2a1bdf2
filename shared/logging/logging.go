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

// Open returns the logger writing to w at level in format (JSON or Text;
// JSON when empty).
func Open(w io.Writer, level, format string) (*slog.Logger, error) {
	switch strings.ToLower(strings.TrimSpace(format)) {
	case "", JSON:
		return New(w, level), nil
	case Text:
		return slog.New(tint.NewTextHandler(w, &tint.Options{
			Level: ParseLevel(level), TimeFormat: time.TimeOnly, NoColor: !IsTerminal(w),
		})), nil
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
// "error"; info when empty or unknown), with the level under "severity" and
// the text under "message", as Cloud Logging reads them.
func New(w io.Writer, level string) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{
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
	}))
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
