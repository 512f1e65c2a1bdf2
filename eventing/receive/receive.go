// Package receive applies delivered events safely. The broker delivers at
// least once, in no order, possibly several times and concurrently; Handler
// makes each event take effect once, by recording its receipt in the
// transaction of its effect, and InOrder lets a replica apply an entity's
// changes in version order.
//
// Handler is a plain http.Handler for the function's own mux ("POST
// /events"). It decodes with binding.ToEvent rather than serving through
// sdk-go's client.NewHTTPReceiveHandler, which hangs under a few hundred
// concurrent requests (cloudevents/sdk-go#1224, #1332). A function mounts it
// on its mux, waking its outbox when an effect records events:
//
//	mux.Handle("POST "+receive.Path, receive.Handler(db, s.apply, receive.AfterCommit(box.Notify)))
//
// and its apply switches on the event's type, decodes the payload with
// eventing.Decode and, for a replica, asks InOrder whether to apply it.
package receive

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/cloudevents/sdk-go/v2/event"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/shared/apperr"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/logging"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/tracing"
)

// The refusals of a request that carries no event to apply.
var (
	// ErrInvalidEvent is a request that is no valid CloudEvent. Handler
	// answers it 400: redelivering it would not help.
	ErrInvalidEvent = apperr.New(apperr.Invalid, "Invalid CloudEvent")
	// ErrEventTooLarge is a request over MaxBodyBytes. Handler answers it 413.
	ErrEventTooLarge = apperr.New(apperr.TooLarge, "Event too large")
)

// Path is where a function mounts Handler ("POST /events"), the path its
// Triggers deliver to.
const Path = "/events"

// Collection holds the receipts of a function's store, one per event taken.
const Collection = "receipts"

// MaxBodyBytes is the largest event body a receiver reads.
const MaxBodyBytes = 1 << 20

// receipt records that an event took effect. Its document id is ReceiptID.
type receipt struct {
	Source     string    `store:"source"`
	ID         string    `store:"id"`
	Type       string    `store:"type"`
	ReceivedAt time.Time `store:"receivedAt"`
}

// ReceiptID is the id of the receipt of the event with source and id: a hash,
// since CloudEvents sources and ids may hold characters (such as '/') that no
// document id may.
func ReceiptID(source, id string) string {
	sum := sha256.Sum256([]byte(source + "\x00" + id))
	return hex.EncodeToString(sum[:])
}

// Func applies one event through tx, the transaction that also records its
// receipt. It may run more than once (the store retries colliding
// transactions), so it must have no effect outside tx. Its error decides the
// answer to the broker, by kind: Invalid (such as eventing.ErrUndecodable,
// or a refusal to drop) is 400, not retried; Conflict (such as ErrTooEarly)
// is 409, NotFound 404 and Unavailable 503, all retried; any other error is
// 500, retried.
type Func func(ctx context.Context, tx store.Tx, ev event.Event) error

// Option configures a Handler.
type Option func(*config)

type config struct {
	afterCommit func()
}

// AfterCommit runs f after an event's effect has committed, not for a
// duplicate or a failure: the place to wake the function's outbox relay
// (outbox.Outbox.Notify) when Func records events.
func AfterCommit(f func()) Option { return func(c *config) { c.afterCommit = f } }

// Mount returns the pattern and handler that mount a member's receiver on
// its mux, mux.Handle(receive.Mount(…)): POST /events (Path), taking only
// the event plane's senders to m (Member.Events), into Handler(st, fn,
// opts...).
func Mount(m *eventing.Member, st store.Store, fn Func, opts ...Option) (string, http.Handler) {
	return "POST " + Path, m.Events(Handler(st, fn, opts...))
}

// Handler returns the receiver of events for st: it decodes the CloudEvent
// of the request (binary or structured mode), and in one transaction checks
// the event's receipt, runs fn and records the receipt, in a span of the
// request's trace (or, for a request that carries none, of the event's). It answers as the
// Knative data plane expects: 200 when the event took effect or is a
// duplicate (nothing changes), 400 for a request that is no valid CloudEvent,
// 413 for one over MaxBodyBytes, and fn's error mapped by kind (see Func).
func Handler(st store.Store, fn Func, opts ...Option) http.Handler {
	var cfg config
	for _, opt := range opts {
		opt(&cfg)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		ev, err := Read(w, r)
		if err != nil {
			answer(w, r, nil, err)
			return
		}
		ctx, span := tracing.Start(eventing.ContinueEvent(ctx, *ev), "receive "+ev.Type(),
			trace.WithSpanKind(trace.SpanKindConsumer), eventing.SpanAttributes(*ev))
		duplicate, err := apply(ctx, st, fn, *ev)
		if err == nil && !duplicate && cfg.afterCommit != nil {
			cfg.afterCommit()
		}
		span.SetAttributes(attribute.Bool("duplicate", duplicate))
		answer(w, r.WithContext(ctx), ev, err)
		tracing.End(span, err)
	})
}

// Read reads the CloudEvent of r, in binary or structured mode, from at
// most MaxBodyBytes of body: ErrInvalidEvent for a request that is no valid
// CloudEvent, ErrEventTooLarge for a larger one.
func Read(w http.ResponseWriter, r *http.Request) (*event.Event, error) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	ev, err := binding.ToEvent(r.Context(), cehttp.NewMessageFromHttpRequest(r))
	if err == nil {
		err = ev.Validate()
	}
	if err != nil {
		refusal := ErrInvalidEvent
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			refusal = ErrEventTooLarge
		}
		return nil, refusal.With(fmt.Errorf("receive.Read: %w", err))
	}
	return ev, nil
}

// DefaultRetention is how long a receipt is kept when the outbox sweep
// prunes them (outbox.Options.ReceiptRetention): far longer than the
// broker redelivers an event (its retries end within minutes), and than an
// operator waits before replaying a dead letter, so that an event taken
// once is never taken again.
const DefaultRetention = 30 * 24 * time.Hour

// Prune deletes the receipts of st recorded at or before cutoff, a batch
// at a time, and returns how many it deleted.
func Prune(ctx context.Context, st store.Store, cutoff time.Time) (int, error) {
	n, err := store.DeleteOlder(ctx, st, Collection, "receivedAt", cutoff, store.MaxBatch)
	if err != nil {
		return n, fmt.Errorf("receive.Prune: %w", err)
	}
	return n, nil
}

// apply runs fn and records the receipt in one transaction, unless the
// receipt is already there.
func apply(ctx context.Context, st store.Store, fn Func, ev event.Event) (duplicate bool, err error) {
	id := ReceiptID(ev.Source(), ev.ID())
	var committed []func()
	err = st.RunTransaction(ctx, func(ctx context.Context, tx store.Tx) error {
		duplicate = false
		committed = committed[:0] // an attempt the store re-runs starts over
		ctx = context.WithValue(ctx, commitKey{}, &committed)
		var seen receipt
		switch err := tx.Get(Collection, id, &seen); {
		case err == nil:
			duplicate = true
			return nil
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		if err := fn(ctx, tx, ev); err != nil {
			return err
		}
		return tx.Create(Collection, id, receipt{
			Source: ev.Source(), ID: ev.ID(), Type: ev.Type(), ReceivedAt: time.Now(),
		})
	})
	if err == nil {
		for _, f := range committed {
			f()
		}
	}
	return duplicate, err
}

type commitKey struct{}

// OnCommit has f run once the transaction of the event being applied
// (ctx is a Func's) has committed, as the last thing before the receiver
// answers: for what must count an effect once, such as a metric. f is
// dropped when the attempt fails or the store runs it again. Outside a
// receiver's transaction, f never runs.
func OnCommit(ctx context.Context, f func()) {
	if committed, ok := ctx.Value(commitKey{}).(*[]func()); ok {
		*committed = append(*committed, f)
	}
}

// statusOf is the one table from error kind to the status a receiver
// answers, read by the broker as eventing.Classify (Knative's data plane)
// reads it: 2xx is done; 404, 409, 429 and 5xx are redelivered with the
// Trigger's backoff; 400 and the other 4xx go to the dead-letter sink at
// once.
var statusOf = map[apperr.Kind]int{
	apperr.Internal:        http.StatusInternalServerError, // retried
	apperr.Invalid:         http.StatusBadRequest,          // dropped
	apperr.Unauthorized:    http.StatusUnauthorized,        // dropped: not from the sender it claims
	apperr.NotFound:        http.StatusNotFound,            // retried: may exist later
	apperr.Conflict:        http.StatusConflict,            // retried: too early, or a concurrent duplicate
	apperr.Unavailable:     http.StatusServiceUnavailable,  // retried
	apperr.TooLarge:        http.StatusRequestEntityTooLarge,
	apperr.Unsupported:     http.StatusUnsupportedMediaType,
	apperr.PaymentRequired: http.StatusBadRequest, // dropped: a refusal no retry changes
}

// answer writes the status of err (200 for nil) with no body on success, so
// that the broker never reads the answer as a reply event, and the error
// shape otherwise.
func answer(w http.ResponseWriter, r *http.Request, ev *event.Event, err error) {
	ctx := r.Context()
	logger := logging.FromContext(ctx)
	if ev != nil {
		logger = logger.With(slog.String("type", ev.Type()), slog.String("source", ev.Source()), slog.String("id", ev.ID()))
	}
	if err == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	kind := apperr.KindOf(err)
	status, ok := statusOf[kind]
	if !ok {
		status = http.StatusInternalServerError
	}
	message := "Something went wrong"
	var e *apperr.Error
	if kind != apperr.Internal && errors.As(err, &e) {
		message = e.Message
	}
	switch retry := eventing.Classify(status) == eventing.Retry; {
	case status == http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", httpx.RetryAfterSeconds)
		logger.WarnContext(ctx, "event unavailable, to be redelivered", slog.Int("status", status), slog.Any("error", err))
	case retry && status >= 500:
		logger.ErrorContext(ctx, "event failed, to be redelivered", slog.Int("status", status), slog.Any("error", err))
	case retry:
		logger.InfoContext(ctx, "event deferred, to be redelivered", slog.Int("status", status), slog.Any("error", err))
	default:
		logger.WarnContext(ctx, "event refused, to the dead-letter sink", slog.Int("status", status), slog.Any("error", err))
	}
	httpx.JSON(w, status, httpx.ErrorBody{Errors: []httpx.ErrorItem{{Message: message}}})
}
