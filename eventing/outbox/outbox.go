// Package outbox makes publishing safe: a function records its events in the
// store transaction of the state change that causes them (Add), so that they
// exist exactly when the change does, and a relay sends them to the broker
// after commit (Run, woken by Notify) and marks them sent. Sending is
// at-least-once: an event is never lost because the broker or the process
// was down, and it may be sent more than once, which receivers absorb.
//
// The relay retries failed sends with exponential backoff and jitter while
// the process lives. Sweep resends what is still unsent after MinAge, from a
// PingSource in production (so that a function scaled to zero is not kept
// awake by a ticker) and from a ticker (Options.SweepEvery) in the embedded
// default; it also deletes sent entries once their retention has passed.
//
// Several replicas of one function may relay at once: each sends every
// pending entry it sees, its own or another's. Two replicas may then send an
// event twice, but neither can lose one, since an entry leaves the pending
// state only after the sink has taken it.
//
// A function wires it in three places: its store adds the events in the
// transaction, which Commit runs and follows with a Notify once it has
// committed,
//
//	err := box.Commit(ctx, func(ctx context.Context, tx store.Tx) error {
//		// ... reads, then the change's writes ...
//		return box.Add(ctx, tx, ev)
//	})
//
// its start runs the relay for as long as the function serves (go
// box.Run(ctx)), and its routes mount the sweep:
//
//	mux.Handle("POST "+outbox.SweepPath, box.SweepHandler())
//
// Entries are documents of the collection "outbox", keyed by event id. An
// entry is pending while it has the field pendingAt, and sent once it has
// sentAt instead; the relay's queries order and filter on one of these fields
// only, so Firestore's automatic single-field indexes serve them and no
// composite index needs declaring.
package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/banlist"
	"github.com/buytickets/buytickets/eventing/identity"
	"github.com/buytickets/buytickets/eventing/receive"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
	"github.com/buytickets/buytickets/shared/dispatch"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/logging"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/tracing"
)

// Collection holds the outbox entries of a function's store.
const Collection = "outbox"

// SweepPath is where a function mounts SweepHandler ("POST /outbox/sweep"),
// the path its PingSource in eventing/pingsources.yaml posts to.
const SweepPath = "/outbox/sweep"

// MaxBatch is the most entries one relay step sends and marks: one
// Firestore transaction writes at most store.MaxBatch documents.
const MaxBatch = store.MaxBatch

// entry is one event in the outbox. PendingAt is set while the event waits
// to be sent, and SentAt once the sink has answered it for good; Status is
// that answer (2xx delivered; otherwise refused for good, as
// eventing.Classify reads it).
type entry struct {
	Event     string    `store:"event"` // the event in CloudEvents' JSON format
	CreatedAt time.Time `store:"createdAt"`
	PendingAt time.Time `store:"pendingAt,omitempty"`
	SentAt    time.Time `store:"sentAt,omitempty"`
	Status    int       `store:"status,omitempty"`
}

// Options tune an Outbox; the zero value of each field selects its default.
type Options struct {
	// Client sends the events; default a client with a 10 s timeout.
	Client *http.Client
	// MinAge is how old an unsent entry must be before Sweep sends it,
	// leaving fresh ones to the relay of the replica that wrote them;
	// default 5 s.
	MinAge time.Duration
	// Retention is how long a sent entry is kept before Sweep deletes it;
	// default 24 h.
	Retention time.Duration
	// SweepEvery makes Run sweep on a ticker, as the embedded default does;
	// 0 (the production setting) leaves sweeping to the PingSource.
	SweepEvery time.Duration
	// MinBackoff and MaxBackoff bound the relay's delay between retries;
	// default 100 ms and 30 s.
	MinBackoff, MaxBackoff time.Duration
	// Batch is how many entries one step sends and marks, at most MaxBatch;
	// default 100.
	Batch int
	// Parallel is how many sends of a batch run at once; default 16.
	Parallel int
	// ReceiptRetention is how long the sweep keeps the receipts of the
	// events the function took (receive.Prune); receive.DefaultRetention
	// when zero.
	ReceiptRetention time.Duration
	// Expire are the function's own documents the sweep deletes once
	// their time has passed (refresh tokens past their expiry, say), so
	// that nothing grows without end.
	Expire []Expiry
	// Tokens presents the function's identity to the sink, a token for
	// Audience on every send (eventing.Member.Publishing); none when nil,
	// for a sink that asks for none.
	Tokens   identity.TokenSource
	Audience string
}

// Outbox is the outbox of one function's store, relaying to one sink.
type Outbox struct {
	store   store.Store
	sink    string
	opts    Options
	backoff dispatch.Backoff
	wake    *dispatch.Waker

	inflight dispatch.InFlight // ids this process is sending, or marking sent, right now
	marking  sync.WaitGroup    // the relay's markings still committing

	batches chan struct{}  // a token per batch the relay is sending (Run)
	sending sync.WaitGroup // the relay's batches being sent
	mu      sync.Mutex
	failure error // the last failure of a batch sent since the relay's last round
}

// New returns the outbox of st, sending to sink (K_SINK: the broker's
// address in production, the embedded broker's by default).
func New(st store.Store, sink string, opts Options) (*Outbox, error) {
	if st == nil {
		return nil, errors.New("outbox.New: no store")
	}
	if sink == "" {
		return nil, errors.New("outbox.New: no sink (K_SINK)")
	}
	u, err := url.Parse(sink)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("outbox.New: sink %q is not an http(s) URL", sink)
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if opts.ReceiptRetention == 0 {
		opts.ReceiptRetention = receive.DefaultRetention
	}
	backoff := dispatch.RelayDefaults(&opts.MinAge, &opts.Retention, &opts.MinBackoff, &opts.MaxBackoff, &opts.Batch)
	if opts.Parallel <= 0 {
		opts.Parallel = 16
	}
	return &Outbox{store: st, sink: sink, opts: opts, backoff: backoff, wake: dispatch.NewWaker(),
		batches: make(chan struct{}, relayBatches)}, nil
}

// Add records events in tx, the transaction of the change that causes them:
// they are sent if and only if it commits. Each event must be valid, and its
// id a valid document id (the catalog's constructors make such ids). Each
// carries the trace of ctx, the transaction's, as its CloudEvents
// traceparent extension, so that its receivers continue that trace. Add
// only writes, so it may follow the transaction's reads. After the
// transaction commits, call Notify.
func (o *Outbox) Add(ctx context.Context, tx store.Tx, events ...event.Event) error {
	now := store.CanonicalTime(time.Now())
	traceparent := tracing.Traceparent(ctx)
	for _, ev := range events {
		if traceparent != "" {
			ev.SetExtension(eventing.TraceparentExtension, traceparent)
		}
		if err := ev.Validate(); err != nil {
			return fmt.Errorf("outbox.Add %s: %w", ev.ID(), err)
		}
		if !store.ValidID(ev.ID()) {
			return fmt.Errorf("outbox.Add: event id %q cannot name a document", ev.ID())
		}
		data, err := json.Marshal(ev)
		if err != nil {
			return fmt.Errorf("outbox.Add %s: %w", ev.ID(), err)
		}
		if err := tx.Create(Collection, ev.ID(), entry{Event: string(data), CreatedAt: now, PendingAt: now}); err != nil {
			return fmt.Errorf("outbox.Add %s: %w", ev.ID(), err)
		}
	}
	return nil
}

// Commit runs fn in a transaction of the outbox's store, as the store's
// RunTransaction does, and wakes the relay once it has committed: fn
// writes its changes and adds their events (Add) in tx.
func (o *Outbox) Commit(ctx context.Context, fn func(ctx context.Context, tx store.Tx) error) error {
	if err := o.store.RunTransaction(ctx, fn); err != nil {
		return err
	}
	o.Notify()
	return nil
}

// Notify wakes the relay to send what is pending. Call it after a
// transaction that added events has committed; it never blocks.
func (o *Outbox) Notify() { o.wake.Notify() }

// FlushTimeout bounds the final flush Run makes when its context ends.
const FlushTimeout = 5 * time.Second

// Run relays until ctx is done: it sends what is pending when it starts and
// whenever Notify wakes it, retries failures with exponential backoff and
// jitter, and sweeps every Options.SweepEvery if that is set. When ctx
// ends it makes one final flush, for at most FlushTimeout and whatever its
// backoff, so that the events the last requests committed (a function
// stops its background work only after its HTTP drain, see shared/server)
// are not left to the next sweep. Entries still unsent then stay pending
// for the next relay or sweep.
func (o *Outbox) Run(ctx context.Context) {
	if unregister, err := o.observeBacklog(); err != nil {
		logging.FromContext(ctx).WarnContext(ctx, "outbox backlog not observed", slog.Any("error", err))
	} else {
		defer unregister()
	}
	// After the loop: the batches under way end, their marks commit, and
	// then the final flush finds every entry still pending.
	defer o.flush(ctx)
	defer o.marking.Wait()
	defer o.sending.Wait()
	dispatch.Loop{
		Name: "outbox relay",
		Round: func(ctx context.Context) (time.Duration, error) {
			return dispatch.Idle, o.relayRound(ctx)
		},
		Wake:    o.wake,
		Backoff: o.backoff,
		Every:   o.opts.SweepEvery,
		Tick: func(ctx context.Context) {
			if _, err := o.Sweep(ctx); err != nil && ctx.Err() == nil {
				logging.FromContext(ctx).WarnContext(ctx, "outbox sweep failed", slog.Any("error", err))
			}
		},
	}.Run(ctx)
}

// backlogLimit bounds the entries one observation of the backlog counts:
// a backlog that large is news enough.
const backlogLimit = 10_000

// observeBacklog reports, while Run runs, the outbox's backlog and the age
// of its oldest unsent entry, as OpenTelemetry gauges read when metrics
// are exported (never when they are not).
func (o *Outbox) observeBacklog() (unregister func(), err error) {
	m := tracing.Meter()
	backlog, err := m.Int64ObservableGauge("buytickets.outbox.backlog", metric.WithUnit("{event}"),
		metric.WithDescription("Events committed and not yet sent to the broker (at most 10000 counted)."))
	if err != nil {
		return nil, err
	}
	age, err := m.Float64ObservableGauge("buytickets.outbox.oldest_unsent_age", metric.WithUnit("s"),
		metric.WithDescription("How long the oldest event not yet sent to the broker has waited."))
	if err != nil {
		return nil, err
	}
	reg, err := m.RegisterCallback(func(ctx context.Context, obs metric.Observer) error {
		keys, err := o.store.Query(ctx, Collection, store.Query{OrderBy: "pendingAt", Limit: backlogLimit, KeysOnly: true})
		if err != nil {
			return fmt.Errorf("outbox backlog: %w", err)
		}
		obs.ObserveInt64(backlog, int64(len(keys)))
		oldest, err := o.store.Query(ctx, Collection, store.Query{OrderBy: "pendingAt", Limit: 1})
		if err != nil {
			return fmt.Errorf("outbox backlog: %w", err)
		}
		var waited time.Duration
		if len(oldest) == 1 {
			var e entry
			if err := oldest[0].DataTo(&e); err == nil {
				waited = max(0, time.Since(e.PendingAt))
			}
		}
		obs.ObserveFloat64(age, waited.Seconds())
		return nil
	}, backlog, age)
	if err != nil {
		return nil, err
	}
	return func() { _ = reg.Unregister() }, nil
}

// flush sends what is pending once more, after ctx, Run's context, ended.
func (o *Outbox) flush(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), FlushTimeout)
	defer cancel()
	if err := o.relay(ctx); err != nil {
		logging.FromContext(ctx).WarnContext(ctx, "outbox final flush incomplete, left for the sweep", slog.Any("error", err))
	}
}

// relayBatches is how many batches the relay sends at once.
const relayBatches = 4

// relayRound starts sending the pending entries no batch is sending yet,
// oldest first, and returns without waiting for the sink's answers: an
// entry committed while a batch waits for its answers goes out at once in
// a batch of its own, rather than after it (each answer waits for the
// broker to store the event). Up to relayBatches batches are sent at
// once; a round waits for a free one. It returns the failure of a batch
// sent since the last round, if any, for the loop to back off.
func (o *Outbox) relayRound(ctx context.Context) error {
	if err := o.takeFailure(); err != nil {
		return err
	}
	docs, err := o.pending(ctx)
	if err != nil {
		return fmt.Errorf("outbox.relay: %w", err)
	}
	if !slices.ContainsFunc(docs, func(d store.Doc) bool { return !o.inflight.Has(d.ID) }) {
		return nil
	}
	select {
	case o.batches <- struct{}{}:
	case <-ctx.Done():
		return nil
	}
	o.sending.Go(func() {
		defer func() { <-o.batches }()
		// A full batch's marking wakes the relay for the entries after it.
		if _, err := o.send(ctx, docs, true); err != nil {
			o.mu.Lock()
			o.failure = fmt.Errorf("outbox.relay: %w", err)
			o.mu.Unlock()
			o.Notify() // the next round backs off
		}
	})
	return nil
}

// takeFailure returns and forgets the failure recorded since it was last
// called.
func (o *Outbox) takeFailure() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	err := o.failure
	o.failure = nil
	return err
}

// pending reads the oldest pending entries, a batch of them.
func (o *Outbox) pending(ctx context.Context) ([]store.Doc, error) {
	return o.store.Query(ctx, Collection, store.Query{OrderBy: "pendingAt", Limit: o.opts.Batch})
}

// relay sends every pending entry, oldest first, one batch after another,
// each marked sent before the next is read: the final flush.
func (o *Outbox) relay(ctx context.Context) error {
	for {
		docs, err := o.pending(ctx)
		if err != nil {
			return fmt.Errorf("outbox.relay: %w", err)
		}
		r, err := o.send(ctx, docs, false)
		if err != nil {
			return fmt.Errorf("outbox.relay: %w", err)
		}
		// A batch this process is already sending elsewhere (a sweep) is
		// left to that sender, rather than queried again and again.
		if len(docs) < o.opts.Batch || r.done == 0 {
			return nil
		}
	}
}

// Expiry says which documents of a collection the sweep deletes: those
// whose time Field is more than After ago. A document without the field
// is kept.
type Expiry struct {
	Collection, Field string
	After             time.Duration
}

// SweepResult counts what one sweep did.
type SweepResult struct {
	Sent     int `json:"sent"`     // unsent entries sent (or rejected by the sink)
	Deleted  int `json:"deleted"`  // sent entries past their retention, deleted
	Receipts int `json:"receipts"` // receipts past their retention, deleted
	Expired  int `json:"expired"`  // the function's own documents past their time (Options.Expire), deleted
}

// Sweep sends the entries that have been pending for MinAge or more and
// deletes the sent ones older than Retention, and the receipts of events
// taken longer than ReceiptRetention ago. When a send fails it wakes the
// relay, which keeps retrying while the process lives.
func (o *Outbox) Sweep(ctx context.Context) (SweepResult, error) {
	var res SweepResult
	sendErr := o.sweepPending(ctx, &res)
	if sendErr != nil {
		o.Notify()
	}
	var pruneErr error
	res.Receipts, pruneErr = receive.Prune(ctx, o.store, time.Now().Add(-o.opts.ReceiptRetention))
	errs := []error{sendErr, o.deleteSent(ctx, &res), pruneErr}
	for _, e := range o.opts.Expire {
		n, err := store.DeleteOlder(ctx, o.store, e.Collection, e.Field, time.Now().Add(-e.After), store.MaxBatch)
		res.Expired += n
		if err != nil {
			errs = append(errs, fmt.Errorf("expire %s: %w", e.Collection, err))
		}
	}
	return res, errors.Join(errs...)
}

func (o *Outbox) sweepPending(ctx context.Context, res *SweepResult) error {
	cutoff := time.Now().Add(-o.opts.MinAge)
	for {
		docs, err := o.store.Query(ctx, Collection, store.Query{
			Filters: []store.Filter{store.Where("pendingAt", store.Le, cutoff)},
			OrderBy: "pendingAt",
			Limit:   o.opts.Batch,
		})
		if err != nil {
			return fmt.Errorf("outbox.Sweep: %w", err)
		}
		r, err := o.send(ctx, docs, false)
		res.Sent += r.done
		if err != nil {
			return fmt.Errorf("outbox.Sweep: %w", err)
		}
		if len(docs) < o.opts.Batch || r.done == 0 {
			return nil
		}
	}
}

func (o *Outbox) deleteSent(ctx context.Context, res *SweepResult) error {
	n, err := store.DeleteOlder(ctx, o.store, Collection, "sentAt", time.Now().Add(-o.opts.Retention), o.opts.Batch)
	res.Deleted += n
	if err != nil {
		return fmt.Errorf("outbox.Sweep: %w", err)
	}
	return nil
}

// SweepHandler answers POST /outbox/sweep, the PingSource's target: it
// sweeps, whatever the request carries (a ping event), and answers 200 with
// the counts, or 503 when a send or the store failed (the relay retries the
// sends while the process lives, and the next sweep does too).
func (o *Outbox) SweepHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, err := o.Sweep(r.Context())
		if err != nil {
			logging.FromContext(r.Context()).WarnContext(r.Context(), "outbox sweep failed",
				slog.Int("sent", res.Sent), slog.Int("deleted", res.Deleted), slog.Any("error", err))
			w.Header().Set("Retry-After", httpx.RetryAfterSeconds)
			httpx.JSON(w, http.StatusServiceUnavailable, httpx.ErrorBody{Errors: []httpx.ErrorItem{{Message: "Outbox sweep incomplete"}}})
			return
		}
		httpx.JSON(w, http.StatusOK, res)
	})
}

// delivery counts the outcome of one batch.
type delivery struct {
	done   int // delivered or rejected, and marked so
	failed int // to be retried
}

// send sends the entries of docs that no other goroutine of this process
// is sending, then marks the delivered and rejected ones in one
// transaction: in the background when background is set (done then counts
// the entries being marked), and then an entry is released only once its
// mark commits. It fails when a send must be retried or the marking failed.
func (o *Outbox) send(ctx context.Context, docs []store.Doc, background bool) (delivery, error) {
	logger := logging.FromContext(ctx)
	claimed := o.claim(docs)

	type result struct {
		id     string
		entry  entry
		status int
		err    error
	}
	results := make([]result, len(claimed))
	dispatch.Each(len(claimed), o.opts.Parallel, func(i int) {
		d := claimed[i]
		res := result{id: d.ID}
		if err := d.DataTo(&res.entry); err != nil {
			res.err = fmt.Errorf("%w: %v", errCorrupt, err)
		} else {
			res.status, res.err = o.post(ctx, res.entry.Event)
		}
		results[i] = res
	})

	var out delivery
	var errs []error
	now := time.Now()
	var done []result
	for _, r := range results {
		switch {
		case errors.Is(r.err, errCorrupt):
			// A stored event that cannot be read can never be sent.
			logger.ErrorContext(ctx, "outbox entry unreadable, dropped", slog.String("id", r.id), slog.Any("error", r.err))
			done = append(done, r)
		case r.err != nil:
			errs = append(errs, fmt.Errorf("send %s: %w", r.id, r.err))
		case eventing.Classify(r.status) == eventing.Retry:
			errs = append(errs, fmt.Errorf("send %s: sink answered %d", r.id, r.status))
		case r.status == http.StatusUnauthorized || r.status == http.StatusForbidden:
			// The broker refused who sent, not what: the event is kept and
			// retried, so a token being renewed or a policy being fixed
			// loses nothing.
			errs = append(errs, fmt.Errorf("send %s: sink refused the function's credentials (%d)", r.id, r.status))
		default:
			if eventing.Classify(r.status) == eventing.DeadLetter {
				logger.ErrorContext(ctx, "outbox event rejected by the sink, dropped",
					slog.String("id", r.id), slog.Int("status", r.status))
			}
			done = append(done, r)
		}
	}
	out.failed = len(errs)
	// Blind writes: an entry only ever goes from pending to sent, so
	// marking it again (another relay sent it too) or re-creating a sent
	// entry that a sweep just deleted loses nothing.
	mark := func(ctx context.Context) error {
		if len(done) == 0 {
			return nil
		}
		return o.store.RunTransaction(ctx, func(_ context.Context, tx store.Tx) error {
			for _, r := range done {
				e := r.entry
				e.PendingAt, e.SentAt, e.Status = time.Time{}, now, r.status
				if err := tx.Set(Collection, r.id, e); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if background {
		out.done = len(done)
		// Once released, what is left pending (the entries after a full
		// batch, or those whose send failed) waits for the relay.
		again := len(docs) == o.opts.Batch || out.failed > 0
		o.marking.Go(func() {
			defer func() {
				o.release(claimed)
				if again {
					o.Notify()
				}
			}()
			// An entry left unmarked is sent again, which its receivers
			// take as a duplicate.
			if err := mark(context.WithoutCancel(ctx)); err != nil {
				logger.WarnContext(ctx, "outbox: marking sent events", slog.Int("events", len(done)), slog.Any("error", err))
			}
		})
		return out, errors.Join(errs...)
	}
	defer o.release(claimed)
	if err := mark(ctx); err != nil {
		errs = append(errs, fmt.Errorf("mark sent: %w", err))
	} else {
		out.done = len(done)
	}
	return out, errors.Join(errs...)
}

// errCorrupt marks an entry whose stored event cannot be decoded.
var errCorrupt = errors.New("stored event unreadable")

// post posts one stored event to the sink and returns the sink's status,
// in a span that continues the event's trace.
func (o *Outbox) post(ctx context.Context, stored string) (status int, err error) {
	var ev event.Event
	if err := json.Unmarshal([]byte(stored), &ev); err != nil {
		return 0, fmt.Errorf("%w: %v", errCorrupt, err)
	}
	ctx, span := tracing.Start(tracing.Continue(ctx, eventing.Traceparent(ev)), "outbox send "+ev.Type(),
		trace.WithSpanKind(trace.SpanKindProducer), eventing.SpanAttributes(ev))
	defer func() { tracing.End(span, err) }()
	var token string
	if o.opts.Tokens != nil {
		if token, err = o.opts.Tokens.Token(ctx, o.opts.Audience); err != nil {
			return 0, fmt.Errorf("outbox token: %w", err)
		}
	}
	answer, err := eventing.Send(ctx, o.opts.Client, o.sink, token, ev)
	if errors.Is(err, eventing.ErrUnsendable) {
		return 0, fmt.Errorf("%w: %v", errCorrupt, err)
	}
	return answer.Status, err
}

// claim returns the docs no other goroutine of this process is sending and
// marks them in flight.
func (o *Outbox) claim(docs []store.Doc) []store.Doc {
	var claimed []store.Doc
	for _, d := range docs {
		if o.inflight.Claim(d.ID) {
			claimed = append(claimed, d)
		}
	}
	return claimed
}

func (o *Outbox) release(docs []store.Doc) {
	for _, d := range docs {
		o.inflight.Release(d.ID)
	}
}

// Deps are what a function that publishes through its outbox runs on,
// and all that orders and tickets run on: their Deps are these.
type Deps struct {
	// Store keeps the function's documents, its outbox and its receipts
	// of events; required.
	Store store.Store
	// Sink is where the outbox relay sends events (K_SINK): the broker's
	// ingress URL; required.
	Sink string
	// Outbox tunes the relay; its zero value is the production setting,
	// where a PingSource sweeps. The embedded stack sets SweepEvery.
	Outbox Options
	// Events is the function's membership of the event plane: whose
	// tokens its /events and sweeps accept, and its own for the broker;
	// required.
	Events *eventing.Member
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger logs each request and the relay; when nil, the logger already
	// in the request's or Run's context (or slog's default) is used.
	Logger *slog.Logger
	// PublicURL is the marketplace's public address (PUBLIC_URL), whose
	// origin the function's cookie-authenticated changes trust
	// (httpx.CrossOriginProtectionFor); none when empty.
	PublicURL string
}

// Publisher is a function's footing for publishing through its outbox:
// the store that keeps its documents, its outbox and its receipts of
// events; the outbox on that store; and its membership of the event plane,
// whose tokens its /events and sweep accept and whose own token the outbox
// presents. A function keeps it in a field; Join makes it.
type Publisher struct {
	DB     store.Store
	Box    *Outbox
	Events *eventing.Member
}

// Join returns the Publisher of a function that is m on the event plane,
// on db and sending to sink with opts and m's credentials (For). It fails
// as New does, and when there is no m (a function's Deps.Events).
func Join(db store.Store, sink string, opts Options, m *eventing.Member) (Publisher, error) {
	if m == nil {
		return Publisher{}, errors.New("no event plane membership (Deps.Events)")
	}
	box, err := New(db, sink, opts.For(m))
	if err != nil {
		return Publisher{}, err
	}
	return Publisher{DB: db, Box: box, Events: m}, nil
}

// Footing is what a function that publishes through its outbox and takes
// signed-in users is built on (Deps.Start). The function keeps it in a
// field and builds the rest of itself beside it in its New.
type Footing struct {
	Publisher
	// Tokens verifies the access tokens auth signs with the function's JWT
	// key, on the function's clock.
	Tokens *sharedauth.Tokens
	// Bans is the function's ban list, in its store: its receiver routes
	// user.banned and user.unbanned to it (banlist.Routes), and Session,
	// SignedIn and Mutation refuse the users it holds banned.
	Bans *banlist.List
	// Now is the function's clock: Deps.Now, or time.Now when that is nil.
	Now func() time.Time
	// Logger is Deps.Logger: nil for the logger already in the request's
	// or Run's context.
	Logger *slog.Logger
	// CrossOrigin refuses cross-origin changes, trusting Deps.PublicURL's
	// origin (httpx.CrossOriginProtectionFor); httpx.CrossOriginProtection
	// when nil.
	CrossOrigin func(http.Handler) http.Handler
}

// Start returns the Footing of a function on d whose settings validate
// reports on and whose access tokens are signed with jwtKey: the clock,
// the Publisher Join makes of d, the Tokens for jwtKey and the logger. It
// fails when validate does, as Join does, or when the key is unusable.
func (d Deps) Start(validate func() error, jwtKey string) (Footing, error) {
	if err := validate(); err != nil {
		return Footing{}, err
	}
	now := d.Now
	if now == nil {
		now = time.Now
	}
	pub, err := Join(d.Store, d.Sink, d.Outbox, d.Events)
	if err != nil {
		return Footing{}, err
	}
	tokens, err := sharedauth.NewTokens(sharedauth.TokenConfig{Key: []byte(jwtKey), Now: now})
	if err != nil {
		return Footing{}, err
	}
	crossOrigin, err := httpx.CrossOriginProtectionFor(d.PublicURL)
	if err != nil {
		return Footing{}, err
	}
	return Footing{Publisher: pub, Tokens: tokens, Bans: banlist.New(d.Store, now), Now: now, Logger: d.Logger, CrossOrigin: crossOrigin}, nil
}

// Relay runs the outbox's relay (Outbox.Run) and each of beside, the
// function's own background loops, side by side with logger in their
// context, until ctx ends; it returns once every one has.
func (p Publisher) Relay(ctx context.Context, logger *slog.Logger, beside ...func(context.Context)) {
	ctx = logging.WithLogger(ctx, logger)
	var wg sync.WaitGroup
	wg.Go(func() { p.Box.Run(ctx) })
	for _, run := range beside {
		wg.Go(func() { run(ctx) })
	}
	wg.Wait()
}

// Relay is Publisher.Relay with the function's logger.
func (ft Footing) Relay(ctx context.Context, beside ...func(context.Context)) {
	ft.Publisher.Relay(ctx, ft.Logger, beside...)
}

// For returns opts with m's credentials, so that the outbox presents the
// function's identity to the broker (eventing.Member.Publishing).
func (opts Options) For(m *eventing.Member) Options {
	opts.Tokens, opts.Audience = m.Publishing()
	return opts
}
