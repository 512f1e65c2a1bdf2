package deadletters

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/cloudevents/sdk-go/v2/event"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	"github.com/buytickets/buytickets/functions/deadletters/internal/deadletter"
)

// maxAnswerLog is how much of a failing subscriber's answer a replay logs.
const maxAnswerLog = 1 << 10

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
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target.String(), nil)
	if err != nil {
		return 0, fmt.Errorf("http.NewRequest: %w", err)
	}
	if err := cehttp.WriteRequest(ctx, binding.ToMessage(&ev), req); err != nil {
		return 0, fmt.Errorf("cehttp.WriteRequest: %w", err)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return 0, &subscriberError{err: fmt.Errorf("http.Client.Do: %w", err)}
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswerLog))
	if !deadletter.Delivered(resp.StatusCode) {
		return resp.StatusCode, &subscriberError{status: resp.StatusCode,
			err: fmt.Errorf("subscriber %s answered %d: %s", target.Redacted(), resp.StatusCode, strings.TrimSpace(string(answer)))}
	}
	return resp.StatusCode, nil
}
