package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/buytickets/buytickets/eventing/broker"
	"github.com/buytickets/buytickets/shared/tracing"
)

// tracingCost runs the market's rows and the broker's row three times in
// one run: with OpenTelemetry's no-op provider (nothing traced at all),
// with tracing off (OTEL_EXPORTER_OTLP_ENDPOINT unset, the default:
// spans get ids for the logs, nothing is recorded) and on (every span
// recorded and exported by OTLP to a collector on loopback that takes
// and drops them).
func tracingCost(ctx context.Context, w *bytes.Buffer, tmp string) error {
	var exported atomic.Int64
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		exported.Add(n)
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer collector.Close()

	heading(w, "Tracing: none, off and on",
		fmt.Sprintf("The market's rows (%d clients, %d requests each, one replica per function) and the broker's (2000 events, 8 clients, no chaos), each on a fresh stack: with OpenTelemetry's no-op provider, with tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT: spans carry ids for the logs, none is recorded), and on (every span recorded and exported by OTLP/HTTP to a collector on loopback).", marketClients, marketRequests),
		"request", "requests/s", "p50", "p99")
	for _, mode := range []string{"none", "off", "on"} {
		stop := func(context.Context) error { return nil }
		switch mode {
		case "none":
			otel.SetTracerProvider(noop.NewTracerProvider())
		default:
			if mode == "on" {
				os.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
			}
			var err error
			if stop, err = tracing.Setup(ctx, tracing.Options{Service: "bench", Export: mode == "on"}); err != nil {
				return err
			}
		}
		suffix := ", tracing " + mode
		err := marketLoad(ctx, w, filepath.Join(tmp, "tracing-"+mode), suffix)
		if err == nil {
			var rate float64
			var p50, p99 time.Duration
			rate, p50, p99, err = runBroker(ctx, filepath.Join(tmp, "tracing-broker-"+mode+".db"), broker.Chaos{}, 2000, 8)
			fmt.Fprintf(w, "| broker publish → delivered%s | %.0f | %s | %s |\n", suffix, rate, ms(p50), ms(p99))
		}
		os.Unsetenv("OTEL_EXPORTER_OTLP_ENDPOINT")
		if err := errors.Join(err, stop(ctx)); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "\nWith tracing on, the collector took %.1f MB of spans and metrics.\n", float64(exported.Load())/1e6)
	return nil
}
