package etickets

import (
	"fmt"
	"net/http"

	"github.com/buytickets/buytickets/functions/etickets/internal/eticket"
	"github.com/buytickets/buytickets/shared/apperr"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/store"
)

// This file is support's part of etickets: an admin reads the e-ticket of
// an order, which the store keeps by order id.

// adminETicket is an e-ticket as support reads it: as its holder sees it,
// and when and why it was revoked.
type adminETicket struct {
	eticketResponse
	RevokedAt    *httpx.Time `json:"revokedAt,omitempty"`
	RevokeReason string      `json:"revokeReason,omitempty"`
}

func newAdminETicket(e *eticket.ETicket) adminETicket {
	resp := adminETicket{eticketResponse: responseOf(e)}
	if at, reason := e.RevokedAt(); !at.IsZero() {
		t := httpx.TimeOf(at)
		resp.RevokedAt, resp.RevokeReason = &t, reason
	}
	return resp
}

// byOrder sends the requests of GET /api/etickets that name an order
// (?orderId=) to ofOrder, and the others to list.
func byOrder(ofOrder, list http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("orderId") {
			ofOrder.ServeHTTP(w, r)
			return
		}
		list.ServeHTTP(w, r)
	})
}

// errNoOrderID refuses ?orderId= naming no order.
var errNoOrderID = apperr.Field("orderId", "Order id is required")

// handleOfOrder answers GET /api/etickets?orderId= to an admin: the
// order's e-ticket as a list of one, or an empty list when it has none.
// 400 for an empty orderId; 401 for anyone but an admin.
func (f *Function) handleOfOrder() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		orderID := r.URL.Query().Get("orderId")
		if orderID == "" {
			httpx.Error(w, r, errNoOrderID)
			return
		}
		resp := []adminETicket{}
		if store.ValidID(orderID) {
			e, err := f.store.Get(r.Context(), orderID)
			switch {
			case apperr.Is(err, apperr.NotFound):
			case err != nil:
				httpx.Error(w, r, fmt.Errorf("store.Get: %w", err))
				return
			default:
				resp = append(resp, newAdminETicket(e))
			}
		}
		w.Header().Set("Cache-Control", "no-store")
		httpx.JSON(w, http.StatusOK, resp)
	})
}
