package eventingtest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/cloudevents/sdk-go/v2/event"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	"github.com/buytickets/buytickets/eventing"
)

// deliverTimeout turns a recipient that hangs into a failed test.
const deliverTimeout = time.Minute

// NewRequest returns a POST of ev to target in binary mode, as the broker
// delivers it and the outbox publishes it, for a test to send with its own
// client; the test fails when ev cannot be encoded.
func NewRequest(tb testing.TB, target string, ev event.Event) *http.Request {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPost, target, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if err := cehttp.WriteRequest(context.Background(), binding.ToMessage(&ev), req); err != nil {
		tb.Fatal(err)
	}
	return req
}

// Deliver posts ev to target as every sender does (eventing.Send), with
// token as its credentials (none when empty), and returns the answer; the test fails when target cannot be reached or
// does not answer within a minute. Call it from the test's goroutine.
func Deliver(tb testing.TB, target, token string, ev event.Event) eventing.Answer {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deliverTimeout)
	defer cancel()
	answer, err := eventing.Send(ctx, http.DefaultClient, target, token, ev)
	if err != nil {
		tb.Fatalf("deliver %s %s to %s: %v", ev.Type(), ev.ID(), target, err)
	}
	return answer
}
