package tracing_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/buytickets/buytickets/shared/tracing"
)

// record installs a tracer provider that records every span, as an
// exporting process does, and the marketplace's propagator.
func record(t *testing.T) *tracetest.SpanRecorder {
	t.Helper()
	if _, err := tracing.Setup(context.Background(), tracing.Options{Service: "test"}); err != nil {
		t.Fatal(err)
	}
	rec := tracetest.NewSpanRecorder()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	return rec
}

const (
	traceID  = "4bf92f3577b34da6a3ce929d0e0e4736"
	parentID = "00f067aa0ba902b7"
)

// A request continues the trace its caller sent: a traceparent, else
// Google's X-Cloud-Trace-Context, else the traceparent extension of the
// CloudEvent it carries; with none, it starts a trace.
func TestRequestsContinueTheirCallersTrace(t *testing.T) {
	rec := record(t)
	tests := []struct {
		name       string
		header     http.Header
		wantTrace  string // "" for a new trace
		wantParent string
	}{
		{"traceparent", http.Header{"Traceparent": {"00-" + traceID + "-" + parentID + "-01"}}, traceID, parentID},
		{"X-Cloud-Trace-Context", http.Header{"X-Cloud-Trace-Context": {traceID + "/1;o=1"}}, traceID, "0000000000000001"},
		{"a CloudEvent's traceparent", http.Header{"Ce-Traceparent": {"00-" + traceID + "-" + parentID + "-01"}}, traceID, parentID},
		{"the hop's traceparent over the event's", http.Header{
			"Traceparent":    {"00-" + traceID + "-" + parentID + "-01"},
			"Ce-Traceparent": {"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
		}, traceID, parentID},
		{"nothing", http.Header{}, "", ""},
		{"a malformed traceparent", http.Header{"Traceparent": {"00-zz-" + parentID + "-01"}}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec.Reset()
			var seen trace.SpanContext
			var continued bool
			h := tracing.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen = trace.SpanContextFromContext(r.Context())
				continued = tracing.Continued(r.Context())
				w.WriteHeader(http.StatusTeapot)
			}))
			req := httptest.NewRequest("POST", "/api/orders", nil)
			req.Header = tc.header
			h.ServeHTTP(httptest.NewRecorder(), req)

			if !seen.IsValid() {
				t.Fatal("the handler's context carries no span")
			}
			if tc.wantTrace != "" && seen.TraceID().String() != tc.wantTrace {
				t.Errorf("trace = %s, want %s", seen.TraceID(), tc.wantTrace)
			}
			if tc.wantTrace == "" && seen.TraceID().String() == traceID {
				t.Errorf("trace = %s, want a new one", seen.TraceID())
			}
			if continued != (tc.wantTrace != "") {
				t.Errorf("Continued = %v, want %v", continued, tc.wantTrace != "")
			}
			spans := rec.Ended()
			if len(spans) != 1 {
				t.Fatalf("%d spans ended, want 1", len(spans))
			}
			if got := spans[0].Parent().SpanID(); tc.wantParent != "" && got.String() != tc.wantParent {
				t.Errorf("parent = %s, want %s", got, tc.wantParent)
			}
			if tc.wantParent == "" && spans[0].Parent().IsValid() {
				t.Errorf("parent = %s, want none", spans[0].Parent().SpanID())
			}
			if spans[0].SpanKind() != trace.SpanKindServer || spans[0].Name() != "POST /api/orders" {
				t.Errorf("span %q of kind %s, want a server span POST /api/orders", spans[0].Name(), spans[0].SpanKind())
			}
		})
	}
}

// A traceparent written down (with an event, a task) continues its trace
// when read back; an empty or malformed one leaves the context as it is.
func TestAStoredTraceparentContinuesItsTrace(t *testing.T) {
	record(t)
	ctx, span := tracing.Start(context.Background(), "order")
	defer span.End()
	stored := tracing.Traceparent(ctx)
	if stored == "" {
		t.Fatal("a span's context has no traceparent")
	}
	later := trace.SpanContextFromContext(tracing.Continue(context.Background(), stored))
	if later.TraceID() != span.SpanContext().TraceID() || later.SpanID() != span.SpanContext().SpanID() || !later.IsRemote() {
		t.Errorf("continued %v, want the remote span %v", later, span.SpanContext())
	}
	for _, bad := range []string{"", "00-nonsense"} {
		if sc := trace.SpanContextFromContext(tracing.Continue(context.Background(), bad)); sc.IsValid() {
			t.Errorf("Continue(%q) = %v, want no span", bad, sc)
		}
	}
	if got := tracing.Traceparent(context.Background()); got != "" {
		t.Errorf("Traceparent of no span = %q, want empty", got)
	}
}

// Without an exporter, spans still carry ids, so that logs name the
// trace, but none is sampled or recorded.
func TestWithoutAnExporterNothingIsRecorded(t *testing.T) {
	if _, err := tracing.Setup(context.Background(), tracing.Options{Service: "test"}); err != nil {
		t.Fatal(err)
	}
	_, span := tracing.Start(context.Background(), "order")
	defer span.End()
	if !span.SpanContext().IsValid() || span.IsRecording() || span.SpanContext().IsSampled() {
		t.Errorf("span %v: valid %v, recording %v, sampled %v; want valid, not recording, not sampled",
			span.SpanContext(), span.SpanContext().IsValid(), span.IsRecording(), span.SpanContext().IsSampled())
	}
}

// Google's X-Cloud-Trace-Context is read as its documentation writes it,
// and a malformed one is ignored.
func TestXCloudTraceContextIsReadOrIgnored(t *testing.T) {
	record(t)
	tests := []struct {
		header, wantSpan string
		sampled, ok      bool
	}{
		{traceID + "/1;o=1", "0000000000000001", true, true},
		{traceID + "/18446744073709551615;o=0", "ffffffffffffffff", false, true},
		{traceID + "/12345", "0000000000003039", false, true},
		{traceID + "/0;o=1", "", false, false},
		{traceID + "/-1", "", false, false},
		{traceID + "/18446744073709551616", "", false, false},
		{"nothex/1;o=1", "", false, false},
		{traceID, "", false, false},
		{"", "", false, false},
	}
	for _, tc := range tests {
		h := http.Header{"X-Cloud-Trace-Context": {tc.header}}
		sc := trace.SpanContextFromContext(otel.GetTextMapPropagator().Extract(context.Background(), propagation.HeaderCarrier(h)))
		if sc.IsValid() != tc.ok {
			t.Errorf("%q: valid %v, want %v", tc.header, sc.IsValid(), tc.ok)
			continue
		}
		if tc.ok && (sc.TraceID().String() != traceID || sc.SpanID().String() != tc.wantSpan || sc.IsSampled() != tc.sampled || !sc.IsRemote()) {
			t.Errorf("%q: %s/%s sampled %v, want %s/%s sampled %v", tc.header, sc.TraceID(), sc.SpanID(), sc.IsSampled(), traceID, tc.wantSpan, tc.sampled)
		}
	}
}
