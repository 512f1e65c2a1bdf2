package orders

import (
	"fmt"
	"net/http"

	"github.com/buytickets/buytickets/functions/orders/internal/order"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
	"github.com/buytickets/buytickets/shared/httpx"
)

// This file is support's part of orders: an admin reads any order, and
// its history, from what orders holds of it.

// stepResponse is one step of an order's history as the API answers it:
// when, what, and a detail worth knowing (the ticket's title and price
// when placed, when the reservation ends, why it was cancelled).
type stepResponse struct {
	At     *httpx.Time `json:"at,omitempty"`
	What   string      `json:"what"`
	Detail string      `json:"detail,omitempty"`
	// TraceID names the trace that placed the order, on placed: its
	// log lines and spans, and those of every function it reached.
	TraceID string `json:"traceId,omitempty"`
}

func newStepResponse(s order.Step) stepResponse {
	resp := stepResponse{What: string(s.What), TraceID: s.Trace}
	if !s.At.IsZero() {
		at := httpx.TimeOf(s.At)
		resp.At = &at
	}
	switch s.What {
	case order.StepPlaced:
		resp.Detail = fmt.Sprintf("%s at $%d.%02d", s.Title, s.Price/100, s.Price%100)
	case order.StepReserved:
		resp.Detail = "until " + s.Until.UTC().Format(httpx.TimeFormat)
	case order.StepCancelled:
		resp.Detail = string(s.Reason)
	}
	return resp
}

// visibleOrder returns the order of r's path when the signed-in user is
// its buyer or an admin; otherwise it answers 404 for an order that is
// not, 401 for anyone else, and ok is false.
func (f *Function) visibleOrder(w http.ResponseWriter, r *http.Request) (o *order.Order, ok bool) {
	id, ok := pathID(w, r)
	if !ok {
		return nil, false
	}
	o, err := f.store.Order(r.Context(), id)
	if err != nil {
		httpx.Error(w, r, fmt.Errorf("store.Order: %w", err))
		return nil, false
	}
	u, _ := sharedauth.FromContext(r.Context())
	if err := o.CheckOwner(u.ID); err != nil && !u.Admin() {
		httpx.Error(w, r, err)
		return nil, false
	}
	return o, true
}

// handleHistory answers an order's history to an admin, in time order
// (order.Order.History): 200 [{at,what,detail?}]; 404 for an unknown or
// malformed id; 401 for anyone but an admin, its buyer included.
func (f *Function) handleHistory() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o, ok := f.visibleOrder(w, r)
		if !ok {
			return
		}
		steps := o.History()
		resp := make([]stepResponse, 0, len(steps))
		for _, s := range steps {
			resp = append(resp, newStepResponse(s))
		}
		w.Header().Set("Cache-Control", "no-store")
		httpx.JSON(w, http.StatusOK, resp)
	})
}
