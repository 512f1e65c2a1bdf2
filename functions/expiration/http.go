package expiration

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/functions/expiration/internal/expiry"
	expirationstore "github.com/buytickets/buytickets/functions/expiration/internal/store"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/logging"
	"github.com/buytickets/buytickets/shared/scheduler"
)

// expireRequest is the body of POST /tasks/expire, which every task
// carries.
type expireRequest struct {
	OrderID string `json:"orderId"`
}

// handleExpire takes a task's call: the order's window has passed, so an
// order still open expires and expiration.completed is emitted, once per
// order. 200 also for an order already expired or closed, or unknown (no
// retry would change it); 409 for a call before the order's expiresAt, so
// the scheduler retries; 400 for a body without a valid order id.
func (f *Function) handleExpire() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in expireRequest
		if err := httpx.Decode(w, r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		if err := expiry.CheckOrderID(in.OrderID); err != nil {
			httpx.Error(w, r, err)
			return
		}
		err := f.store.UpdateExpiry(r.Context(), in.OrderID, f.expire(f.now()))
		switch {
		case errors.Is(err, expiry.ErrNotFound):
			logging.FromContext(r.Context()).WarnContext(r.Context(), "task for an order never scheduled",
				slog.String("orderId", in.OrderID), slog.String("task", r.Header.Get(scheduler.HeaderTaskName)))
		case err != nil:
			httpx.Error(w, r, fmt.Errorf("store.UpdateExpiry: %w", err))
			return
		}
		httpx.JSON(w, http.StatusOK, struct{}{})
	})
}

// expire expires an open order at now and makes its expiration.completed;
// an order already expired or closed is left as it is, with no event.
func (f *Function) expire(now time.Time) expirationstore.UpdateFunc {
	return func(e *expiry.Expiry) ([]event.Event, error) {
		expired, err := e.Expire(now)
		if err != nil || !expired {
			return nil, err
		}
		ev, err := eventing.NewExpirationCompleted(eventing.ExpirationCompleted{OrderID: e.OrderID()})
		if err != nil {
			return nil, fmt.Errorf("eventing.NewExpirationCompleted: %w", err)
		}
		return []event.Event{ev}, nil
	}
}

// sweepResponse counts what one sweep did: the outbox's events sent and
// deleted, and the scheduling intents applied and deleted (none on the
// embedded scheduler, whose Run needs no sweep).
type sweepResponse struct {
	Sent    int       `json:"sent"`
	Deleted int       `json:"deleted"`
	Tasks   taskSweep `json:"tasks"`
}

type taskSweep struct {
	Applied int `json:"applied"`
	Deleted int `json:"deleted"`
}

// handleSweep answers the PingSource at POST /outbox/sweep: it sweeps the
// outbox and the scheduling intents, whatever the request carries (a ping
// event), and answers 200 with the counts, or 503 when a send or the store
// failed (the relays retry while the process lives, and the next sweep
// does too).
func (f *Function) handleSweep() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var resp sweepResponse
		events, err := f.pub.Box.Sweep(r.Context())
		resp.Sent, resp.Deleted = events.Sent, events.Deleted
		if f.sweepTasks != nil {
			var terr error
			resp.Tasks.Applied, resp.Tasks.Deleted, terr = f.sweepTasks(r.Context())
			err = errors.Join(err, terr)
		}
		if err != nil {
			logging.FromContext(r.Context()).WarnContext(r.Context(), "sweep failed", slog.Any("error", err))
			w.Header().Set("Retry-After", httpx.RetryAfterSeconds)
			httpx.JSON(w, http.StatusServiceUnavailable, httpx.ErrorBody{Errors: []httpx.ErrorItem{{Message: "Sweep incomplete"}}})
			return
		}
		httpx.JSON(w, http.StatusOK, resp)
	})
}
