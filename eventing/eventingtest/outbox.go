package eventingtest

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing/outbox"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/store"
)

// FastOutbox returns outbox options quick enough for tests: entries are
// relayed from a millisecond old, retried after 5 ms and at most 100 ms
// apart, and a sink that hangs is given up after 5 s.
func FastOutbox() outbox.Options {
	return outbox.Options{
		MinAge:     time.Millisecond,
		MinBackoff: 5 * time.Millisecond,
		MaxBackoff: 100 * time.Millisecond,
		Client:     &http.Client{Timeout: 5 * time.Second},
	}
}

// Unrelayed returns an outbox on db that nothing relays, its sink a port
// where nothing listens, so that a store test can count what a
// transaction recorded in it; the test fails when the outbox cannot be
// made.
func Unrelayed(tb testing.TB, db store.Store) *outbox.Outbox {
	tb.Helper()
	box, err := outbox.New(db, "http://127.0.0.1:9", outbox.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return box
}

// Recorded returns the events the outbox on db holds, sent or not, in no
// particular order, so that a test can check what a transaction recorded;
// the test fails when the outbox cannot be read.
func Recorded(tb testing.TB, db store.Store) []event.Event {
	tb.Helper()
	docs, err := db.Query(context.Background(), outbox.Collection, store.Query{})
	if err != nil {
		tb.Fatal(err)
	}
	events := make([]event.Event, 0, len(docs))
	for _, d := range docs {
		var e struct {
			Event string `store:"event"`
		}
		if err := d.DataTo(&e); err != nil {
			tb.Fatal(err)
		}
		var ev event.Event
		if err := json.Unmarshal([]byte(e.Event), &ev); err != nil {
			tb.Fatalf("outbox entry %s: %v", d.ID, err)
		}
		events = append(events, ev)
	}
	return events
}

// SweepRequest returns the POST of an empty JSON object to the outbox's
// sweep (outbox.SweepPath) that function's PingSource sends, signed as it
// (SweepToken), for the test to serve with the function's handler.
func SweepRequest(tb testing.TB, function string) *http.Request {
	tb.Helper()
	req := httpxtest.NewJSONRequest(http.MethodPost, outbox.SweepPath, `{}`)
	return Authorize(req, SweepToken(tb, function))
}
