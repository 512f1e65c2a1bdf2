package api

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// The calls of admins: finding an account, banning it and lifting its
// ban, and reading what each function holds of an order, for support.
// The API answers them to admins only (401 to anyone else).

// Account is an account as an admin's lookup shows it:
// GET /api/users?email=.
type Account struct {
	ID          string     `json:"id"`
	Email       string     `json:"email"`
	Role        string     `json:"role"`
	Banned      bool       `json:"banned"`
	BanReason   string     `json:"banReason,omitempty"`
	BannedUntil *time.Time `json:"bannedUntil,omitempty"`
	CreatedAt   time.Time  `json:"createdAt"`
}

// FindAccounts returns the account of email, as a list of one, or none:
// GET /api/users?email=. A malformed email is an *Error with status 400
// about the field email.
func (c *Client) FindAccounts(ctx context.Context, s *Session, email string) ([]Account, error) {
	var out []Account
	q := url.Values{"email": {email}}
	_, err := c.call(ctx, s, request{method: http.MethodGet, path: "/api/users?" + q.Encode(), auth: true}, &out)
	return out, err
}

// banBody is the body of a ban; Until is RFC 3339, or absent for a ban
// without end.
type banBody struct {
	Reason string `json:"reason"`
	Until  string `json:"until,omitempty"`
}

// Ban bans the account id for reason until the RFC 3339 time until, or
// without end when until is empty: POST /api/users/{id}/ban. Refusals
// (no reason, an end in the past, the admin's own account) are an *Error
// with status 400, about the field reason or until when they are.
func (c *Client) Ban(ctx context.Context, s *Session, id, reason, until string) error {
	_, err := c.call(ctx, s, request{method: http.MethodPost, path: "/api/users/" + url.PathEscape(id) + "/ban",
		body: banBody{Reason: reason, Until: until}, auth: true}, nil)
	return err
}

// Unban lifts the ban of the account id: DELETE /api/users/{id}/ban. An
// account not banned is an *Error with status 400.
func (c *Client) Unban(ctx context.Context, s *Session, id string) error {
	_, err := c.call(ctx, s, request{method: http.MethodDelete, path: "/api/users/" + url.PathEscape(id) + "/ban", auth: true}, nil)
	return err
}

// OrderStep is one step of an order's history as orders tells it: when
// (nil when orders does not know), what ("placed", "reserved",
// "completed", "cancelled") and a detail (the ticket and its price, the
// reservation's end, the reason of a cancellation).
type OrderStep struct {
	At     *time.Time `json:"at,omitempty"`
	What   string     `json:"what"`
	Detail string     `json:"detail,omitempty"`
	// TraceID names the trace that placed the order, on placed.
	TraceID string `json:"traceId,omitempty"`
}

// The steps of an order's history.
const (
	StepPlaced    = "placed"
	StepReserved  = "reserved"
	StepCompleted = "completed"
	StepCancelled = "cancelled"
)

// OrderHistory returns the history of any order, in time order:
// GET /api/orders/{id}/history.
func (c *Client) OrderHistory(ctx context.Context, s *Session, id string) ([]OrderStep, error) {
	var out []OrderStep
	_, err := c.call(ctx, s, request{method: http.MethodGet, path: "/api/orders/" + url.PathEscape(id) + "/history", auth: true}, &out)
	return out, err
}

// OrderPayment is a payment of an order as support reads it: amount in
// cents, and its refund, if any.
type OrderPayment struct {
	ID        string    `json:"id"`
	StripeID  string    `json:"stripeId"`
	Amount    int64     `json:"amount"`
	Currency  string    `json:"currency"`
	CreatedAt time.Time `json:"createdAt"`
	Refund    *Refund   `json:"refund,omitempty"`
}

// Refund is what is owed back on a payment: why, when it was made (At),
// or since when it is owed (DueAt).
type Refund struct {
	Reason string     `json:"reason"`
	At     *time.Time `json:"at,omitempty"`
	DueAt  *time.Time `json:"dueAt,omitempty"`
}

// OrderPayments returns the payments of any order, oldest first:
// GET /api/payments?orderId=.
func (c *Client) OrderPayments(ctx context.Context, s *Session, orderID string) ([]OrderPayment, error) {
	var out []OrderPayment
	q := url.Values{"orderId": {orderID}}
	_, err := c.call(ctx, s, request{method: http.MethodGet, path: "/api/payments?" + q.Encode(), auth: true}, &out)
	return out, err
}

// OrderETicket is the e-ticket of an order as support reads it.
type OrderETicket struct {
	ETicket
	RevokedAt    *time.Time `json:"revokedAt,omitempty"`
	RevokeReason string     `json:"revokeReason,omitempty"`
}

// OrderETickets returns the e-ticket of any order, as a list of one, or
// none: GET /api/etickets?orderId=.
func (c *Client) OrderETickets(ctx context.Context, s *Session, orderID string) ([]OrderETicket, error) {
	var out []OrderETicket
	q := url.Values{"orderId": {orderID}}
	_, err := c.call(ctx, s, request{method: http.MethodGet, path: "/api/etickets?" + q.Encode(), auth: true}, &out)
	return out, err
}
