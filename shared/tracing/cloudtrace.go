package tracing

import (
	"context"
	"encoding/binary"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// cloudTraceHeader is Google's trace header, "TRACE_ID/SPAN_ID;o=OPTIONS":
// the trace id in 32 hex digits, the span id in decimal, o=1 when
// sampled.
const cloudTraceHeader = "X-Cloud-Trace-Context"

// cloudTraceContext reads X-Cloud-Trace-Context, and writes nothing: the
// marketplace's own calls carry traceparent. It is written here because
// the module Google published for it is deprecated (its load balancers
// now send traceparent as well), while some of its front ends still send
// only this header, and the format is one line.
type cloudTraceContext struct{}

var _ propagation.TextMapPropagator = cloudTraceContext{}

func (cloudTraceContext) Inject(context.Context, propagation.TextMapCarrier) {}

func (cloudTraceContext) Fields() []string { return []string{cloudTraceHeader} }

// Extract returns ctx with the remote span the header names, or ctx as it
// is when the header is absent or malformed.
func (cloudTraceContext) Extract(ctx context.Context, carrier propagation.TextMapCarrier) context.Context {
	if sc, ok := parseCloudTrace(carrier.Get(cloudTraceHeader)); ok {
		return trace.ContextWithRemoteSpanContext(ctx, sc)
	}
	return ctx
}

func parseCloudTrace(h string) (trace.SpanContext, bool) {
	traceHex, rest, ok := strings.Cut(strings.TrimSpace(h), "/")
	if !ok {
		return trace.SpanContext{}, false
	}
	spanDec, options, _ := strings.Cut(rest, ";")
	traceID, err := trace.TraceIDFromHex(traceHex)
	if err != nil {
		return trace.SpanContext{}, false
	}
	n, err := strconv.ParseUint(spanDec, 10, 64)
	if err != nil || n == 0 {
		return trace.SpanContext{}, false
	}
	var spanID trace.SpanID
	binary.BigEndian.PutUint64(spanID[:], n)
	var flags trace.TraceFlags
	if options == "o=1" {
		flags = trace.FlagsSampled
	}
	return trace.NewSpanContext(trace.SpanContextConfig{TraceID: traceID, SpanID: spanID, TraceFlags: flags, Remote: true}), true
}
