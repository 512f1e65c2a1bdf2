// Package embedded is the scheduler driver of the embedded default: each
// task is a document in a store (the calling function's own), and Run
// calls the tasks that are due.
//
// Tasks live in the collection "scheduledTasks", keyed by name. A task's
// field due is when it is next tried: its time at first, then a lease
// ahead while a Run is calling it, then a backoff ahead after a failed
// call. So a task due while no Run was going is called as soon as one
// starts, and a task whose caller died mid-call is tried again once the
// lease has passed.
//
// Several Runs may share one store (replicas of one function): each claims
// the tasks it calls in a transaction that moves their due past the lease
// and marks them with a claim of its own, so two Runs do not call one task
// at once. Delivery is still at least once: a call whose answer was lost,
// or that outlived its lease, is made again, so the endpoint must be
// idempotent.
//
// A call that fails (a network error or any answer but 2xx, as Cloud Tasks
// counts them) is retried with exponential backoff and jitter, up to
// Options.MaxBackoff apart, for as long as the task exists: the default
// never gives up, since the tasks of this marketplace are expiries that
// must happen. With Options.MaxAttempts set, a task that fails that many
// times is kept, with failedAt and its last answer and no due time, for an
// operator to look at, and is never called again.
//
// Unlike Cloud Tasks, a name is free again once its task was called or
// cancelled.
package embedded

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/buytickets/buytickets/shared/dispatch"
	"github.com/buytickets/buytickets/shared/logging"
	"github.com/buytickets/buytickets/shared/scheduler"
	"github.com/buytickets/buytickets/shared/store"
)

// Collection holds the tasks of a store, by name.
const Collection = "scheduledTasks"

// taskDoc is one task. Body is base64, so any bytes are a valid string in
// both drivers.
type taskDoc struct {
	URL        string    `store:"url"`
	Body       string    `store:"body"`
	Trace      string    `store:"trace,omitempty"` // the task's traceparent
	At         time.Time `store:"at"`
	Due        time.Time `store:"due,omitempty"`
	Attempts   int       `store:"attempts"`
	Claim      string    `store:"claim,omitempty"`
	LastStatus int       `store:"lastStatus,omitempty"`
	LastError  string    `store:"lastError,omitempty"`
	FailedAt   time.Time `store:"failedAt,omitempty"`
}

// Options tune a Scheduler; the zero value of each field selects its default.
type Options struct {
	// Client makes the calls; default a client with a 30 s timeout.
	Client *http.Client
	// BaseURL, when set, lets a task's URL be a path ("/tasks/expire"),
	// resolved against BaseURL when the task is called rather than when it
	// is scheduled: the embedded stack's ports change from one start to the
	// next, and a stored task outlives them.
	BaseURL string
	// PollEvery is the longest Run waits before looking for due tasks
	// again, which is how it learns of tasks that another Run on the same
	// store scheduled; default 1 s. Tasks scheduled through this Scheduler
	// wake it at once.
	PollEvery time.Duration
	// Lease is how long a claimed task is left to the Run calling it before
	// another may call it again; it must outlast the client's timeout.
	// Default twice the timeout, or 1 minute without one.
	Lease time.Duration
	// MinBackoff and MaxBackoff bound the delay before a failed call is
	// retried; default 1 s and 5 min.
	MinBackoff, MaxBackoff time.Duration
	// MaxAttempts, when above 0, is how many calls a task gets before it is
	// given up; 0 retries for as long as the task exists.
	MaxAttempts int
	// Batch is how many due tasks one transaction claims, at most 500 (the
	// most documents one Firestore transaction writes); default 100.
	Batch int
	// Parallel is how many calls run at once; default 16.
	Parallel int
}

// Scheduler keeps tasks in a store and, while Run runs, calls them.
type Scheduler struct {
	store   store.Store
	opts    Options
	base    *url.URL
	backoff dispatch.Backoff
	wake    *dispatch.Waker
}

var _ scheduler.Scheduler = (*Scheduler)(nil)

// New returns a Scheduler keeping its tasks in st.
func New(st store.Store, opts Options) (*Scheduler, error) {
	if st == nil {
		return nil, errors.New("embedded.New: no store")
	}
	s := &Scheduler{store: st, wake: dispatch.NewWaker()}
	if opts.BaseURL != "" {
		u, err := url.Parse(opts.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("embedded.New: base URL %q is not an http(s) URL", opts.BaseURL)
		}
		s.base = u
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if opts.PollEvery <= 0 {
		opts.PollEvery = time.Second
	}
	if opts.Lease <= 0 {
		opts.Lease = time.Minute
		if opts.Client.Timeout > 0 {
			opts.Lease = 2 * opts.Client.Timeout
		}
	}
	// Tasks are expiries, so a failing one is retried less eagerly than
	// a relay's send.
	s.backoff = dispatch.Backoff{Min: opts.MinBackoff, Max: opts.MaxBackoff}.
		Or(dispatch.Backoff{Min: time.Second, Max: 5 * time.Minute})
	opts.MinBackoff, opts.MaxBackoff = s.backoff.Min, s.backoff.Max
	opts.Batch = dispatch.BatchSize(opts.Batch, dispatch.Batch, store.MaxBatch)
	if opts.Parallel <= 0 {
		opts.Parallel = 16
	}
	s.opts = opts
	return s, nil
}

// Schedule stores t, due at t.At, and wakes Run. A task of the same name
// already stored is kept as it is.
func (s *Scheduler) Schedule(ctx context.Context, t scheduler.Task) error {
	doc, err := s.newDoc(t)
	if err != nil {
		return fmt.Errorf("embedded.Schedule: %w", err)
	}
	err = s.store.RunTransaction(ctx, func(_ context.Context, tx store.Tx) error {
		return tx.Create(Collection, t.Name, doc)
	})
	if err != nil && !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("embedded.Schedule %s: %w", t.Name, err)
	}
	s.Notify()
	return nil
}

// ScheduleTx stores t in tx, a transaction on the Scheduler's own store,
// so the task exists exactly when the caller's change commits; call Notify
// after the commit. It only writes, so it may follow the transaction's
// reads, and so it replaces a task of the same name rather than read it
// first: the caller decides, in its own reads, whether to schedule.
func (s *Scheduler) ScheduleTx(tx store.Tx, t scheduler.Task) error {
	doc, err := s.newDoc(t)
	if err != nil {
		return fmt.Errorf("embedded.ScheduleTx: %w", err)
	}
	if err := tx.Set(Collection, t.Name, doc); err != nil {
		return fmt.Errorf("embedded.ScheduleTx %s: %w", t.Name, err)
	}
	return nil
}

// Cancel deletes the task name. A call already under way is not stopped,
// and its outcome is then ignored.
func (s *Scheduler) Cancel(ctx context.Context, name string) error {
	if err := scheduler.CheckName(name); err != nil {
		return fmt.Errorf("embedded.Cancel: %w", err)
	}
	err := s.store.RunTransaction(ctx, func(_ context.Context, tx store.Tx) error {
		return tx.Delete(Collection, name)
	})
	if err != nil {
		return fmt.Errorf("embedded.Cancel %s: %w", name, err)
	}
	return nil
}

// CancelTx deletes the task name in tx, a transaction on the Scheduler's
// own store. It only writes, so it may follow the transaction's reads.
func (s *Scheduler) CancelTx(tx store.Tx, name string) error {
	if err := scheduler.CheckName(name); err != nil {
		return fmt.Errorf("embedded.CancelTx: %w", err)
	}
	if err := tx.Delete(Collection, name); err != nil {
		return fmt.Errorf("embedded.CancelTx %s: %w", name, err)
	}
	return nil
}

// Notify wakes Run to look at the tasks again. Call it after a transaction
// that used ScheduleTx has committed; it never blocks.
func (s *Scheduler) Notify() { s.wake.Notify() }

// newDoc checks t and returns its document, due at t.At rounded up to the
// store's millisecond, so it is never called before t.At.
func (s *Scheduler) newDoc(t scheduler.Task) (taskDoc, error) {
	if err := scheduler.CheckName(t.Name); err != nil {
		return taskDoc{}, err
	}
	if _, err := s.resolve(t.URL); err != nil {
		return taskDoc{}, err
	}
	if t.At.IsZero() {
		return taskDoc{}, fmt.Errorf("task %s has no time", t.Name)
	}
	due := store.CanonicalTime(t.At)
	if due.Before(t.At) {
		due = due.Add(time.Millisecond)
	}
	return taskDoc{URL: t.URL, Body: base64.StdEncoding.EncodeToString(t.Body), Trace: t.Trace, At: due, Due: due}, nil
}

// resolve returns the URL a task calls: raw itself when it is an absolute
// http(s) URL, or raw, a path, against BaseURL.
func (s *Scheduler) resolve(raw string) (string, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "", fmt.Errorf("task URL %q: %w", raw, err)
	case u.IsAbs() && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "":
		return raw, nil
	case !u.IsAbs() && u.Host == "" && strings.HasPrefix(u.Path, "/") && s.base != nil:
		return s.base.ResolveReference(u).String(), nil
	default:
		return "", fmt.Errorf("task URL %q is not an absolute http(s) URL, nor a path with a base URL", raw)
	}
}

// Run calls due tasks until ctx ends: at once for the tasks already due,
// then as each falls due, when Notify wakes it, and at least every
// Options.PollEvery. A call under way when ctx ends is abandoned, and its
// task made due again at once for the next Run (or, should the process die
// before recording that, once its lease has passed).
func (s *Scheduler) Run(ctx context.Context) {
	dispatch.Loop{
		Name: "scheduler pass",
		Round: func(ctx context.Context) (time.Duration, error) {
			next, err := s.pass(ctx)
			wait := s.opts.PollEvery
			if !next.IsZero() {
				wait = max(min(wait, time.Until(next)), 0)
			}
			return wait, err
		},
		Wake: s.wake,
		// A task scheduled while the store fails is looked at as soon as
		// it is, rather than after the pass's backoff.
		WakeWhileFailing: true,
		Backoff:          s.backoff,
	}.Run(ctx)
}

// pass claims and calls every task due now, batch after batch, and returns
// when the earliest task left is due (zero when none is).
func (s *Scheduler) pass(ctx context.Context) (time.Time, error) {
	for {
		claimed, err := s.claim(ctx, time.Now())
		if err != nil {
			return time.Time{}, err
		}
		if len(claimed) == 0 {
			break
		}
		if err := s.complete(ctx, s.call(ctx, claimed)); err != nil {
			return time.Time{}, err
		}
		if len(claimed) < s.opts.Batch {
			break
		}
	}
	return s.nextDue(ctx)
}

// claimed is a task a pass claimed and is calling.
type claimed struct {
	name string
	doc  taskDoc
}

// claim marks up to Batch tasks due at now as this pass's, moving their due
// a lease ahead, in one transaction. A stored task that cannot be read is
// deleted (and logged), so it cannot block the tasks behind it.
func (s *Scheduler) claim(ctx context.Context, now time.Time) ([]claimed, error) {
	due := store.Query{
		Filters: []store.Filter{store.Where("due", store.Le, now)},
		OrderBy: "due",
		Limit:   s.opts.Batch,
	}
	// A look outside any transaction first: a poll that finds nothing due
	// takes no write lock from the function's own transactions.
	peek := due
	peek.Limit = 1
	if docs, err := s.store.Query(ctx, Collection, peek); err != nil || len(docs) == 0 {
		if err != nil {
			return nil, fmt.Errorf("embedded: claim: %w", err)
		}
		return nil, nil
	}
	var out []claimed
	var corrupt []string
	err := s.store.RunTransaction(ctx, func(_ context.Context, tx store.Tx) error {
		out, corrupt = out[:0], corrupt[:0] // the transaction may run more than once
		docs, err := tx.Query(Collection, due)
		if err != nil {
			return err
		}
		for _, d := range docs {
			var td taskDoc
			if err := d.DataTo(&td); err != nil {
				corrupt = append(corrupt, d.ID)
				if err := tx.Delete(Collection, d.ID); err != nil {
					return err
				}
				continue
			}
			td.Claim, td.Due = rand.Text(), now.Add(s.opts.Lease)
			td.Attempts++
			if err := tx.Set(Collection, d.ID, td); err != nil {
				return err
			}
			out = append(out, claimed{name: d.ID, doc: td})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("embedded: claim: %w", err)
	}
	for _, id := range corrupt {
		logging.FromContext(ctx).ErrorContext(ctx, "stored task unreadable, deleted", slog.String("task", id))
	}
	return out, nil
}

// outcome is how one call went: a 2xx status, or a failure to retry.
type outcome struct {
	claimed
	status int
	err    error
}

func (o outcome) ok() bool { return o.err == nil && o.status >= 200 && o.status < 300 }

// call calls the claimed tasks, Parallel at a time.
func (s *Scheduler) call(ctx context.Context, tasks []claimed) []outcome {
	out := make([]outcome, len(tasks))
	dispatch.Each(len(tasks), s.opts.Parallel, func(i int) {
		status, err := s.send(ctx, tasks[i])
		out[i] = outcome{claimed: tasks[i], status: status, err: err}
	})
	return out
}

// send makes one task's call and returns the status it was answered.
func (s *Scheduler) send(ctx context.Context, c claimed) (int, error) {
	target, err := s.resolve(c.doc.URL)
	if err != nil {
		return 0, err
	}
	body, err := base64.StdEncoding.DecodeString(c.doc.Body)
	if err != nil {
		return 0, fmt.Errorf("stored body: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(scheduler.HeaderTaskName, c.name)
	req.Header.Set(scheduler.HeaderRetryCount, strconv.Itoa(c.doc.Attempts-1))
	if c.doc.Trace != "" {
		req.Header.Set("traceparent", c.doc.Trace)
	}
	res, err := s.opts.Client.Do(req)
	if err != nil {
		return 0, err
	}
	// Drained, so the connection is reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	res.Body.Close()
	return res.StatusCode, nil
}

// complete records the outcomes in one transaction: a task called
// successfully is deleted, a failed one is due again after a backoff (or
// given up), and one whose call ctx's end abandoned is due again at once,
// for the next Run. A task cancelled, or claimed again, since this pass
// claimed it is left alone.
func (s *Scheduler) complete(ctx context.Context, outcomes []outcome) error {
	abandoned := ctx.Err() != nil
	// Recorded even when ctx has ended, so a stopped Run does not leave the
	// calls it made to be made again.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	now := time.Now()
	err := s.store.RunTransaction(rctx, func(_ context.Context, tx store.Tx) error {
		current := make([]*taskDoc, len(outcomes))
		for i, o := range outcomes {
			var td taskDoc
			switch err := tx.Get(Collection, o.name, &td); {
			case errors.Is(err, store.ErrNotFound):
			case err != nil:
				return err
			case td.Claim == o.doc.Claim:
				current[i] = &td
			}
		}
		for i, o := range outcomes {
			td := current[i]
			switch {
			case td == nil:
			case o.ok():
				if err := tx.Delete(Collection, o.name); err != nil {
					return err
				}
			default:
				s.retry(td, o, abandoned, now)
				if err := tx.Set(Collection, o.name, *td); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("embedded: complete: %w", err)
	}
	logger := logging.FromContext(ctx)
	for _, o := range outcomes {
		if !o.ok() && !abandoned {
			logger.WarnContext(ctx, "scheduled call failed", slog.String("task", o.name),
				slog.Int("attempts", o.doc.Attempts), slog.Int("status", o.status), slog.Any("error", o.err))
		}
	}
	return nil
}

// retry makes td, whose call failed as o says, due again after a backoff,
// or gives it up after MaxAttempts. A call abandoned because the Run
// stopped does not count: the task is due again at once.
func (s *Scheduler) retry(td *taskDoc, o outcome, abandoned bool, now time.Time) {
	td.Claim = ""
	if abandoned && o.err != nil {
		td.Attempts--
		td.Due = now
		return
	}
	td.LastStatus, td.LastError = o.status, ""
	if o.err != nil {
		td.LastError = o.err.Error()
	}
	if s.opts.MaxAttempts > 0 && td.Attempts >= s.opts.MaxAttempts {
		td.Due, td.FailedAt = time.Time{}, now
		return
	}
	td.Due = now.Add(s.backoff.Delay(td.Attempts))
}

// nextDue returns when the earliest task is due, or zero when none is.
func (s *Scheduler) nextDue(ctx context.Context) (time.Time, error) {
	docs, err := s.store.Query(ctx, Collection, store.Query{OrderBy: "due", Limit: 1})
	if err != nil {
		return time.Time{}, fmt.Errorf("embedded: next due: %w", err)
	}
	if len(docs) == 0 {
		return time.Time{}, nil
	}
	var td taskDoc
	if err := docs[0].DataTo(&td); err != nil {
		return time.Time{}, fmt.Errorf("embedded: task %s: %w", docs[0].ID, err)
	}
	return td.Due, nil
}
