package tickets

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/functions/tickets/internal/ticket"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/paging"
)

// ticketRequest is the body of a create and an edit. Price is kept as the
// client wrote it, so that ticket.ParsePrice reads it exactly and any JSON
// value there (a string, 1e400) is a field error rather than a decode error.
type ticketRequest struct {
	Title string          `json:"title"`
	Price json.RawMessage `json:"price"`
}

// ticketResponse is a ticket as the API shows it. Price is the exact
// decimal in dollars, written as a JSON number.
type ticketResponse struct {
	ID        string      `json:"id"`
	Title     string      `json:"title"`
	Price     json.Number `json:"price"`
	UserID    string      `json:"userId"`
	Status    string      `json:"status"`
	Version   int         `json:"version"`
	CreatedAt httpx.Time  `json:"createdAt"`
	OrderID   string      `json:"orderId,omitempty"`
}

func responseOf(t ticket.Ticket) ticketResponse {
	return ticketResponse{
		ID: t.ID(), Title: t.Title(), Price: json.Number(t.Price().String()), UserID: t.UserID(),
		Status: string(t.Status()), Version: t.Version(), CreatedAt: httpx.TimeOf(t.CreatedAt()), OrderID: t.OrderID(),
	}
}

// handleCreate lists a new ticket for the signed-in seller and emits
// ticket.created: 201 and the ticket at version 0.
func (f *Function) handleCreate() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := sharedauth.FromContext(r.Context())
		d, ok := decodeDetails(w, r)
		if !ok {
			return
		}
		t := ticket.New(u.ID, d, f.ft.Now())
		ev, err := createdEvent(t)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		if err := f.store.Create(r.Context(), t, ev); err != nil {
			httpx.Error(w, r, fmt.Errorf("store.Create: %w", err))
			return
		}
		httpx.JSON(w, http.StatusCreated, responseOf(t))
	})
}

// handleList answers a page of the tickets on sale, or with ?seller=me of
// the caller's own tickets in every status, newest first: 200 and a JSON
// array, with a Link rel="next" header when more follow; 400 for a bad
// ?limit, ?after or ?seller; 401 for ?seller=me signed out.
func (f *Function) handleList() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		l, err := ticket.ParseListing(q.Get("limit"), q.Get("after"), q.Get("seller"))
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		u, signedIn := sharedauth.FromContext(r.Context())
		if l.Mine && !signedIn {
			httpx.Error(w, r, sharedauth.ErrNotAuthorized)
			return
		}
		page, more, err := f.store.List(r.Context(), l, u.ID)
		if err != nil {
			httpx.Error(w, r, fmt.Errorf("store.List: %w", err))
			return
		}
		if l.Mine {
			w.Header().Set("Cache-Control", "no-store")
		}
		httpx.Page(w, page, responseOf, more, func(last ticket.Ticket) string { return nextLink(l, last.ID()) })
	})
}

// nextLink is the Link header of the page after the ticket last.
func nextLink(l ticket.Listing, last string) string {
	if l.Mine {
		return paging.NextLink("/api/tickets", l.Limit, last, "seller="+ticket.SellerMe)
	}
	return paging.NextLink("/api/tickets", l.Limit, last)
}

// handleGet answers one ticket in any status: 200, or 404 for an unknown
// or malformed id.
func (f *Function) handleGet() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t, err := f.store.Get(r.Context(), r.PathValue("id"))
		if err != nil {
			httpx.Error(w, r, fmt.Errorf("store.Get: %w", err))
			return
		}
		httpx.JSON(w, http.StatusOK, responseOf(t))
	})
}

// handleUpdate replaces the title and price of the seller's own ticket and
// emits ticket.updated: 200 and the ticket at its next version; 404 for an
// unknown ticket, 401 for anyone but its seller, 400 "Cannot edit a
// reserved ticket" while it is reserved or once it is sold, and 400
// "Cannot edit a withdrawn ticket" once a ban withdrew it.
func (f *Function) handleUpdate() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if !ticket.ValidID(id) {
			httpx.Error(w, r, ticket.ErrNotFound)
			return
		}
		d, ok := decodeDetails(w, r)
		if !ok {
			return
		}
		u, _ := sharedauth.FromContext(r.Context())
		t, err := f.store.Update(r.Context(), id, func(t *ticket.Ticket) (ticket.Outcome, []event.Event, error) {
			if err := t.Edit(u.ID, d); err != nil {
				return ticket.Ignored, nil, err
			}
			return withUpdated(t, ticket.Changed)
		})
		if err != nil {
			httpx.Error(w, r, fmt.Errorf("store.Update: %w", err))
			return
		}
		httpx.JSON(w, http.StatusOK, responseOf(t))
	})
}

// decodeDetails reads the title and price of a ticket request, or answers
// why they cannot be a ticket's, and ok is false.
func decodeDetails(w http.ResponseWriter, r *http.Request) (d ticket.Details, ok bool) {
	var in ticketRequest
	if err := httpx.Decode(w, r, &in); err != nil {
		httpx.Error(w, r, err)
		return d, false
	}
	d, err := ticket.ParseDetails(in.Title, string(in.Price))
	if err != nil {
		httpx.Error(w, r, err)
		return d, false
	}
	return d, true
}

// createdEvent is the ticket.created event of the new ticket t.
func createdEvent(t ticket.Ticket) (event.Event, error) {
	ev, err := eventing.NewTicketCreated(eventing.TicketCreated{
		ID: t.ID(), Version: t.Version(), Title: t.Title(), Price: t.Price().Dollars(), UserID: t.UserID(), CreatedAt: t.CreatedAt(),
	})
	if err != nil {
		return event.Event{}, fmt.Errorf("eventing.NewTicketCreated: %w", err)
	}
	return ev, nil
}

// withUpdated returns out with the ticket.updated event of t when out is a
// change a client sees, and with no event otherwise.
func withUpdated(t *ticket.Ticket, out ticket.Outcome) (ticket.Outcome, []event.Event, error) {
	if out != ticket.Changed {
		return out, nil, nil
	}
	ev, err := eventing.NewTicketUpdated(eventing.TicketUpdated{
		ID: t.ID(), Version: t.Version(), Title: t.Title(), Price: t.Price().Dollars(), UserID: t.UserID(), Status: string(t.Status()),
	})
	if err != nil {
		return out, nil, fmt.Errorf("eventing.NewTicketUpdated: %w", err)
	}
	return out, []event.Event{ev}, nil
}
