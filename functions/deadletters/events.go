package deadletters

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/buytickets/buytickets/eventing/receive"
	"github.com/buytickets/buytickets/functions/deadletters/internal/deadletter"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/logging"
)

// The extensions the Knative data plane adds to an event it hands to a
// dead-letter sink.
const (
	// extErrorCode is the failed subscriber's HTTP status.
	extErrorCode = "knativeerrorcode"
	// extErrorDest is the URL of the subscriber that failed.
	extErrorDest = "knativeerrordest"
	// extErrorData is the subscriber's answer in base64, possibly cut short.
	extErrorData = "knativeerrordata"
)

// receiveDeadLetter stores the dead letter the Broker hands over and
// answers as the Knative data plane reads it: 200 once it is stored, or
// when the same delivery was stored before (the first copy is kept
// unchanged); 400 for a request that is no valid CloudEvent and 413 for one
// over receive.MaxBodyBytes, which the Broker gives up on; 503 when the store
// is unavailable and 500 for any other failure, which it retries.
func (f *Function) receiveDeadLetter() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		fail, err := decodeFailure(w, r)
		if err != nil {
			logging.FromContext(ctx).WarnContext(ctx, "dead letter refused", slog.Any("error", err))
			httpx.Error(w, r, err)
			return
		}
		d := deadletter.New(fail, f.now())
		created, err := f.store.Record(ctx, d)
		if err != nil {
			httpx.Error(w, r, fmt.Errorf("store.Record: %w", err))
			return
		}
		logReceived(ctx, d, created)
		if created {
			f.stored.Add(ctx, 1, metric.WithAttributes(attribute.String("type", d.EventType)))
		}
		// No body: the Broker must not read the answer as a reply event.
		w.WriteHeader(http.StatusOK)
	})
}

// decodeFailure reads the request's CloudEvent (receive.Read, with its
// refusals) into the failure it reports.
func decodeFailure(w http.ResponseWriter, r *http.Request) (deadletter.Failure, error) {
	ev, err := receive.Read(w, r)
	if err != nil {
		return deadletter.Failure{}, err
	}
	fail := deadletter.Failure{
		Type: ev.Type(), ID: ev.ID(), Source: ev.Source(), Subject: ev.Subject(),
		Code: extension(*ev, extErrorCode), Dest: extension(*ev, extErrorDest), Data: extension(*ev, extErrorData),
	}
	// The event is kept as it was first sent, for a replay to send again.
	for _, name := range []string{extErrorCode, extErrorDest, extErrorData} {
		ev.SetExtension(name, nil)
	}
	if fail.Event, err = structured(*ev); err != nil {
		return deadletter.Failure{}, receive.ErrInvalidEvent.With(fmt.Errorf("structured: %w", err))
	}
	return fail, nil
}

// extension returns the extension name of ev in its canonical string form,
// or "" when ev has none.
func extension(ev event.Event, name string) string {
	v, ok := ev.Extensions()[name]
	if !ok {
		return ""
	}
	s, err := types.Format(v)
	if err != nil {
		return ""
	}
	return s
}

// structured returns ev in structured JSON. Data that is not JSON, such as
// the malformed body a subscriber refused, goes in data_base64, so that a
// replay sends back exactly the bytes that arrived.
func structured(ev event.Event) (string, error) {
	if data := ev.Data(); data != nil && (!jsonMedia(ev.DataMediaType()) || !json.Valid(data)) {
		ev.DataBase64 = true
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return "", fmt.Errorf("json.Marshal: %w", err)
	}
	return string(b), nil
}

// jsonMedia reports whether a data media type is JSON, as sdk-go writes
// JSON data inline; no media type means JSON.
func jsonMedia(mt string) bool {
	return mt == "" || mt == event.ApplicationJSON || mt == event.TextJSON || strings.HasSuffix(mt, "+json")
}

// logReceived logs a dead letter: a warning the first time, since an event
// was lost to a subscriber, and a note for a duplicate delivery.
func logReceived(ctx context.Context, d deadletter.DeadLetter, created bool) {
	logger := logging.FromContext(ctx).With(slog.String("deadLetter", d.ID), slog.String("type", d.EventType),
		slog.String("source", d.Source), slog.String("eventId", d.EventID))
	if !created {
		logger.InfoContext(ctx, "dead letter already stored")
		return
	}
	logger.WarnContext(ctx, "dead letter stored", slog.Int("errorCode", d.ErrorCode), slog.String("errorDest", d.ErrorDest))
}
