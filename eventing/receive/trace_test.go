package receive_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/receive"
	"github.com/buytickets/buytickets/shared/store/storetest"
	"github.com/buytickets/buytickets/shared/tracing"
)

// A receiver applies an event in a span of the hop that delivered it
// (its traceparent header, as eventing.Send and Knative's broker send
// it); an event delivered with no trace of the hop, in structured mode
// say, continues the trace it began in, its traceparent extension.
func TestAReceiverContinuesTheHopsTraceOrElseTheEvents(t *testing.T) {
	if _, err := tracing.Setup(t.Context(), tracing.Options{Service: "test"}); err != nil {
		t.Fatal(err)
	}
	rec := tracetest.NewSpanRecorder()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	url := serve(t, tracing.Middleware(receive.Handler(storetest.OpenTempSQLite(t, "receive-trace"), increment)))

	const origin = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	receiveSpan := func(id string) (trace.SpanContext, trace.SpanContext) {
		t.Helper()
		for _, s := range rec.Ended() {
			for _, a := range s.Attributes() {
				if a.Key == "cloudevents.event_id" && a.Value.AsString() == id {
					return s.SpanContext(), s.Parent()
				}
			}
		}
		t.Fatalf("no receive span of event %s", id)
		return trace.SpanContext{}, trace.SpanContext{}
	}

	// Binary mode, sent in a span of its own hop.
	hop := paymentEvent(t)
	hop.SetExtension(eventing.TraceparentExtension, origin)
	ctx, span := tracing.Start(context.Background(), "hop")
	if answer, err := eventing.Send(ctx, client, url, "", hop); err != nil || answer.Status != http.StatusOK {
		t.Fatalf("binary delivery: %v %v", answer, err)
	}
	span.End()
	if got, _ := receiveSpan(hop.ID()); got.TraceID() != span.SpanContext().TraceID() {
		t.Errorf("binary mode: received in trace %s, want the hop's %s", got.TraceID(), span.SpanContext().TraceID())
	}

	// Structured mode, no trace header: the event's own trace.
	structured := paymentEvent(t)
	structured.SetExtension(eventing.TraceparentExtension, origin)
	body, err := json.Marshal(structured)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Post(url, "application/cloudevents+json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("structured delivery: %d", resp.StatusCode)
	}
	got, parent := receiveSpan(structured.ID())
	if got.TraceID().String() != "4bf92f3577b34da6a3ce929d0e0e4736" || parent.SpanID().String() != "00f067aa0ba902b7" {
		t.Errorf("structured mode: received in %s under %s, want the event's trace under its span", got.TraceID(), parent.SpanID())
	}
}
