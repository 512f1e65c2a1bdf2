package eventingtest

import (
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
)

// Event returns the event that newEvent, one of eventing's constructors
// (eventing.NewOrderCreated and the like), makes of payload; the test
// fails when the constructor refuses it.
//
//	ev := eventingtest.Event(t, eventing.NewOrderCreated, eventing.OrderCreated{ID: id})
func Event[P any](tb testing.TB, newEvent func(P) (event.Event, error), payload P) event.Event {
	tb.Helper()
	ev, err := newEvent(payload)
	if err != nil {
		tb.Fatal(err)
	}
	return ev
}

// Decode returns ev's data decoded into a P, as eventing.Decode reads it;
// the test fails when it cannot be.
//
//	placed := eventingtest.Decode[eventing.OrderCreated](t, ev)
func Decode[P any](tb testing.TB, ev event.Event) P {
	tb.Helper()
	var p P
	if err := eventing.Decode(ev, &p); err != nil {
		tb.Fatal(err)
	}
	return p
}

// WithData returns a copy of ev carrying data, as it is, in place of its
// encoded data: for a receiver's test to send data it must refuse.
func WithData(ev event.Event, data string) event.Event {
	ev = ev.Clone()
	ev.DataEncoded = []byte(data)
	return ev
}

// WithVersion returns a copy of ev whose entityversion extension is v, or
// that has none when v is nil: for a receiver's test to send a version it
// must refuse.
func WithVersion(ev event.Event, v any) event.Event {
	ev = ev.Clone()
	ev.SetExtension(eventing.ExtensionEntityVersion, v)
	return ev
}
