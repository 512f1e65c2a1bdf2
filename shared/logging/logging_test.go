package logging_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/buytickets/buytickets/shared/logging"
)

func TestNewWritesCloudLoggingJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		log          func(*slog.Logger)
		wantSeverity string
	}{
		{"debug", func(l *slog.Logger) { l.Debug("hello", "orderId", "o1") }, "DEBUG"},
		{"info", func(l *slog.Logger) { l.Info("hello", "orderId", "o1") }, "INFO"},
		{"warn is WARNING", func(l *slog.Logger) { l.Warn("hello", "orderId", "o1") }, "WARNING"},
		{"error", func(l *slog.Logger) { l.Error("hello", "orderId", "o1") }, "ERROR"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			tc.log(logging.New(&buf, "debug"))
			var line map[string]any
			if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
				t.Fatalf("%q is not JSON: %v", buf.String(), err)
			}
			if line["severity"] != tc.wantSeverity || line["message"] != "hello" || line["orderId"] != "o1" {
				t.Errorf("line = %v, want severity %s, message hello, orderId o1", line, tc.wantSeverity)
			}
			if _, ok := line["level"]; ok {
				t.Errorf("line = %v keeps slog's level key", line)
			}
		})
	}
}

func TestNewLeavesGroupedKeysAlone(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	logging.New(&buf, "info").WithGroup("http").Info("served", "message", "inner", "level", "x")
	var line struct {
		Message string            `json:"message"`
		HTTP    map[string]string `json:"http"`
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	if line.Message != "served" || line.HTTP["message"] != "inner" || line.HTTP["level"] != "x" {
		t.Errorf("got %s", buf.String())
	}
}

func TestNewDropsRecordsBelowLevel(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	logger := logging.New(&buf, "warn")
	logger.Info("quiet")
	if buf.Len() != 0 {
		t.Errorf("info logged at warn level: %s", buf.String())
	}
	logger.Warn("loud")
	if buf.Len() == 0 {
		t.Error("warn not logged at warn level")
	}
}

func TestParseLevelReadsLogLevel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want slog.Level
	}{
		{"debug", slog.LevelDebug},
		{"DEBUG", slog.LevelDebug},
		{" info ", slog.LevelInfo},
		{"warn", slog.LevelWarn},
		{"warning", slog.LevelWarn},
		{"error", slog.LevelError},
		{"", slog.LevelInfo},
		{"verbose", slog.LevelInfo},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			if got := logging.ParseLevel(tc.in); got != tc.want {
				t.Errorf("ParseLevel(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestFromContextReturnsTheLoggerWithLoggerStored(t *testing.T) {
	t.Parallel()
	logger := logging.New(&bytes.Buffer{}, "info")
	ctx := logging.WithLogger(t.Context(), logger)
	if got := logging.FromContext(ctx); got != logger {
		t.Errorf("FromContext = %p, want %p", got, logger)
	}
	if got := logging.FromContext(context.Background()); got != slog.Default() {
		t.Errorf("FromContext of an empty context = %p, want slog.Default()", got)
	}
}

func TestANilLoggerLeavesTheContextsLoggerInPlace(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	outer := logging.New(&buf, "info")
	ctx := logging.WithLogger(logging.WithLogger(context.Background(), outer), nil)
	if got := logging.FromContext(ctx); got != outer {
		t.Errorf("FromContext = %p, want the logger set before the nil one (%p)", got, outer)
	}
	if got := logging.FromContext(logging.WithLogger(context.Background(), nil)); got == nil {
		t.Error("a nil logger alone gives a nil logger, want slog's default")
	}
}

func TestAPersonReadsOneLinePerRecordAndCloudLoggingReadsJSON(t *testing.T) {
	t.Parallel()
	var text bytes.Buffer
	logger, err := logging.Open(&text, logging.Options{Level: "info", Format: "text"})
	if err != nil {
		t.Fatal(err)
	}
	logger.With("function", "tickets").Warn("relay failed", "error", "connection refused")
	logger.Debug("not shown")
	line := strings.TrimSuffix(text.String(), "\n")
	if strings.Contains(line, "\n") || strings.Contains(line, "{") || strings.Contains(line, "\x1b[") {
		t.Fatalf("text is not one plain line per record: %q", text.String())
	}
	for _, want := range []string{"WRN", "relay failed", "function=tickets", `error="connection refused"`} {
		if !strings.Contains(line, want) {
			t.Errorf("line %q lacks %q", line, want)
		}
	}

	for _, format := range []string{"", "json", "JSON"} {
		var js bytes.Buffer
		logger, err := logging.Open(&js, logging.Options{Level: "info", Format: format})
		if err != nil {
			t.Fatal(err)
		}
		logger.Info("served")
		var rec map[string]any
		if err := json.Unmarshal(js.Bytes(), &rec); err != nil || rec["severity"] != "INFO" || rec["message"] != "served" {
			t.Errorf("LOG_FORMAT %q wrote %q (%v), want Cloud Logging's JSON", format, js.String(), err)
		}
	}
	if _, err := logging.Open(&text, logging.Options{Level: "info", Format: "xml"}); !errors.Is(err, logging.ErrFormat) {
		t.Errorf("LOG_FORMAT xml: %v, want ErrFormat", err)
	}
}

// A line logged while a span is in the context names its trace as Cloud
// Logging joins it (project-qualified when the project is known), or by id
// for a person; a line with no span names none.
func TestLinesNameTheTraceOfTheirContext(t *testing.T) {
	t.Parallel()
	traceID, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	spanID, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	traced := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: traceID, SpanID: spanID, TraceFlags: trace.FlagsSampled,
	}))
	tests := []struct {
		name string
		opts logging.Options
		ctx  context.Context
		want map[string]any // fields the line must have; nil values must be absent
	}{
		{"json with a project", logging.Options{Project: "shop"}, traced, map[string]any{
			logging.TraceKey:        "projects/shop/traces/4bf92f3577b34da6a3ce929d0e0e4736",
			logging.SpanKey:         "00f067aa0ba902b7",
			logging.TraceSampledKey: true,
		}},
		{"json without a project", logging.Options{}, traced, map[string]any{
			logging.TraceKey: "4bf92f3577b34da6a3ce929d0e0e4736",
			logging.SpanKey:  "00f067aa0ba902b7",
		}},
		{"json without a span", logging.Options{Project: "shop"}, context.Background(), map[string]any{
			logging.TraceKey: nil, logging.SpanKey: nil,
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			logger, err := logging.Open(&buf, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			logger.With("function", "orders").InfoContext(tc.ctx, "served")
			var line map[string]any
			if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
				t.Fatalf("%q is not JSON: %v", buf.String(), err)
			}
			for k, v := range tc.want {
				if got, ok := line[k]; v == nil && ok || v != nil && got != v {
					t.Errorf("%s = %v, want %v (line %s)", k, got, v, buf.String())
				}
			}
		})
	}

	var text bytes.Buffer
	logger, err := logging.Open(&text, logging.Options{Format: logging.Text})
	if err != nil {
		t.Fatal(err)
	}
	logger.InfoContext(traced, "served")
	if !strings.Contains(text.String(), "trace=4bf92f3577b34da6a3ce929d0e0e4736") {
		t.Errorf("text line %q names no trace", text.String())
	}
}
