package eventing

import (
	"context"

	"github.com/cloudevents/sdk-go/v2/event"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/buytickets/buytickets/shared/tracing"
)

// TraceparentExtension is the CloudEvents extension that carries the W3C
// traceparent of the work that caused an event (CloudEvents' distributed
// tracing extension): set by the outbox from the transaction that wrote
// the event, kept by the broker.
const TraceparentExtension = "traceparent"

// Traceparent returns ev's traceparent extension, "" when it has none.
func Traceparent(ev event.Event) string {
	s, _ := ev.Extensions()[TraceparentExtension].(string)
	return s
}

// ContinueEvent returns ctx continuing the trace ev began in (its
// traceparent extension), unless the request that delivers ev continued
// its caller's trace (tracing.Continued): the hop is the closer parent.
// A structured-mode event, whose extension no header shows, is continued
// here.
func ContinueEvent(ctx context.Context, ev event.Event) context.Context {
	if tracing.Continued(ctx) {
		return ctx
	}
	return tracing.Continue(ctx, Traceparent(ev))
}

// SpanAttributes names ev in a span: its type, id and source, in
// OpenTelemetry's CloudEvents conventions.
func SpanAttributes(ev event.Event) trace.SpanStartEventOption {
	return trace.WithAttributes(
		attribute.String("cloudevents.event_type", ev.Type()),
		attribute.String("cloudevents.event_id", ev.ID()),
		attribute.String("cloudevents.event_source", ev.Source()),
	)
}

// DeadLetterCounter is the counter of the events lost to a subscriber,
// stored as dead letters (by the deadletters function in production, by
// the embedded broker), by event type.
func DeadLetterCounter() (metric.Int64Counter, error) {
	return tracing.Meter().Int64Counter("buytickets.deadletters", metric.WithUnit("{event}"),
		metric.WithDescription("Events a subscriber refused or never took, stored as dead letters, by type."))
}
