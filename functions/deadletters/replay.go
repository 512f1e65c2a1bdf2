package deadletters

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

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

// subscribers are the destinations the Triggers name, by function,
// resolved to their addresses.
func (f *Function) subscribers() map[string]*url.URL {
	known := map[string]*url.URL{}
	for _, s := range f.events.Plane().Subscribers() {
		known[s.Function] = f.resolve(s.Function).ResolveReference(&url.URL{Path: s.Path})
	}
	return known
}

// resend sends d's event, as it was first sent, in binary mode to the
// subscriber that failed it, with a token for that subscriber, and returns
// the subscriber's 2xx status. It fails with a *subscriberError when the
// subscriber answers otherwise or cannot be reached, with
// deadletter.ErrNoSubscriber when d names none, and with
// deadletter.ErrUnknownSubscriber when the one it names is no Trigger's.
func (f *Function) resend(ctx context.Context, d deadletter.DeadLetter) (int, error) {
	function, target, err := d.SubscriberAmong(f.subscribers())
	if err != nil {
		return 0, err
	}
	token, err := f.replayTokens(function).Token(ctx, f.events.Plane().Audience(function))
	if err != nil {
		return 0, &subscriberError{err: fmt.Errorf("replay token for %s: %w", function, err)}
	}
	var ev event.Event
	if err := json.Unmarshal([]byte(d.Event), &ev); err != nil {
		return 0, fmt.Errorf("json.Unmarshal: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, f.replayTimeout)
	defer cancel()
	answer, err := eventing.Send(ctx, f.client, target.String(), token, ev)
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
