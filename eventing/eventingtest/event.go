package eventingtest

import (
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
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
