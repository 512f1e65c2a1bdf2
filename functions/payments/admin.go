package payments

import (
	"fmt"
	"net/http"

	"github.com/buytickets/buytickets/functions/payments/internal/payment"
	"github.com/buytickets/buytickets/shared/apperr"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/store"
)

// This file is support's part of payments: an admin reads the payments of
// an order, and their refunds.

// errNoOrderID refuses a listing of payments that names no order.
var errNoOrderID = apperr.Field("orderId", "Order id is required")

// adminPayment is a payment as support reads it: amount in cents.
type adminPayment struct {
	ID        string       `json:"id"`
	StripeID  string       `json:"stripeId"`
	Amount    int64        `json:"amount"`
	Currency  string       `json:"currency"`
	CreatedAt httpx.Time   `json:"createdAt"`
	Refund    *adminRefund `json:"refund,omitempty"`
}

// adminRefund is what is owed back on a payment: why, and when it was made
// (at) or, while it is still owed, since when (dueAt).
type adminRefund struct {
	Reason string      `json:"reason"`
	At     *httpx.Time `json:"at,omitempty"`
	DueAt  *httpx.Time `json:"dueAt,omitempty"`
}

func newAdminPayment(p payment.Payment) adminPayment {
	resp := adminPayment{
		ID: p.ID, StripeID: p.StripeID, Amount: int64(p.Amount), Currency: p.Currency, CreatedAt: httpx.TimeOf(p.CreatedAt),
	}
	if r := p.Refund; r.Reason != "" {
		resp.Refund = &adminRefund{Reason: string(r.Reason)}
		if !r.At.IsZero() {
			at := httpx.TimeOf(r.At)
			resp.Refund.At = &at
		}
		if !r.DueAt.IsZero() {
			due := httpx.TimeOf(r.DueAt)
			resp.Refund.DueAt = &due
		}
	}
	return resp
}

// handleList answers GET /api/payments?orderId= to an admin: the order's
// payments, oldest first, each with its refund; an empty list for an order
// payments holds none of. 400 without orderId; 401 for anyone but an
// admin.
func (f *Function) handleList() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		orderID := r.URL.Query().Get("orderId")
		if orderID == "" {
			httpx.Error(w, r, errNoOrderID)
			return
		}
		resp := []adminPayment{}
		if store.ValidID(orderID) {
			payments, err := f.store.PaymentsOf(r.Context(), orderID)
			if err != nil {
				httpx.Error(w, r, fmt.Errorf("store.PaymentsOf: %w", err))
				return
			}
			for _, p := range payments {
				resp = append(resp, newAdminPayment(p))
			}
		}
		w.Header().Set("Cache-Control", "no-store")
		httpx.JSON(w, http.StatusOK, resp)
	})
}
