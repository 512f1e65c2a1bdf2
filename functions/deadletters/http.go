package deadletters

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/buytickets/buytickets/functions/deadletters/internal/deadletter"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/logging"
	"github.com/buytickets/buytickets/shared/paging"
)

// deadLetterResponse is a dead letter as the listing shows it.
type deadLetterResponse struct {
	ID         string     `json:"id"`
	EventType  string     `json:"eventType"`
	EventID    string     `json:"eventId"`
	Source     string     `json:"source"`
	Subject    string     `json:"subject"`
	ErrorCode  int        `json:"errorCode"`
	ErrorDest  string     `json:"errorDest"`
	ErrorData  string     `json:"errorData"`
	ReceivedAt httpx.Time `json:"receivedAt"`
}

func responseOf(d deadletter.DeadLetter) deadLetterResponse {
	return deadLetterResponse{
		ID: d.ID, EventType: d.EventType, EventID: d.EventID, Source: d.Source, Subject: d.Subject,
		ErrorCode: d.ErrorCode, ErrorDest: d.ErrorDest, ErrorData: d.ErrorData, ReceivedAt: httpx.TimeOf(d.ReceivedAt),
	}
}

// replayResponse is the answer to a replay the subscriber took.
type replayResponse struct {
	Replayed string `json:"replayed"`
	Status   int    `json:"status"`
}

// handleList answers a page of the dead letters, oldest first: 200 and a
// JSON array, with a Link rel="next" header when more follow; 400 for a bad
// ?limit or ?after, including an after replayed since.
func (f *Function) handleList() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		p, err := deadletter.ParsePage(q.Get("limit"), q.Get("after"))
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		page, more, err := f.store.List(r.Context(), p)
		if err != nil {
			httpx.Error(w, r, fmt.Errorf("store.List: %w", err))
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		httpx.Page(w, page, responseOf, more, func(last deadletter.DeadLetter) string {
			return paging.NextLink("/deadletters", p.Limit, last.ID)
		})
	})
}

// handleReplay sends a dead letter's event again to the subscriber that
// failed it, and no other: 200 {"replayed":id,"status":N} when the
// subscriber answers 2xx, after which the dead letter is gone; 502 with the
// subscriber's status when it fails again, and the dead letter is kept; 404
// for an unknown id; 400 for a dead letter with no subscriber to send to.
func (f *Function) handleReplay() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		id := r.PathValue("id")
		if !deadletter.ValidID(id) {
			httpx.Error(w, r, deadletter.ErrNotFound)
			return
		}
		d, err := f.store.Get(ctx, id)
		if err != nil {
			httpx.Error(w, r, fmt.Errorf("store.Get: %w", err))
			return
		}
		status, err := f.resend(ctx, d)
		if se, ok := errors.AsType[*subscriberError](err); ok {
			badGateway(w, r, d, se)
			return
		}
		if err != nil {
			httpx.Error(w, r, fmt.Errorf("deadletters.resend %s: %w", id, err))
			return
		}
		// A failed delete keeps a delivered dead letter; replaying it again
		// is harmless, since subscribers take an event once (DESIGN §5).
		if err := f.store.Delete(ctx, id); err != nil {
			httpx.Error(w, r, fmt.Errorf("store.Delete after a replay: %w", err))
			return
		}
		logging.FromContext(ctx).InfoContext(ctx, "dead letter replayed", slog.String("deadLetter", id),
			slog.String("errorDest", d.ErrorDest), slog.Int("status", status))
		httpx.JSON(w, http.StatusOK, replayResponse{Replayed: id, Status: status})
	})
}

// badGateway answers a replay the subscriber failed: 502 in the error
// shape, naming the subscriber's status when it answered at all.
func badGateway(w http.ResponseWriter, r *http.Request, d deadletter.DeadLetter, se *subscriberError) {
	logging.FromContext(r.Context()).WarnContext(r.Context(), "dead letter replay failed", slog.String("deadLetter", d.ID),
		slog.String("errorDest", d.ErrorDest), slog.Any("error", se))
	message := "Subscriber unreachable"
	if se.status != 0 {
		message = fmt.Sprintf("Subscriber answered %d", se.status)
	}
	httpx.JSON(w, http.StatusBadGateway, httpx.ErrorBody{Errors: []httpx.ErrorItem{{Message: message}}})
}
