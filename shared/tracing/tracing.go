// Package tracing follows one request across every function it reaches:
// W3C trace context in through HTTP (or GCP's X-Cloud-Trace-Context where
// only that is present), carried in an event's CloudEvents traceparent
// extension and in a scheduled task, and out again on every call a
// function makes. Spans are exported by OTLP when
// OTEL_EXPORTER_OTLP_ENDPOINT is set; otherwise every span still gets its
// ids, so that log lines name their trace, and nothing is recorded or
// sent.
//
// A process calls Setup once; the rest of the marketplace reaches the
// tracer and propagator through OpenTelemetry's own registry (otel.Tracer,
// otel.GetTextMapPropagator), the one place its instrumentation libraries
// look.
package tracing

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// Name is the instrumentation scope of the marketplace's own spans and
// metrics.
const Name = "github.com/buytickets/buytickets"

// Options say how a process traces.
type Options struct {
	// Service names the process in its spans (service.name):
	// the function, or "buytickets" for the whole stack in one process.
	// OTEL_SERVICE_NAME, when set, wins.
	Service string
	// Export sends spans and metrics by OTLP over HTTP, to where
	// OTEL_EXPORTER_OTLP_ENDPOINT (and the other OTEL_EXPORTER_OTLP_*
	// settings) say; when false nothing is recorded or sent.
	Export bool
}

// Setup installs the process's tracer provider, meter provider and
// propagator, and returns the function that flushes and stops them (call
// it once the process has stopped serving).
//
// Without Export, spans are never sampled: they carry fresh ids, so a
// trace is continued or started and named in the logs, but nothing is
// recorded, and metrics stay OpenTelemetry's no-op ones.
func Setup(ctx context.Context, opts Options) (shutdown func(context.Context) error, err error) {
	otel.SetTextMapPropagator(Propagator())
	if !opts.Export {
		otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample())))
		return func(context.Context) error { return nil }, nil
	}
	// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, read later, win
	// over the name given.
	res, err := resource.New(ctx, resource.WithAttributes(semconv.ServiceName(opts.Service)),
		resource.WithTelemetrySDK(), resource.WithFromEnv())
	if err != nil {
		return nil, fmt.Errorf("tracing: resource: %w", err)
	}
	spans, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP span exporter: %w", err)
	}
	metrics, err := otlpmetrichttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP metric exporter: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(spans), sdktrace.WithResource(res))
	// Pushed, since a function scaled to zero is never scraped.
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(metrics)), sdkmetric.WithResource(res))
	otel.SetTracerProvider(tp)
	otel.SetMeterProvider(mp)
	return func(ctx context.Context) error {
		return errors.Join(tp.Shutdown(ctx), mp.Shutdown(ctx))
	}, nil
}

// Propagator reads and writes W3C trace context and baggage, and reads
// GCP's X-Cloud-Trace-Context on a request that carries no traceparent
// (Google's load balancers set it).
func Propagator() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(
		// Read first, so that a traceparent, when present, wins.
		cloudTraceContext{},
		propagation.TraceContext{},
		propagation.Baggage{},
	)
}

// Meter is the marketplace's meter: OpenTelemetry's no-op one unless
// Setup exports.
func Meter() metric.Meter { return otel.Meter(Name) }

// Start starts a span named name, a child of the span in ctx, through the
// marketplace's tracer.
func Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	return otel.Tracer(Name).Start(ctx, name, opts...)
}

// End ends span, recording err as its error when not nil.
func End(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// Traceparent is the W3C traceparent of the span in ctx, "" when ctx
// carries none: what an event or a task stores to continue the trace
// later.
func Traceparent(ctx context.Context) string {
	carrier := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(ctx, carrier)
	return carrier.Get("traceparent")
}

// TraceID is the id of the trace in ctx, in hex, "" when ctx carries
// none.
func TraceID(ctx context.Context) string {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		return sc.TraceID().String()
	}
	return ""
}

// Continue returns ctx with the span that traceparent names as its remote
// parent; ctx as it is when traceparent is empty or malformed.
func Continue(ctx context.Context, traceparent string) context.Context {
	if traceparent == "" {
		return ctx
	}
	return propagation.TraceContext{}.Extract(ctx, propagation.MapCarrier{"traceparent": traceparent})
}

// Inject writes the trace context of ctx into the headers of an outgoing
// request.
func Inject(ctx context.Context, h http.Header) {
	otel.GetTextMapPropagator().Inject(ctx, propagation.HeaderCarrier(h))
}

// ceTraceparent is the header of the CloudEvents traceparent extension in
// binary mode.
const ceTraceparent = "Ce-Traceparent"

// Middleware continues the trace of each request h serves (its
// traceparent, else its X-Cloud-Trace-Context, else the traceparent
// extension of the CloudEvent it carries) or starts one, in a server span
// named for its method and path until a router names its route (Route).
func Middleware(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := otel.GetTextMapPropagator().Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		if !trace.SpanContextFromContext(ctx).IsValid() {
			ctx = Continue(ctx, r.Header.Get(ceTraceparent))
		}
		if trace.SpanContextFromContext(ctx).IsValid() {
			ctx = context.WithValue(ctx, continuedKey{}, true)
		}
		ctx, span := Start(ctx, r.Method+" "+r.URL.Path, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(semconv.HTTPRequestMethodKey.String(r.Method), semconv.URLPath(r.URL.Path)))
		defer span.End()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

type continuedKey struct{}

// Continued reports whether the request being served in ctx continued its
// caller's trace, rather than starting one (Middleware).
func Continued(ctx context.Context) bool {
	continued, _ := ctx.Value(continuedKey{}).(bool)
	return continued
}

// Answered records on the server span in ctx the status its request was
// answered with (a server error marks the span failed).
func Answered(ctx context.Context, status int) {
	span := trace.SpanFromContext(ctx)
	span.SetAttributes(semconv.HTTPResponseStatusCode(status))
	if status >= 500 {
		span.SetStatus(codes.Error, http.StatusText(status))
	}
}

// Route names the server span in ctx for the route that matched its
// request (a ServeMux pattern such as "POST /api/orders"), rather than
// for its path, which may hold ids.
func Route(ctx context.Context, pattern string) {
	span := trace.SpanFromContext(ctx)
	span.SetName(pattern)
	if _, route, ok := strings.Cut(pattern, " "); ok {
		pattern = route
	}
	span.SetAttributes(semconv.HTTPRoute(pattern))
}
