package etickets

import (
	"fmt"
	"net/http"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/functions/etickets/internal/eticket"
	"github.com/buytickets/buytickets/functions/etickets/internal/qr"
	"github.com/buytickets/buytickets/shared/apperr"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/paging"
	"github.com/buytickets/buytickets/shared/store"
)

// eticketResponse is an e-ticket as the API shows it (DESIGN §3).
type eticketResponse struct {
	Code        string      `json:"code"`
	OrderID     string      `json:"orderId"`
	TicketID    string      `json:"ticketId"`
	Title       string      `json:"title"`
	Status      string      `json:"status"`
	IssuedAt    httpx.Time  `json:"issuedAt"`
	CheckedInAt *httpx.Time `json:"checkedInAt,omitempty"`
	// Event and Seat are what it admits to, when its listing said.
	Event *eventing.TicketEvent `json:"event,omitempty"`
	Seat  *eventing.TicketSeat  `json:"seat,omitempty"`
}

func responseOf(e *eticket.ETicket) eticketResponse {
	s := e.Sale()
	resp := eticketResponse{
		Code: e.Code(), OrderID: s.OrderID, TicketID: s.TicketID, Title: s.Title,
		Status: string(e.Status()), IssuedAt: httpx.TimeOf(e.IssuedAt()), Event: eventOf(s), Seat: seatOf(s),
	}
	if at := e.CheckedInAt(); !at.IsZero() {
		t := httpx.TimeOf(at)
		resp.CheckedInAt = &t
	}
	return resp
}

// listing is the page GET /api/etickets accepts: ?after names an order.
var listing = paging.Rule{
	DefaultLimit: 100, MaxLimit: 100, ValidAfter: store.ValidID,
	BadAfter: apperr.Field("after", "After must be the order id of an e-ticket of the previous page"),
}

// handleList answers a page of the signed-in user's e-tickets, newest
// first: 200 with an array, empty when there are none, and a Link
// rel="next" header when more follow; 400 for a bad ?limit or ?after.
func (f *Function) handleList() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		holder, _ := sharedauth.FromContext(r.Context())
		page, bad := listing.Query(r.URL.Query())
		if bad != nil {
			httpx.Error(w, r, bad)
			return
		}
		held, more, err := f.store.Held(r.Context(), holder.ID, page.Limit, page.After)
		if err != nil {
			httpx.Error(w, r, fmt.Errorf("store.Held: %w", err))
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		httpx.Page(w, held, responseOf, more, func(last *eticket.ETicket) string {
			return paging.NextLink("/api/etickets", page.Limit, last.Sale().OrderID)
		})
	})
}

// handleShow answers the e-ticket of the path's code to its holder or
// issuer: 404 for anyone else, as for a code that is no e-ticket.
func (f *Function) handleShow() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e, ok := f.visible(w, r)
		if !ok {
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		httpx.JSON(w, http.StatusOK, responseOf(e))
	})
}

// handleQR answers the path's code as a QR symbol in SVG, to whoever may
// see its e-ticket.
func (f *Function) handleQR() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e, ok := f.visible(w, r)
		if !ok {
			return
		}
		svg, err := qr.SVG(e.Code(), "E-ticket for "+e.Sale().Title)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "image/svg+xml")
		w.Header().Set("Cache-Control", "private, max-age=3600")
		w.Write(svg)
	})
}

// visible returns the e-ticket of r's path code if the signed-in user may
// see it; otherwise it answers 404 and ok is false.
func (f *Function) visible(w http.ResponseWriter, r *http.Request) (*eticket.ETicket, bool) {
	u, _ := sharedauth.FromContext(r.Context())
	orderID, code, err := eticket.Verify(f.signer.Public(), r.PathValue("code"))
	if err != nil {
		httpx.Error(w, r, eticket.ErrNotFound.With(err))
		return nil, false
	}
	e, err := f.store.Get(r.Context(), orderID)
	if err == nil && (e.Code() != code || !e.CanSee(u.ID)) {
		err = eticket.ErrNotFound
	}
	if err != nil {
		httpx.Error(w, r, fmt.Errorf("store.Get: %w", err))
		return nil, false
	}
	return e, true
}

// handleKey answers the public key that verifies codes, as a JWK (RFC
// 8037), for door scanners that check codes offline.
func (f *Function) handleKey() http.Handler {
	key := jose.JSONWebKey{Key: f.signer.Public(), Algorithm: string(jose.EdDSA), Use: "sig"}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		httpx.JSON(w, http.StatusOK, key)
	})
}

// checkinRequest is the body of a check-in.
type checkinRequest struct {
	Code string `json:"code"`
}

// checkinResponse is a check-in done.
type checkinResponse struct {
	Code        string     `json:"code"`
	CheckedInAt httpx.Time `json:"checkedInAt"`
}

// errNoCode refuses a check-in that names no code.
var errNoCode = apperr.Field("code", "Code is required")

// handleCheckIn checks in the e-ticket of the body's code for its issuer
// and emits eticket.checkedin: 201 the first time; 409 "Already checked in
// at <time>" after; 400 for a code that is none (tampered, forged, mistyped),
// a revoked e-ticket, or one listed for resale ("This e-ticket is listed
// for resale"); 404 for a genuine code of no e-ticket; 401 for
// anyone but the issuer. Of concurrent check-ins of one code, one wins.
func (f *Function) handleCheckIn() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := sharedauth.FromContext(r.Context())
		var req checkinRequest
		if err := httpx.Decode(w, r, &req); err != nil {
			httpx.Error(w, r, err)
			return
		}
		if req.Code == "" {
			httpx.Error(w, r, errNoCode)
			return
		}
		orderID, code, err := eticket.Verify(f.signer.Public(), req.Code)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		e, err := f.store.CheckIn(r.Context(), orderID, func(e *eticket.ETicket) error {
			if e.Code() != code {
				return eticket.ErrNotFound
			}
			return e.CheckIn(u.ID, f.ft.Now())
		}, checkedInEvents)
		if err != nil {
			httpx.Error(w, r, fmt.Errorf("store.CheckIn: %w", err))
			return
		}
		httpx.JSON(w, http.StatusCreated, checkinResponse{Code: e.Code(), CheckedInAt: httpx.TimeOf(e.CheckedInAt())})
	})
}
