package notifications

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/buytickets/buytickets/eventing/receive"
	"github.com/buytickets/buytickets/functions/notifications/internal/mail"
	"github.com/buytickets/buytickets/functions/notifications/internal/sender"
	notificationsstore "github.com/buytickets/buytickets/functions/notifications/internal/store"
	"github.com/buytickets/buytickets/shared/dispatch"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/logging"
	"github.com/buytickets/buytickets/shared/tracing"
)

// The sender's settings.
const (
	// batch is how many due emails one round takes.
	batch = 50
	// parallel is how many emails of a round are handed to the relay at once.
	parallel = 4
	// idleCheck is the longest the sender waits between rounds when an
	// email is queued but not yet due: past it, it looks again.
	idleCheck = time.Minute
	// retention is how long a finished email is kept: as long as the
	// receipts of the events that queue emails, so a late duplicate finds
	// its cause's email and queues no second one.
	retention = receive.DefaultRetention
	// SweepPath is where the PingSource posts the sweep.
	SweepPath = "/mail/sweep"
)

// loop is the sender: a round whenever an event queued an email, and when
// the next queued email is due.
func (f *Function) loop() dispatch.Loop {
	return dispatch.Loop{
		Name:    "mail sender",
		Round:   f.round,
		Wake:    f.wake,
		Backoff: dispatch.Backoff{Min: dispatch.MinBackoff, Max: dispatch.MaxBackoff},
		Every:   f.sweepEvery,
		Tick: func(ctx context.Context) {
			if _, err := f.prune(ctx); err != nil {
				logging.FromContext(ctx).WarnContext(ctx, "mail prune failed", slog.Any("error", err))
			}
		},
	}
}

// round sends the emails due now, a batch after another, and returns how
// long until the next one is due (at most idleCheck, dispatch.Idle when
// none is queued). It fails only when the store does: an email the relay
// refuses is tried again on its own schedule.
func (f *Function) round(ctx context.Context) (time.Duration, error) {
	for {
		ids, err := f.store.Due(ctx, f.now(), batch)
		if err != nil {
			return 0, err
		}
		errs := make([]error, len(ids))
		dispatch.Each(len(ids), parallel, func(i int) { errs[i] = f.deliver(ctx, ids[i]) })
		if err := errors.Join(errs...); err != nil {
			return 0, err
		}
		if len(ids) < batch {
			break
		}
	}
	next, ok, err := f.store.Next(ctx)
	switch {
	case err != nil:
		return 0, err
	case !ok:
		return dispatch.Idle, nil
	}
	return min(max(next.Sub(f.now()), 0), idleCheck), nil
}

// deliver tries the email id once, if no other sender has it: it resolves
// whom it goes to, sends it and finishes it, or schedules its next try, or
// gives it up. It fails only when the store does.
func (f *Function) deliver(ctx context.Context, id string) error {
	now := f.now()
	q, err := f.store.Claim(ctx, id, now, mail.Lease)
	if errors.Is(err, notificationsstore.ErrNotDue) {
		return nil
	} else if err != nil {
		return err
	}
	// The try is part of the trace of the event that queued the email.
	ctx, span := tracing.Start(tracing.Continue(ctx, q.Trace), "send mail "+string(q.Kind))
	defer span.End()
	logger := logging.FromContext(ctx).With(slog.String("mail", id))
	to, facts, err := f.store.Resolve(ctx, q)
	if err != nil {
		return err
	}
	switch {
	case to.OptedOut && !q.Kind.Transactional():
		return f.store.Drop(ctx, q, f.now(), "unsubscribed")
	case to.Email == "":
		return f.later(ctx, logger, q, fmt.Errorf("the address of user %q is not known yet", to.UserID))
	}
	env, err := f.envelope(q, to, facts)
	if err != nil {
		logger.ErrorContext(ctx, "mail cannot be composed; dropped", slog.Any("error", err))
		return f.store.Drop(ctx, q, f.now(), "cannot be composed")
	}
	switch err := f.sender.Send(ctx, env); {
	case err == nil:
		logger.InfoContext(ctx, "mail sent", slog.String("kind", string(q.Kind)))
		return f.store.Sent(ctx, q, f.now())
	case sender.IsPermanent(err):
		logger.WarnContext(ctx, "mail refused for good; dropped", slog.Any("error", err))
		return f.store.Drop(ctx, q, f.now(), "refused by the relay")
	default:
		return f.later(ctx, logger, q, err)
	}
}

// later schedules the next try of q after a try that failed with cause, or
// gives q up once it has been tried for mail.GiveUpAfter.
func (f *Function) later(ctx context.Context, logger *slog.Logger, q notificationsstore.Queued, cause error) error {
	now := f.now()
	if mail.GivenUp(q.CreatedAt, now) {
		logger.ErrorContext(ctx, "mail given up", slog.Int("attempts", q.Attempts), slog.Any("error", cause))
		return f.store.Drop(ctx, q, now, "given up: "+cause.Error())
	}
	delay := mail.Retry(q.Attempts)
	logger.WarnContext(ctx, "mail not sent, trying again", slog.Int("attempts", q.Attempts),
		slog.Duration("delay", delay), slog.Any("error", cause))
	return f.store.Retry(ctx, q, now.Add(delay), cause)
}

// envelope composes q for to, with the links its kind shows.
func (f *Function) envelope(q notificationsstore.Queued, to notificationsstore.Recipient, facts mail.Facts) (sender.Envelope, error) {
	links := mail.Links{
		Order:  f.link("/orders/" + url.PathEscape(facts.OrderID)),
		Ticket: f.link("/tickets/" + url.PathEscape(facts.TicketID)),
	}
	if !q.Kind.Transactional() {
		links.Unsubscribe = f.unsubscribeLink(to.UserID)
	}
	m, err := mail.Compose(q.Kind, facts, links)
	if err != nil {
		return sender.Envelope{}, err
	}
	return sender.Envelope{ID: q.ID, To: to.Email, Message: m, Unsubscribe: links.Unsubscribe}, nil
}

// link is the public URL of path.
func (f *Function) link(path string) string { return f.public.String() + path }

// prune deletes the emails finished more than retention ago, and the
// receipts of events as old.
func (f *Function) prune(ctx context.Context) (int, error) {
	cutoff := f.now().Add(-retention)
	mails, err := f.store.DeleteFinished(ctx, cutoff)
	receipts, rerr := receive.Prune(ctx, f.db, cutoff)
	return mails + receipts, errors.Join(err, rerr)
}

// handleSweep is the PingSource's sweep: it sends what is due, which a
// process scaled to zero left queued, and prunes. 204 when done; 503 with
// Retry-After when the store failed, so the next ping tries again.
func (f *Function) handleSweep() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		_, err := f.round(ctx)
		if _, perr := f.prune(ctx); perr != nil {
			err = errors.Join(err, perr)
		}
		if err != nil {
			logging.FromContext(ctx).WarnContext(ctx, "mail sweep failed", slog.Any("error", err))
			w.Header().Set("Retry-After", httpx.RetryAfterSeconds)
			httpx.JSON(w, http.StatusServiceUnavailable, httpx.ErrorBody{Errors: []httpx.ErrorItem{{Message: "Mail sweep incomplete"}}})
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
