// Package broker is the embedded broker: on one machine it stands in for
// the Knative Broker, with the same Trigger manifests and Knative's delivery
// rules, so that what works locally works on the cluster.
//
// Its ingress answers 202 once an event is durably stored, with one pending
// delivery per matching Trigger, and hands each to a free worker at once;
// a dispatcher sends what no worker took and what falls due again.
// Deliveries go out concurrently in binary mode. The broker retries what
// Knative retries (network errors, 404, 408, 409, 429 and 5xx) with the
// Trigger's backoff, and keeps what exhausted its retries, or was refused
// outright, as a dead letter that can be listed and replayed. Pending
// deliveries live in the store, so a restart resumes them: every accepted
// event is delivered at least once.
package broker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	mathrand "math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/cloudevents/sdk-go/v2/event"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/identity"
	"github.com/buytickets/buytickets/eventing/manifest"
	"github.com/buytickets/buytickets/shared/apperr"
	"github.com/buytickets/buytickets/shared/dispatch"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/logging"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/tracing"
)

// Collections of the broker's store.
const (
	deliveries  = "deliveries"
	deadLetters = "deadletters"
)

// Chaos makes the broker misbehave as Knative may: deliver an event twice,
// late, and out of order. Consumers must converge regardless.
type Chaos struct {
	// Duplicate is the probability (0–1) that a delivery is sent a second time.
	Duplicate float64
	// MaxDelay holds each delivery back by a random time up to it, which
	// also reorders deliveries.
	MaxDelay time.Duration
}

// Options configure a Broker.
type Options struct {
	// Store keeps pending deliveries and dead letters; required.
	Store store.Store
	// Triggers are the subscriptions, usually from manifest.LoadTriggers.
	Triggers []manifest.Trigger
	// Resolve returns the address of what a Destination's ref names (a
	// Knative Service on the cluster; a local function here).
	Resolve func(manifest.Ref) (*url.URL, error)
	// Chaos, when set, duplicates, delays and reorders deliveries.
	Chaos Chaos
	// BackoffScale multiplies every retry delay (tests shrink them); the
	// counts and policy stay the Trigger's. 1 when zero.
	BackoffScale float64
	// Workers bounds concurrent deliveries; 64 when zero.
	Workers int
	// Timeout bounds one delivery attempt when the Trigger sets none; 30 s when zero.
	Timeout time.Duration
	// Poll is how often an idle dispatcher looks for due retries; 50 ms when zero.
	Poll time.Duration
	// Client sends deliveries; a plain client when nil.
	Client *http.Client
	// Auth is who the broker trusts and how it presents itself; required.
	Auth Auth
}

// Auth is the broker's part of the authenticated event plane, as Knative's
// authentication-oidc and EventPolicies make it on the cluster.
type Auth struct {
	// Verifier checks the tokens publishers present at the ingress, for
	// the broker's audience.
	Verifier *identity.Verifier
	// Publishers maps each publisher's identity to the one event source
	// it may publish (a function's own, eventing.Source).
	Publishers map[string]string
	// Tokens returns the token source of a Trigger's identity
	// (manifest.Trigger.Identity): each delivery presents its token for the
	// subscriber's audience.
	Tokens func(subject string) identity.TokenSource
}

// ErrForeignPublisher refuses an event whose source is not the one its
// publisher's identity may publish: 401, with no effect.
var ErrForeignPublisher = apperr.New(apperr.Unauthorized, "Event source not allowed for this publisher")

// Broker is the embedded broker.
type Broker struct {
	opts     Options
	triggers map[string]route
	order    []string
	kick     *dispatch.Waker
	now      func() time.Time
	inflight dispatch.InFlight    // deliveries being sent
	pool     atomic.Pointer[pool] // while Run runs
	starved  atomic.Bool          // the dispatcher found no free worker

	redelivered metric.Int64Counter // attempts that failed and are retried, by trigger
	dead        metric.Int64Counter // deliveries given up, by event type (eventing.DeadLetterCounter)
}

// pool is Run's workers, lent to Publish so that a delivery just stored
// goes out at once, rather than after the dispatcher has read it back
// from the store (the longest wait of an event on its way under load).
type pool struct {
	ctx  context.Context
	sem  chan struct{}
	acks chan string

	mu      sync.Mutex
	wg      sync.WaitGroup
	stopped bool
}

// tryGo runs f on a free worker and reports true, or reports false when
// every worker is busy or the pool has stopped.
func (p *pool) tryGo(f func()) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return false
	}
	select {
	case p.sem <- struct{}{}:
	default:
		return false
	}
	p.start(f)
	return true
}

// goWait runs f once a worker is free, and reports false when ctx ended
// first. Only the dispatcher calls it, before the pool stops.
func (p *pool) goWait(ctx context.Context, f func()) bool {
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.start(f)
	return true
}

// start runs f on the worker whose slot of sem the caller has taken, and
// frees the slot when f returns. The caller holds mu, so that stop does
// not wait while a worker is being added.
func (p *pool) start(f func()) {
	p.wg.Go(func() {
		defer func() { <-p.sem }()
		f()
	})
}

// stop takes no more work and waits for the work in hand.
func (p *pool) stop() {
	p.mu.Lock()
	p.stopped = true
	p.mu.Unlock()
	p.wg.Wait()
}

// route is a Trigger with its subscriber resolved, and the tokens of its
// identity.
type route struct {
	manifest.Trigger
	target string
	tokens identity.TokenSource
}

// New returns a broker for opts; every Trigger's subscriber must resolve.
func New(opts Options) (*Broker, error) {
	if opts.Store == nil {
		return nil, errors.New("broker.New: no store")
	}
	if opts.Auth.Verifier == nil || len(opts.Auth.Publishers) == 0 || opts.Auth.Tokens == nil {
		return nil, errors.New("broker.New: no authentication (a verifier, publishers' sources and Triggers' tokens)")
	}
	if opts.BackoffScale == 0 {
		opts.BackoffScale = 1
	}
	if opts.Workers == 0 {
		opts.Workers = 64
	}
	if opts.Timeout == 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.Poll == 0 {
		opts.Poll = 50 * time.Millisecond
	}
	if opts.Client == nil {
		// Keep a connection per worker: the default keeps two per host,
		// and closes the rest after each delivery to a busy subscriber.
		transport := http.DefaultTransport.(*http.Transport).Clone()
		transport.MaxIdleConnsPerHost = opts.Workers
		opts.Client = &http.Client{Transport: transport}
	}
	redelivered, err := tracing.Meter().Int64Counter("buytickets.broker.redeliveries", metric.WithUnit("{delivery}"),
		metric.WithDescription("Deliveries the embedded broker sends again after a failed attempt, by trigger."))
	if err != nil {
		return nil, fmt.Errorf("broker.New: %w", err)
	}
	dead, err := eventing.DeadLetterCounter()
	if err != nil {
		return nil, fmt.Errorf("broker.New: %w", err)
	}
	b := &Broker{
		opts: opts, triggers: map[string]route{}, kick: dispatch.NewWaker(), now: time.Now,
		redelivered: redelivered, dead: dead,
	}
	for _, t := range opts.Triggers {
		target, err := resolve(t.Subscriber, opts.Resolve)
		if err != nil {
			return nil, fmt.Errorf("broker.New: trigger %s: %w", t.Name, err)
		}
		if _, dup := b.triggers[t.Name]; dup {
			return nil, fmt.Errorf("broker.New: two triggers named %s", t.Name)
		}
		b.triggers[t.Name] = route{Trigger: t, target: target, tokens: opts.Auth.Tokens(t.Identity())}
		b.order = append(b.order, t.Name)
	}
	return b, nil
}

// resolve turns a Destination into a URL: the ref's address with the URI
// as its path, or the URI alone.
func resolve(d manifest.Destination, res func(manifest.Ref) (*url.URL, error)) (string, error) {
	if d.Ref == nil {
		if d.URI == "" {
			return "", errors.New("subscriber has neither ref nor uri")
		}
		return d.URI, nil
	}
	if res == nil {
		return "", fmt.Errorf("no resolver for %s %s", d.Ref.Kind, d.Ref.Name)
	}
	base, err := res(*d.Ref)
	if err != nil {
		return "", err
	}
	u := *base
	if d.URI != "" {
		rel, err := url.Parse(d.URI)
		if err != nil {
			return "", fmt.Errorf("subscriber uri: %w", err)
		}
		u = *base.ResolveReference(rel)
	}
	return u.String(), nil
}

// delivery is one pending delivery of one event to one Trigger.
type delivery struct {
	Trigger    string    `store:"trigger"`
	Event      string    `store:"event"` // the event in structured JSON
	Attempts   int       `store:"attempts"`
	Due        time.Time `store:"due"`
	AcceptedAt time.Time `store:"acceptedAt"`
	LastError  string    `store:"lastError,omitempty"`
	// Trace is the traceparent of the ingress's span that accepted the
	// event, the parent of each attempt's span.
	Trace string `store:"trace,omitempty"`
}

// DeadLetter is an event a Trigger's subscriber refused or never took.
type DeadLetter struct {
	ID         string    `store:"-" json:"id"`
	Trigger    string    `store:"trigger" json:"trigger"`
	Subscriber string    `store:"subscriber" json:"subscriber"`
	Event      string    `store:"event" json:"event"`
	EventType  string    `store:"eventType" json:"eventType"`
	EventID    string    `store:"eventId" json:"eventId"`
	Reason     string    `store:"reason" json:"reason"`
	Status     int       `store:"status" json:"status,omitempty"`
	Attempts   int       `store:"attempts" json:"attempts"`
	At         time.Time `store:"at" json:"at"`
}

// Ingress accepts CloudEvents (binary or structured) on POST from the
// publishers Auth trusts, and answers 202 once each is stored with its
// deliveries; 401 for a request without a valid token of a publisher, or
// with an event whose source is not that publisher's; 400 for what is no
// valid CloudEvent; 503 when the store is unavailable, so the sender
// retries.
func (b *Broker) Ingress() http.Handler {
	publishers := slices.Collect(maps.Keys(b.opts.Auth.Publishers))
	return tracing.Middleware(b.opts.Auth.Verifier.Require(publishers...)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			httpx.JSON(w, http.StatusMethodNotAllowed, httpx.ErrorBody{Errors: []httpx.ErrorItem{{Message: "Method not allowed"}}})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, httpx.MaxBodyBytes)
		ev, err := binding.ToEvent(r.Context(), cehttp.NewMessageFromHttpRequest(r))
		if err == nil {
			err = ev.Validate()
		}
		if err != nil {
			httpx.JSON(w, http.StatusBadRequest, httpx.ErrorBody{Errors: []httpx.ErrorItem{{Message: "Invalid CloudEvent: " + err.Error()}}})
			return
		}
		subject, _ := identity.SubjectFrom(r.Context())
		if ev.Source() != b.opts.Auth.Publishers[subject] {
			logging.FromContext(r.Context()).WarnContext(r.Context(), "event refused: source not the publisher's",
				slog.String("subject", subject), slog.String("source", ev.Source()), slog.String("type", ev.Type()))
			httpx.Error(w, r, ErrForeignPublisher)
			return
		}
		if err := b.Publish(r.Context(), *ev); err != nil {
			httpx.Error(w, r, err)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	})))
}

// Publish stores ev with one delivery per matching Trigger, in one
// transaction, and wakes the dispatcher. Each delivery continues the trace
// of ctx.
func (b *Broker) Publish(ctx context.Context, ev event.Event) error {
	raw, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("broker.Publish: %w", err)
	}
	attrs := attributes(ev)
	now := b.now().UTC()
	var matched []string
	for _, name := range b.order {
		if b.triggers[name].Matches(attrs) {
			matched = append(matched, name)
		}
	}
	if len(matched) == 0 {
		return nil
	}
	stored := make(map[string]delivery, len(matched))
	traceparent := tracing.Traceparent(ctx)
	for _, name := range matched {
		stored[newID()] = delivery{Trigger: name, Event: string(raw), Due: now, AcceptedAt: now, Trace: traceparent}
	}
	err = b.opts.Store.RunTransaction(ctx, func(_ context.Context, tx store.Tx) error {
		for id, d := range stored {
			if err := tx.Create(deliveries, id, d); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("broker.Publish: %w", err)
	}
	for id, d := range stored {
		if !b.hand(id, d) {
			b.wake() // the dispatcher reads it back
		}
	}
	return nil
}

// hand gives a delivery just stored to a free worker of the running
// broker, and reports whether one took it.
func (b *Broker) hand(id string, d delivery) bool {
	p := b.pool.Load()
	if p == nil || !b.inflight.Claim(id) {
		return false
	}
	if !p.tryGo(func() { b.finish(p, id, b.attempt(p.ctx, id, d)) }) {
		b.inflight.Release(id)
		return false
	}
	return true
}

// attributes are the event's context attributes and extensions as strings,
// as Trigger filters compare them.
func attributes(ev event.Event) map[string]string {
	attrs := map[string]string{
		"specversion": ev.SpecVersion(), "type": ev.Type(), "source": ev.Source(), "id": ev.ID(),
		"subject": ev.Subject(), "datacontenttype": ev.DataContentType(), "dataschema": ev.DataSchema(),
	}
	if !ev.Time().IsZero() {
		attrs["time"] = ev.Time().Format(time.RFC3339Nano)
	}
	for k, v := range ev.Extensions() {
		attrs[k] = fmt.Sprint(v)
	}
	return attrs
}

func (b *Broker) wake() { b.kick.Notify() }

// Run dispatches due deliveries until ctx is cancelled, then waits for the
// deliveries in flight. A delivery cut short by the stop stays pending and
// is sent again after a restart.
func (b *Broker) Run(ctx context.Context) error {
	p := &pool{ctx: ctx, sem: make(chan struct{}, b.opts.Workers), acks: make(chan string, b.opts.Workers)}
	acknowledged := make(chan struct{})
	go func() {
		defer close(acknowledged)
		b.acknowledge(ctx, p.acks)
	}()
	b.pool.Store(p)
	dispatch.Loop{
		Name: "broker dispatch",
		Round: func(ctx context.Context) (time.Duration, error) {
			b.dispatch(ctx, p)
			return b.opts.Poll, nil
		},
		Wake: b.kick,
	}.Run(ctx)
	b.pool.CompareAndSwap(p, nil)
	p.stop()
	close(p.acks)
	<-acknowledged
	return nil
}

// acknowledge deletes the deliveries their subscribers took, whose IDs
// arrive on acks, many in one transaction: whatever arrived while the last
// one committed. Each delivery stays in flight until its deletion commits,
// so that it is not dispatched again. One transaction per delivery made the
// broker's own store its bottleneck under load. A deletion that fails
// leaves the delivery to be sent again, which receivers take as a
// duplicate. It returns once acks is closed and drained.
func (b *Broker) acknowledge(ctx context.Context, acks <-chan string) {
	ctx = context.WithoutCancel(ctx) // what was taken is recorded, even while stopping
	for id := range acks {
		ids := []string{id}
	more:
		for len(ids) < store.MaxBatch {
			select {
			case id, ok := <-acks:
				if !ok {
					break more
				}
				ids = append(ids, id)
			default:
				break more
			}
		}
		err := b.opts.Store.RunTransaction(ctx, func(_ context.Context, tx store.Tx) error {
			for _, id := range ids {
				if err := tx.Delete(deliveries, id); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			logging.FromContext(ctx).WarnContext(ctx, "broker: recording deliveries taken", slog.Int("deliveries", len(ids)), slog.Any("error", err))
		}
		for _, id := range ids {
			b.release(id)
		}
	}
}

// dispatch starts a worker, as workers come free, for each due delivery
// that no worker is sending yet. It returns once each has started, or ctx
// ended.
//
// Each worker reads its delivery afresh, so the list is of IDs alone: the
// oldest due deliveries are mostly those in flight, listed again each
// round, and decoding their events each time cost more than sending them.
func (b *Broker) dispatch(ctx context.Context, p *pool) {
	if len(p.sem) == cap(p.sem) {
		b.starved.Store(true) // the next worker done wakes the dispatcher
		return
	}
	due, err := b.opts.Store.Query(ctx, deliveries, store.Query{
		Filters:  []store.Filter{store.Where("due", store.Le, b.now())},
		OrderBy:  "due",
		Limit:    2 * b.opts.Workers,
		KeysOnly: true,
	})
	if err != nil && ctx.Err() == nil {
		logging.FromContext(ctx).WarnContext(ctx, "broker: reading due deliveries", slog.Any("error", err))
	}
	if b.opts.Chaos.MaxDelay > 0 {
		mathrand.Shuffle(len(due), func(i, j int) { due[i], due[j] = due[j], due[i] })
	}
	for _, doc := range due {
		if !b.inflight.Claim(doc.ID) {
			continue
		}
		if !p.goWait(ctx, func() { b.finish(p, doc.ID, b.deliver(ctx, doc.ID)) }) {
			b.inflight.Release(doc.ID)
			return
		}
	}
}

// finish ends a worker's delivery: one its subscriber took stays in
// flight until the acknowledger has recorded it; any other is released.
func (b *Broker) finish(p *pool, id string, taken bool) {
	if taken {
		p.acks <- id
		return
	}
	b.release(id)
}

// release ends the delivery's flight, and wakes the dispatcher if it
// last found every worker busy. Retries falling due are its poll's.
func (b *Broker) release(id string) {
	b.inflight.Release(id)
	if b.starved.CompareAndSwap(true, false) {
		b.wake()
	}
}

// deliver sends one delivery and records its outcome, but for one its
// subscriber took: it reports true for that one, whose deletion is the
// caller's to record. It reads the delivery afresh first: the dispatcher's
// list may predate another worker's settling of it, and a settled delivery
// must not go out again.
func (b *Broker) deliver(ctx context.Context, id string) (taken bool) {
	var d delivery
	switch err := b.opts.Store.Get(ctx, deliveries, id, &d); {
	case errors.Is(err, store.ErrNotFound):
		return false
	case err != nil:
		if ctx.Err() == nil {
			logging.FromContext(ctx).ErrorContext(ctx, "broker: unreadable delivery", slog.String("id", id), slog.Any("error", err))
		}
		return false
	}
	if d.Due.After(b.now()) {
		return false // rescheduled meanwhile
	}
	return b.attempt(ctx, id, d)
}

// attempt sends delivery d, as stored under id, and records its outcome
// as deliver does.
func (b *Broker) attempt(ctx context.Context, id string, d delivery) (taken bool) {
	rt, known := b.triggers[d.Trigger]
	if !known {
		b.settle(ctx, id, d, outcome{dead: true, reason: "trigger " + d.Trigger + " no longer exists"}, rt)
		return false
	}
	if b.opts.Chaos.MaxDelay > 0 {
		select {
		case <-time.After(mathrand.N(b.opts.Chaos.MaxDelay)):
		case <-ctx.Done():
			return false
		}
	}
	if b.opts.Chaos.Duplicate > 0 && mathrand.Float64() < b.opts.Chaos.Duplicate {
		// The duplicate's own outcome is ignored, as a redelivery after a
		// lost acknowledgement would be.
		go b.send(context.WithoutCancel(ctx), rt, d.Event)
	}
	ctx, span := tracing.Start(tracing.Continue(ctx, d.Trace), "broker deliver "+d.Trigger,
		trace.WithSpanKind(trace.SpanKindProducer),
		trace.WithAttributes(attribute.String("trigger", d.Trigger), attribute.Int("attempt", d.Attempts+1)))
	defer span.End()
	out := b.send(ctx, rt, d.Event)
	if ctx.Err() != nil {
		return false // stopped mid-delivery: stays pending, resent after a restart
	}
	logging.FromContext(ctx).DebugContext(ctx, "broker: delivery attempted", slog.String("trigger", d.Trigger),
		slog.String("id", id), slog.Int("attempt", d.Attempts+1), slog.Int("status", out.status), slog.Bool("taken", out.ok))
	if out.ok {
		return true
	}
	span.SetStatus(codes.Error, out.reason)
	b.settle(ctx, id, d, out, rt)
	return false
}

// outcome is what one attempt came to.
type outcome struct {
	ok     bool
	dead   bool // refused outright: no retry
	status int
	reason string
}

// send makes one attempt and classifies the answer by Knative's rules
// (eventing.Classify).
func (b *Broker) send(ctx context.Context, rt route, raw string) outcome {
	var ev event.Event
	if err := json.Unmarshal([]byte(raw), &ev); err != nil {
		return outcome{dead: true, reason: "stored event unreadable: " + err.Error()}
	}
	timeout := rt.Delivery.Timeout
	if timeout == 0 {
		timeout = b.opts.Timeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	token, err := rt.tokens.Token(ctx, rt.Subscriber.Audience)
	if err != nil {
		return outcome{reason: "token: " + err.Error()}
	}
	answer, err := eventing.Send(ctx, b.opts.Client, rt.target, token, ev)
	switch {
	case errors.Is(err, eventing.ErrUnsendable):
		return outcome{dead: true, reason: err.Error()}
	case err != nil:
		return outcome{reason: err.Error()}
	}
	out := outcome{status: answer.Status, reason: "subscriber " + answer.String()}
	switch answer.Outcome() {
	case eventing.Done:
		return outcome{ok: true, status: answer.Status}
	case eventing.DeadLetter:
		out.dead = true
	}
	return out
}

// settle records an attempt that failed: retried later, or dead. A
// delivery its subscriber took is the acknowledger's (acknowledge).
func (b *Broker) settle(ctx context.Context, id string, d delivery, out outcome, rt route) {
	d.Attempts++
	retry := !out.dead && d.Attempts <= rt.Delivery.Retry
	var ev event.Event // read once the delivery dies
	err := b.opts.Store.RunTransaction(ctx, func(_ context.Context, tx store.Tx) error {
		var current delivery
		if err := tx.Get(deliveries, id, &current); err != nil {
			return err // settled meanwhile (a replay, a duplicate dispatch)
		}
		switch {
		case retry:
			d.Due = b.now().Add(time.Duration(float64(rt.Delivery.Backoff(d.Attempts)) * b.opts.BackoffScale))
			d.LastError = out.reason
			return tx.Set(deliveries, id, d)
		default:
			_ = json.Unmarshal([]byte(d.Event), &ev)
			reason := out.reason
			if !out.dead {
				reason = fmt.Sprintf("%s (after %d attempts)", reason, d.Attempts)
			}
			dl := DeadLetter{
				Trigger: d.Trigger, Subscriber: rt.target, Event: d.Event, EventType: ev.Type(), EventID: ev.ID(),
				Reason: reason, Status: out.status, Attempts: d.Attempts, At: b.now().UTC(),
			}
			if err := tx.Create(deadLetters, id, dl); err != nil {
				return err
			}
			return tx.Delete(deliveries, id)
		}
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		logging.FromContext(ctx).WarnContext(ctx, "broker: recording a delivery", slog.String("id", id), slog.Any("error", err))
	}
	switch {
	case err != nil:
	case retry:
		b.redelivered.Add(ctx, 1, metric.WithAttributes(attribute.String("trigger", d.Trigger)))
	default:
		b.dead.Add(ctx, 1, metric.WithAttributes(attribute.String("type", ev.Type())))
		logging.FromContext(ctx).WarnContext(ctx, "broker: dead letter", slog.String("trigger", d.Trigger),
			slog.String("id", id), slog.String("reason", out.reason))
	}
}

// DeadLetters lists the dead letters in st, oldest first.
func DeadLetters(ctx context.Context, st store.Store) ([]DeadLetter, error) {
	docs, err := st.Query(ctx, deadLetters, store.Query{OrderBy: "at"})
	if err != nil {
		return nil, fmt.Errorf("broker.DeadLetters: %w", err)
	}
	out := make([]DeadLetter, 0, len(docs))
	for _, doc := range docs {
		var dl DeadLetter
		if err := doc.DataTo(&dl); err != nil {
			return nil, fmt.Errorf("broker.DeadLetters: %w", err)
		}
		dl.ID = doc.ID
		out = append(out, dl)
	}
	return out, nil
}

// Replay puts dead letter id back as a pending delivery to its Trigger,
// with fresh retries; a running broker delivers it within its poll interval.
func Replay(ctx context.Context, st store.Store, id string) error {
	err := st.RunTransaction(ctx, func(_ context.Context, tx store.Tx) error {
		var dl DeadLetter
		if err := tx.Get(deadLetters, id, &dl); err != nil {
			return err
		}
		now := time.Now().UTC()
		if err := tx.Create(deliveries, newID(), delivery{Trigger: dl.Trigger, Event: dl.Event, Due: now, AcceptedAt: now}); err != nil {
			return err
		}
		return tx.Delete(deadLetters, id)
	})
	if err != nil {
		return fmt.Errorf("broker.Replay %s: %w", id, err)
	}
	return nil
}

// DeadLetters lists this broker's dead letters.
func (b *Broker) DeadLetters(ctx context.Context) ([]DeadLetter, error) {
	return DeadLetters(ctx, b.opts.Store)
}

// Replay redelivers one of this broker's dead letters.
func (b *Broker) Replay(ctx context.Context, id string) error {
	if err := Replay(ctx, b.opts.Store, id); err != nil {
		return err
	}
	b.wake()
	return nil
}

// Pending counts the deliveries not yet settled.
func (b *Broker) Pending(ctx context.Context) (int, error) {
	docs, err := b.opts.Store.Query(ctx, deliveries, store.Query{})
	if err != nil {
		return 0, fmt.Errorf("broker.Pending: %w", err)
	}
	return len(docs), nil
}

// newID returns a random document id.
func newID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}
