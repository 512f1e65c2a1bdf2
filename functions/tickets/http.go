package tickets

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/functions/tickets/internal/ticket"
	"github.com/buytickets/buytickets/shared/apperr"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/paging"
)

// ticketRequest is the body of a create and an edit. Price is kept as the
// client wrote it, so that ticket.ParsePrice reads it exactly and any JSON
// value there (a string, 1e400) is a field error rather than a decode error.
// ResaleOf, on a create only, is the code of an e-ticket the caller holds
// and sells again; the title is then the e-ticket's.
type ticketRequest struct {
	Title    string          `json:"title"`
	Price    json.RawMessage `json:"price"`
	ResaleOf string          `json:"resaleOf"`
	Event    *eventBody      `json:"event"`
	Seat     *seatBody       `json:"seat"`
}

// eventBody is the event a ticket admits to, as the API reads and shows
// it; StartsAt is RFC 3339.
type eventBody struct {
	Name     string `json:"name"`
	Venue    string `json:"venue,omitempty"`
	City     string `json:"city,omitempty"`
	StartsAt string `json:"startsAt"`
}

// seatBody is a ticket's seat, as the API reads and shows it.
type seatBody struct {
	Section string `json:"section,omitempty"`
	Row     string `json:"row,omitempty"`
	Number  string `json:"number,omitempty"`
}

// input is in as the ticket rules read it.
func (in ticketRequest) input() ticket.Input {
	out := ticket.Input{Title: in.Title, Price: string(in.Price)}
	if e := in.Event; e != nil {
		out.Event = &ticket.EventInput{Name: e.Name, Venue: e.Venue, City: e.City, StartsAt: e.StartsAt}
	}
	if s := in.Seat; s != nil {
		out.Seat = &ticket.SeatInput{Section: s.Section, Row: s.Row, Number: s.Number}
	}
	return out
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
	FaceValue json.Number `json:"faceValue,omitempty"`
	ResaleOf  string      `json:"resaleOf,omitempty"`
	Event     *eventBody  `json:"event,omitempty"`
	Seat      *seatBody   `json:"seat,omitempty"`
}

func responseOf(t ticket.Ticket) ticketResponse {
	resp := ticketResponse{
		ID: t.ID(), Title: t.Title(), Price: json.Number(t.Price().String()), UserID: t.UserID(),
		Status: string(t.Status()), Version: t.Version(), CreatedAt: httpx.TimeOf(t.CreatedAt()), OrderID: t.OrderID(),
		ResaleOf: t.ResaleOf(),
	}
	if t.ResaleOf() != "" {
		resp.FaceValue = json.Number(t.FaceValue().String())
	}
	if e := t.Event(); !e.IsZero() {
		resp.Event = &eventBody{Name: e.Name, Venue: e.Venue, City: e.City, StartsAt: e.StartsAt.Format(time.RFC3339Nano)}
	}
	if s := t.Seat(); s != (ticket.Seat{}) {
		resp.Seat = &seatBody{Section: s.Section, Row: s.Row, Number: s.Number}
	}
	return resp
}

// handleCreate lists a new ticket for the signed-in seller, or with
// resaleOf an e-ticket the seller holds, and emits ticket.created: 201 and
// the ticket at version 0. A resale is refused 400 for a code the seller
// holds no e-ticket of, an e-ticket revoked, used or listed already, and a
// price over its face value ("Resale price cannot exceed face value ($X)").
func (f *Function) handleCreate() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := sharedauth.FromContext(r.Context())
		var in ticketRequest
		if err := httpx.Decode(w, r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		create := f.create
		if in.ResaleOf != "" {
			create = f.resell
		}
		t, err := create(r.Context(), u.ID, in)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		httpx.JSON(w, http.StatusCreated, responseOf(t))
	})
}

// create lists the new ticket in for userID.
func (f *Function) create(ctx context.Context, userID string, in ticketRequest) (ticket.Ticket, error) {
	now := f.ft.Now()
	d, err := ticket.Parse(in.input(), now)
	if err != nil {
		return ticket.Ticket{}, err
	}
	t := ticket.New(userID, d, now)
	ev, err := createdEvent(t)
	if err != nil {
		return ticket.Ticket{}, err
	}
	if err := f.store.Create(ctx, t, ev); err != nil {
		return ticket.Ticket{}, fmt.Errorf("store.Create: %w", err)
	}
	return t, nil
}

// resell lists again the e-ticket in.ResaleOf that userID holds, by the
// rules of ticket.ETicket.Resell, against tickets' replica of it.
func (f *Function) resell(ctx context.Context, userID string, in ticketRequest) (ticket.Ticket, error) {
	rs, err := ticket.ParseResale(in.ResaleOf, in.Title, string(in.Price))
	if err != nil {
		return ticket.Ticket{}, err
	}
	t, err := f.store.CreateResale(ctx, rs.Code, func(e ticket.ETicket, live bool) (ticket.Ticket, []event.Event, error) {
		t, err := e.Resell(userID, rs, live, f.ft.Now())
		if err != nil {
			return t, nil, err
		}
		ev, err := createdEvent(t)
		return t, []event.Event{ev}, err
	})
	if err != nil {
		return ticket.Ticket{}, fmt.Errorf("store.CreateResale: %w", err)
	}
	return t, nil
}

// handleList answers a page of the tickets on sale, or with ?seller=me of
// the caller's own tickets in every status, newest first: 200 and a JSON
// array, with a Link rel="next" header when more follow; 400 for a bad
// ?limit, ?after or ?seller; 401 for ?seller=me signed out.
func (f *Function) handleList() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l, err := parseListing(r.URL.Query())
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		u, signedIn := sharedauth.FromContext(r.Context())
		if l.Mine && !signedIn {
			httpx.Error(w, r, sharedauth.ErrNotAuthorized)
			return
		}
		page, more, err := f.store.List(r.Context(), l, u.ID, f.ft.Now())
		if err != nil {
			httpx.Error(w, r, fmt.Errorf("store.List: %w", err))
			return
		}
		if l.Mine {
			w.Header().Set("Cache-Control", "no-store")
		}
		httpx.Page(w, page, responseOf, more, func(last ticket.Ticket) string { return nextLink(l, r.URL.Query(), last.ID()) })
	})
}

// searchParams are the query parameters of a search, which the next
// page's link repeats.
var searchParams = []string{"q", "city", "from", "to", "minPrice", "maxPrice", "sort"}

// parseListing reads a listing's query: its page, seller and search. Every
// bad parameter is reported at once.
func parseListing(q url.Values) (ticket.Listing, error) {
	return ticket.ParseQuery(q.Get("limit"), q.Get("after"), q.Get("seller"), ticket.Params{
		Q: q.Get("q"), City: q.Get("city"), From: q.Get("from"), To: q.Get("to"),
		MinPrice: q.Get("minPrice"), MaxPrice: q.Get("maxPrice"), Sort: q.Get("sort"),
	})
}

// nextLink is the Link header of the page after the ticket last.
func nextLink(l ticket.Listing, q url.Values, last string) string {
	if l.Mine {
		return paging.NextLink("/api/tickets", l.Limit, last, "seller="+ticket.SellerMe)
	}
	var search []string
	for _, k := range searchParams {
		if v := q.Get(k); v != "" {
			search = append(search, k+"="+url.QueryEscape(v))
		}
	}
	return paging.NextLink("/api/tickets", l.Limit, last, search...)
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
		now := f.ft.Now()
		d, ok := decodeDetails(w, r, now)
		if !ok {
			return
		}
		u, _ := sharedauth.FromContext(r.Context())
		t, err := f.store.Update(r.Context(), id, func(t *ticket.Ticket) (ticket.Outcome, []event.Event, error) {
			if err := t.Edit(u.ID, d, now); err != nil {
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

// handleDelete withdraws the seller's own listing on sale and emits
// ticket.updated: 200 and the ticket, withdrawn, at its next version (the
// same answer, unchanged, for a listing withdrawn already); 404 for an
// unknown ticket, 401 for anyone but its seller, 400 "Cannot withdraw a
// reserved ticket" while an order holds it or once it is sold. A resale
// listing withdrawn gives its e-ticket back to its holder.
func (f *Function) handleDelete() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		if !ticket.ValidID(id) {
			httpx.Error(w, r, ticket.ErrNotFound)
			return
		}
		u, _ := sharedauth.FromContext(r.Context())
		t, err := f.store.Update(r.Context(), id, func(t *ticket.Ticket) (ticket.Outcome, []event.Event, error) {
			out, err := t.WithdrawBy(u.ID)
			if err != nil {
				return ticket.Ignored, nil, err
			}
			return withUpdated(t, out)
		})
		if err != nil {
			httpx.Error(w, r, fmt.Errorf("store.Update: %w", err))
			return
		}
		httpx.JSON(w, http.StatusOK, responseOf(t))
	})
}

// errResaleOfEdit refuses an edit that names an e-ticket: only a new
// listing resells one.
var errResaleOfEdit = apperr.Field("resaleOf", "Only a new listing can resell an e-ticket")

// decodeDetails reads the title and price of a ticket request, or answers
// why they cannot be a ticket's, and ok is false.
func decodeDetails(w http.ResponseWriter, r *http.Request, now time.Time) (d ticket.Details, ok bool) {
	var in ticketRequest
	if err := httpx.Decode(w, r, &in); err != nil {
		httpx.Error(w, r, err)
		return d, false
	}
	if in.ResaleOf != "" {
		httpx.Error(w, r, errResaleOfEdit)
		return d, false
	}
	d, err := ticket.Parse(in.input(), now)
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
		FaceValue: t.FaceValue().Dollars(), ResaleOf: t.ResaleOf(), Event: eventOf(t), Seat: seatOf(t),
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
		FaceValue: t.FaceValue().Dollars(), ResaleOf: t.ResaleOf(), Event: eventOf(*t), Seat: seatOf(*t),
	})
	if err != nil {
		return out, nil, fmt.Errorf("eventing.NewTicketUpdated: %w", err)
	}
	return out, []event.Event{ev}, nil
}

// eventOf is the event t admits to, as ticket events carry it; nil when
// its seller said none.
func eventOf(t ticket.Ticket) *eventing.TicketEvent {
	e := t.Event()
	if e.IsZero() {
		return nil
	}
	return &eventing.TicketEvent{Name: e.Name, Venue: e.Venue, City: e.City, StartsAt: e.StartsAt}
}

// seatOf is t's seat, as ticket events carry it; nil when its seller said
// none.
func seatOf(t ticket.Ticket) *eventing.TicketSeat {
	s := t.Seat()
	if s == (ticket.Seat{}) {
		return nil
	}
	return &eventing.TicketSeat{Section: s.Section, Row: s.Row, Number: s.Number}
}
