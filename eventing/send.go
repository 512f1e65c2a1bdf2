package eventing

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/cloudevents/sdk-go/v2/event"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	"github.com/buytickets/buytickets/shared/tracing"
)

// Outcome is what a recipient's answer to a delivery means, by the one
// retry table of the marketplace (Classify).
type Outcome int

// The outcomes of a delivery.
const (
	// Done is an event the recipient took: delivery is complete.
	Done Outcome = iota + 1
	// Retry is an event to send again later, with backoff.
	Retry
	// DeadLetter is an event the recipient refused for good: a retry
	// would not change the answer, so it goes to the dead-letter sink
	// (the outbox, which has none, logs and drops it).
	DeadLetter
)

// String names the outcome, for logs.
func (o Outcome) String() string {
	switch o {
	case Done:
		return "done"
	case Retry:
		return "retry"
	case DeadLetter:
		return "dead letter"
	default:
		return fmt.Sprintf("Outcome(%d)", int(o))
	}
}

// Classify is the one retry table of every sender (the outbox relay, the
// embedded broker, the dead-letter replay) and of what receivers answer.
// It follows Knative's data plane (knative/specs,
// specs/eventing/data-plane.md, "Event Acknowledgement and Delivery
// Retry"):
//
//	2xx                  Done
//	404, 409, 429, 5xx   Retry
//	408                  Retry
//	400, other 4xx       DeadLetter
//	1xx, 3xx             DeadLetter
//
// 408 is retried as Knative's own dispatcher retries it, though the
// spec's table files it under "other 4xx": a request that timed out says
// nothing about the event. 1xx and 3xx are errors that are not retried,
// as the spec's table says (Retry: No, Error: Yes): net/http handles the
// informational answers itself and follows the redirects it can, so one
// that reaches a sender is a misconfigured recipient that a retry would
// not change. A status outside 100–599 is no HTTP answer the spec
// defines, and is retried, as it asks of codes not in its table.
func Classify(status int) Outcome {
	switch {
	case status >= 200 && status < 300:
		return Done
	case status == http.StatusNotFound, status == http.StatusRequestTimeout,
		status == http.StatusConflict, status == http.StatusTooManyRequests:
		return Retry
	case status >= 500 && status < 600:
		return Retry
	case status >= 100 && status < 500:
		return DeadLetter
	default:
		return Retry
	}
}

// MaxAnswerBytes is how much of a recipient's answer Send keeps, for logs
// and dead letters.
const MaxAnswerBytes = 1 << 10

// maxDrainBytes is how much of an answer Send reads at most, so that the
// connection can be reused; a longer answer closes it instead.
const maxDrainBytes = 64 << 10

// ErrUnsendable marks an event Send could not put into a request (an
// event that does not encode, a target that is no URL): sending it again
// would fail again.
var ErrUnsendable = errors.New("eventing: event cannot be sent")

// Answer is a recipient's answer to Send.
type Answer struct {
	// Status is the HTTP status.
	Status int
	// Body is the start of the answer, at most MaxAnswerBytes.
	Body []byte
}

// Outcome classifies the answer (Classify).
func (a Answer) Outcome() Outcome { return Classify(a.Status) }

// String describes the answer for a log or a dead letter, such as
// `answered 400: {"errors":[...]}`.
func (a Answer) String() string {
	return fmt.Sprintf("answered %d: %s", a.Status, strings.TrimSpace(string(a.Body)))
}

// Send posts ev to target as a CloudEvent in binary mode, as every
// sender of the marketplace does, through client, with token as its bearer
// credentials (none when empty) and the trace context of ctx, and returns
// the recipient's answer. It fails with ErrUnsendable when ev or target
// cannot make a request, and with the client's error when the recipient
// could not be reached or did not answer (to retry); bound the time it
// takes with ctx or the client's timeout.
func Send(ctx context.Context, client *http.Client, target, token string, ev event.Event) (Answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, nil)
	if err != nil {
		return Answer{}, fmt.Errorf("%w: http.NewRequest: %v", ErrUnsendable, err)
	}
	if err := cehttp.WriteRequest(ctx, binding.ToMessage(&ev), req); err != nil {
		return Answer{}, fmt.Errorf("%w: cehttp.WriteRequest: %v", ErrUnsendable, err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	// The hop's own trace context; the event's traceparent extension
	// keeps naming where the event began.
	tracing.Inject(ctx, req.Header)
	resp, err := client.Do(req)
	if err != nil {
		return Answer{}, fmt.Errorf("http.Client.Do: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, MaxAnswerBytes))
	// Drained, so the connection is reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrainBytes))
	return Answer{Status: resp.StatusCode, Body: body}, nil
}
