// Package relay makes any scheduler transactional, as the outbox does for
// events: ScheduleTx and CancelTx record the intent in the store
// transaction of the change that causes it, so it exists exactly when the
// change does, and a relay applies it to the scheduler after commit (Run,
// woken by Notify), retrying with backoff while the process lives. Sweep
// applies what is still pending after MinAge, from the function's outbox
// sweep in production, so an intent is never lost because Cloud Tasks or
// the process was down between the commit and the call.
//
// Intents are documents of the collection "taskIntents", keyed by task
// name: one per name, the latest written winning. An intent is pending
// while it has the field pendingAt, and done once it has doneAt. Applying
// is at least once, which the scheduler absorbs: a second Schedule of a
// name is success, and so is a Cancel of a name that is gone.
//
// When an intent is rewritten while it is being applied (a cancel
// recorded while its schedule is on its way to Cloud Tasks), the relay that
// applied the older one leaves the newer pending, or makes it pending again
// if another relay already applied it, so the latest intent is always the
// last applied.
package relay

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/buytickets/buytickets/shared/dispatch"
	"github.com/buytickets/buytickets/shared/scheduler"
	"github.com/buytickets/buytickets/shared/store"
)

// Collection holds the intents of a function's store, by task name.
const Collection = "taskIntents"

// The operations an intent asks of the scheduler.
const (
	opSchedule = "schedule"
	opCancel   = "cancel"
)

// intent is the latest Schedule or Cancel asked for one task name. Seq is
// new with every write, to tell a rewritten intent from the one applied.
type intent struct {
	Op        string    `store:"op"`
	URL       string    `store:"url,omitempty"`
	Body      string    `store:"body,omitempty"` // base64
	At        time.Time `store:"at,omitempty"`
	Trace     string    `store:"trace,omitempty"` // the task's traceparent
	Seq       string    `store:"seq"`
	PendingAt time.Time `store:"pendingAt,omitempty"`
	DoneAt    time.Time `store:"doneAt,omitempty"`
}

// Options tune a Relay; the zero value of each field selects its default.
type Options struct {
	// MinAge is how long an intent must have been pending before Sweep
	// applies it, leaving fresh ones to the relay of the replica that wrote
	// them; default 5 s.
	MinAge time.Duration
	// Retention is how long a done intent is kept before Sweep deletes it;
	// default 24 h.
	Retention time.Duration
	// MinBackoff and MaxBackoff bound the delay between retries; default
	// 100 ms and 30 s.
	MinBackoff, MaxBackoff time.Duration
	// Batch is how many intents one step applies and marks, at most 500;
	// default 100.
	Batch int
	// Parallel is how many intents of a batch are applied at once; default 8.
	Parallel int
}

// Relay records intents in a store and applies them to a scheduler.
type Relay struct {
	store   store.Store
	sched   scheduler.Scheduler
	opts    Options
	backoff dispatch.Backoff
	wake    *dispatch.Waker
}

// New returns the relay of st's intents to s.
func New(st store.Store, s scheduler.Scheduler, opts Options) (*Relay, error) {
	if st == nil || s == nil {
		return nil, errors.New("relay.New: a store and a scheduler are required")
	}
	backoff := dispatch.RelayDefaults(&opts.MinAge, &opts.Retention, &opts.MinBackoff, &opts.MaxBackoff, &opts.Batch)
	if opts.Parallel <= 0 {
		opts.Parallel = 8
	}
	return &Relay{store: st, sched: s, opts: opts, backoff: backoff, wake: dispatch.NewWaker()}, nil
}

// ScheduleTx records in tx the intent to schedule t, replacing any intent
// recorded for its name; the scheduler then keeps the first task of a name
// it was given. It only writes, so it may follow the transaction's reads.
// After the transaction commits, call Notify.
func (r *Relay) ScheduleTx(tx store.Tx, t scheduler.Task) error {
	if err := scheduler.CheckName(t.Name); err != nil {
		return fmt.Errorf("relay.ScheduleTx: %w", err)
	}
	if u, err := url.Parse(t.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("relay.ScheduleTx %s: URL %q is not an absolute http(s) URL", t.Name, t.URL)
	}
	if t.At.IsZero() {
		return fmt.Errorf("relay.ScheduleTx %s: no time", t.Name)
	}
	return r.put(tx, t.Name, intent{Op: opSchedule, URL: t.URL, Body: base64.StdEncoding.EncodeToString(t.Body), At: t.At, Trace: t.Trace})
}

// CancelTx records in tx the intent to cancel the task name, replacing any
// intent recorded for it. It only writes, so it may follow the
// transaction's reads. After the transaction commits, call Notify.
func (r *Relay) CancelTx(tx store.Tx, name string) error {
	if err := scheduler.CheckName(name); err != nil {
		return fmt.Errorf("relay.CancelTx: %w", err)
	}
	return r.put(tx, name, intent{Op: opCancel})
}

func (r *Relay) put(tx store.Tx, name string, in intent) error {
	in.Seq, in.PendingAt = rand.Text(), time.Now()
	if err := tx.Set(Collection, name, in); err != nil {
		return fmt.Errorf("relay: %s %s: %w", in.Op, name, err)
	}
	return nil
}

// Notify wakes the relay to apply what is pending. Call it after a
// transaction that recorded intents has committed; it never blocks.
func (r *Relay) Notify() { r.wake.Notify() }

// Run applies intents until ctx is done: what is pending when it starts
// and whenever Notify wakes it, retrying failures with exponential backoff
// and jitter. Intents not applied when ctx ends stay pending for the next
// Run or Sweep.
func (r *Relay) Run(ctx context.Context) {
	dispatch.Loop{
		Name: "task relay",
		Round: func(ctx context.Context) (time.Duration, error) {
			_, err := r.relay(ctx, time.Time{})
			return dispatch.Idle, err
		},
		Wake:    r.wake,
		Backoff: r.backoff,
	}.Run(ctx)
}

// Sweep applies the intents pending for MinAge or more and deletes the done
// ones older than Retention. It returns how many it applied and deleted.
func (r *Relay) Sweep(ctx context.Context) (applied, deleted int, err error) {
	now := time.Now()
	applied, applyErr := r.relay(ctx, now.Add(-r.opts.MinAge))
	if applyErr != nil {
		r.Notify() // the relay keeps retrying while the process lives
	}
	deleted, delErr := r.deleteDone(ctx, now.Add(-r.opts.Retention))
	return applied, deleted, errors.Join(applyErr, delErr)
}

// relay applies the pending intents, oldest first, batch after batch
// (only those pending since cutoff or before, when cutoff is set), and
// returns how many it marked done.
func (r *Relay) relay(ctx context.Context, cutoff time.Time) (int, error) {
	q := store.Query{OrderBy: "pendingAt", Limit: r.opts.Batch}
	if !cutoff.IsZero() {
		q.Filters = []store.Filter{store.Where("pendingAt", store.Le, cutoff)}
	}
	done := 0
	for {
		docs, err := r.store.Query(ctx, Collection, q)
		if err != nil {
			return done, fmt.Errorf("relay: %w", err)
		}
		n, err := r.apply(ctx, docs)
		done += n
		if err != nil || len(docs) < r.opts.Batch {
			return done, err
		}
	}
}

// apply applies each intent of docs to the scheduler, Parallel at a time,
// then marks the applied ones done in one transaction, and returns how many
// it applied. It fails when an intent could not be applied or the marking
// failed.
func (r *Relay) apply(ctx context.Context, docs []store.Doc) (int, error) {
	ins := make([]intent, len(docs))
	errs := make([]error, len(docs))
	dispatch.Each(len(docs), r.opts.Parallel, func(i int) {
		d := docs[i]
		if err := d.DataTo(&ins[i]); err != nil {
			errs[i] = fmt.Errorf("relay: intent %s: %w", d.ID, err)
			return
		}
		errs[i] = r.applyOne(ctx, d.ID, ins[i])
	})
	var applied []int
	for i, err := range errs {
		if err == nil {
			applied = append(applied, i)
		}
	}
	if len(applied) > 0 {
		if err := r.markDone(ctx, docs, ins, applied); err != nil {
			return 0, errors.Join(append(errs, err)...)
		}
	}
	return len(applied), errors.Join(errs...)
}

func (r *Relay) applyOne(ctx context.Context, name string, in intent) error {
	switch in.Op {
	case opSchedule:
		body, err := base64.StdEncoding.DecodeString(in.Body)
		if err != nil {
			return fmt.Errorf("relay: intent %s body: %w", name, err)
		}
		return r.sched.Schedule(ctx, scheduler.Task{Name: name, URL: in.URL, Body: body, At: in.At, Trace: in.Trace})
	case opCancel:
		return r.sched.Cancel(ctx, name)
	default:
		return fmt.Errorf("relay: intent %s: unknown op %q", name, in.Op)
	}
}

// markDone marks the applied intents done, unless they were rewritten
// since they were read: a newer intent stays pending, or is made pending
// again when another relay applied it before this one applied the older.
func (r *Relay) markDone(ctx context.Context, docs []store.Doc, ins []intent, applied []int) error {
	now := time.Now()
	err := r.store.RunTransaction(ctx, func(_ context.Context, tx store.Tx) error {
		current := make([]*intent, len(applied))
		for j, i := range applied {
			var cur intent
			switch err := tx.Get(Collection, docs[i].ID, &cur); {
			case errors.Is(err, store.ErrNotFound): // deleted by a sweep
			case err != nil:
				return err
			default:
				current[j] = &cur
			}
		}
		for j, i := range applied {
			cur := current[j]
			switch {
			case cur == nil:
				continue
			case cur.Seq == ins[i].Seq:
				cur.PendingAt, cur.DoneAt = time.Time{}, now
			case cur.PendingAt.IsZero():
				cur.PendingAt, cur.DoneAt = now, time.Time{}
			default:
				continue // the newer intent is still pending
			}
			if err := tx.Set(Collection, docs[i].ID, *cur); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("relay: mark done: %w", err)
	}
	return nil
}

func (r *Relay) deleteDone(ctx context.Context, cutoff time.Time) (int, error) {
	deleted, err := store.DeleteOlder(ctx, r.store, Collection, "doneAt", cutoff, r.opts.Batch)
	if err != nil {
		return deleted, fmt.Errorf("relay: delete done: %w", err)
	}
	return deleted, nil
}
