package deadletters

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/functions/deadletters/internal/deadletter"
)

// subscriberError is a replay the subscriber did not take: it answered
// status, not a 2xx, or did not answer at all (status 0).
type subscriberError struct {
	status int
	err    error
}

func (e *subscriberError) Error() string { return e.err.Error() }

func (e *subscriberError) Unwrap() error { return e.err }

// resend sends d's event, as it was first sent, in binary mode to the
// subscriber that failed it, and returns the subscriber's 2xx status. It
// fails with a *subscriberError when the subscriber answers otherwise or
// cannot be reached, and with deadletter.ErrNoSubscriber when d names none.
func (f *Function) resend(ctx context.Context, d deadletter.DeadLetter) (int, error) {
	target, err := d.Subscriber()
	if err != nil {
		return 0, err
	}
	var ev event.Event
	if err := json.Unmarshal([]byte(d.Event), &ev); err != nil {
		return 0, fmt.Errorf("json.Unmarshal: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, f.replayTimeout)
	defer cancel()
	answer, err := eventing.Send(ctx, f.client, target.String(), ev)
	switch {
	case errors.Is(err, eventing.ErrUnsendable):
		return 0, fmt.Errorf("eventing.Send: %w", err)
	case err != nil:
		return 0, &subscriberError{err: fmt.Errorf("eventing.Send: %w", err)}
	case !deadletter.Delivered(answer.Status):
		return answer.Status, &subscriberError{status: answer.Status,
			err: fmt.Errorf("subscriber %s %s", target.Redacted(), answer)}
	}
	return answer.Status, nil
}
