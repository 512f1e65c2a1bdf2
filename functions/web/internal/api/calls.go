package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// credentials is the body of a sign-up and a sign-in.
type credentials struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// SignUp creates an account and signs s in to it: POST /api/users/signup.
// Input errors come back as an *Error with a problem per field.
func (c *Client) SignUp(ctx context.Context, s *Session, email, password string) (User, error) {
	var u User
	_, err := c.call(ctx, s, request{method: http.MethodPost, path: "/api/users/signup",
		body: credentials{Email: email, Password: password}}, &u)
	return u, err
}

// SignIn signs s in: POST /api/users/signin.
func (c *Client) SignIn(ctx context.Context, s *Session, email, password string) (User, error) {
	var u User
	_, err := c.call(ctx, s, request{method: http.MethodPost, path: "/api/users/signin",
		body: credentials{Email: email, Password: password}}, &u)
	return u, err
}

// SignOut revokes s's refresh token and clears its cookies:
// POST /api/users/signout.
func (c *Client) SignOut(ctx context.Context, s *Session) error {
	_, err := c.call(ctx, s, request{method: http.MethodPost, path: "/api/users/signout"}, nil)
	return err
}

// Refresh exchanges s's refresh cookie for a new session:
// POST /api/users/refresh. The other calls refresh by themselves when the
// access token has expired; Refresh is for a caller that wants it now. It
// refreshes at most once per session.
func (c *Client) Refresh(ctx context.Context, s *Session) error {
	return c.refresh(ctx, s)
}

// CurrentUser returns the user s is signed in as, or nil when it is signed
// out: GET /api/users/currentuser. An expired access token is refreshed
// first, and a session with no cookie at all is signed out without a call.
func (c *Client) CurrentUser(ctx context.Context, s *Session) (*User, error) {
	if s.SignedOut() {
		return nil, nil
	}
	var out struct {
		CurrentUser *User `json:"currentUser"`
	}
	req := request{method: http.MethodGet, path: "/api/users/currentuser", auth: true}
	if _, err := c.call(ctx, s, req, &out); err != nil {
		return nil, err
	}
	if out.CurrentUser == nil && s.HasAccess() {
		// An access token the API no longer accepts (expired, or signed
		// with a rotated key) reads as signed out rather than 401.
		switch err := c.refresh(ctx, s); {
		case err == nil:
			if _, err := c.call(ctx, s, req, &out); err != nil {
				return nil, err
			}
		case StatusOf(err) != http.StatusUnauthorized:
			return nil, err
		}
	}
	return out.CurrentUser, nil
}

// Tickets returns a page of at most limit tickets on sale that search
// selects, in its order (newest first by default), starting after the
// cursor after (empty for the first page): GET /api/tickets. A search the
// API refuses is an *Error with a problem per parameter.
func (c *Client) Tickets(ctx context.Context, s *Session, search Search, after string, limit int) (TicketPage, error) {
	q := listQuery(after, limit, false)
	for k, vs := range search.Values() {
		q[k] = vs
	}
	return c.tickets(ctx, s, q)
}

// MyTickets returns a page of s's own tickets in every status, newest
// first: GET /api/tickets?seller=me.
func (c *Client) MyTickets(ctx context.Context, s *Session, after string, limit int) (TicketPage, error) {
	return c.tickets(ctx, s, listQuery(after, limit, true))
}

func listQuery(after string, limit int, mine bool) url.Values {
	q := url.Values{}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if after != "" {
		q.Set("after", after)
	}
	if mine {
		q.Set("seller", "me")
	}
	return q
}

func (c *Client) tickets(ctx context.Context, s *Session, q url.Values) (TicketPage, error) {
	var page TicketPage
	req := request{method: http.MethodGet, path: "/api/tickets?" + q.Encode(), auth: q.Get("seller") != ""}
	h, err := c.call(ctx, s, req, &page.Tickets)
	if err != nil {
		return TicketPage{}, err
	}
	page.Next = nextCursor(h.Values("Link"))
	return page, nil
}

// nextCursor returns the after parameter of the Link rel="next" among
// links, or "" when there is none.
func nextCursor(links []string) string {
	for _, header := range links {
		for link := range strings.SplitSeq(header, ",") {
			target, params, ok := strings.Cut(strings.TrimSpace(link), ";")
			if !ok || !isNext(params) {
				continue
			}
			target = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(target), "<"), ">")
			u, err := url.Parse(target)
			if err != nil {
				continue
			}
			return u.Query().Get("after")
		}
	}
	return ""
}

// isNext reports whether a link's parameters hold rel="next".
func isNext(params string) bool {
	for p := range strings.SplitSeq(params, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		rels := strings.Fields(strings.Trim(v, `"`))
		if strings.EqualFold(k, "rel") && slices.ContainsFunc(rels, func(r string) bool { return strings.EqualFold(r, "next") }) {
			return true
		}
	}
	return false
}

// Ticket returns one ticket in any status: GET /api/tickets/{id}.
func (c *Client) Ticket(ctx context.Context, s *Session, id string) (Ticket, error) {
	var t Ticket
	_, err := c.call(ctx, s, request{method: http.MethodGet, path: "/api/tickets/" + url.PathEscape(id)}, &t)
	return t, err
}

// ticketBody is the body of a create and an edit. The price goes as a
// JSON number when it reads as one, and as typed otherwise, so that the API
// names what is wrong with it.
type ticketBody struct {
	Title string          `json:"title"`
	Price json.RawMessage `json:"price"`
	Event *EventInput     `json:"event,omitempty"`
	Seat  *Seat           `json:"seat,omitempty"`
}

func bodyOf(in TicketInput) ticketBody {
	return ticketBody{Title: in.Title, Price: priceOf(in.Price), Event: in.Event, Seat: in.Seat}
}

// priceOf is a price as typed, for the API to read.
func priceOf(typed string) json.RawMessage {
	price := strings.TrimSpace(typed)
	var raw json.RawMessage
	switch {
	case price == "":
		raw = json.RawMessage("null")
	case json.Valid([]byte(price)) && isNumber(price):
		raw = json.RawMessage(price)
	default:
		raw, _ = json.Marshal(price) // a string always encodes
	}
	return raw
}

// isNumber reports whether s, valid JSON, is a number rather than another
// value (true, null, "x", [1]).
func isNumber(s string) bool {
	c := s[0]
	return c == '-' || (c >= '0' && c <= '9')
}

// CreateTicket lists a new ticket for s's user: POST /api/tickets.
func (c *Client) CreateTicket(ctx context.Context, s *Session, in TicketInput) (Ticket, error) {
	var t Ticket
	_, err := c.call(ctx, s, request{method: http.MethodPost, path: "/api/tickets", body: bodyOf(in), auth: true}, &t)
	return t, err
}

// UpdateTicket edits the title, price, event and seat of s's user's
// ticket (a nil Event or Seat keeps the ticket's):
// PUT /api/tickets/{id}.
func (c *Client) UpdateTicket(ctx context.Context, s *Session, id string, in TicketInput) (Ticket, error) {
	var t Ticket
	_, err := c.call(ctx, s, request{method: http.MethodPut, path: "/api/tickets/" + url.PathEscape(id),
		body: bodyOf(in), auth: true}, &t)
	return t, err
}

// Orders returns s's user's orders, newest first: GET /api/orders.
func (c *Client) Orders(ctx context.Context, s *Session) ([]Order, error) {
	var out []Order
	_, err := c.call(ctx, s, request{method: http.MethodGet, path: "/api/orders", auth: true}, &out)
	return out, err
}

// Order returns one of s's user's orders: GET /api/orders/{id}.
func (c *Client) Order(ctx context.Context, s *Session, id string) (Order, error) {
	var o Order
	_, err := c.call(ctx, s, request{method: http.MethodGet, path: "/api/orders/" + url.PathEscape(id), auth: true}, &o)
	return o, err
}

// HeldOrder is Order for a session the API has just accepted, to learn
// whether s's user is the order's buyer: a 401 is then the API refusing
// anyone else, and no refresh is tried.
func (c *Client) HeldOrder(ctx context.Context, s *Session, id string) (Order, error) {
	var o Order
	_, err := c.call(ctx, s, request{method: http.MethodGet, path: "/api/orders/" + url.PathEscape(id), auth: true, accepted: true}, &o)
	return o, err
}

// CreateOrder orders a ticket for s's user, reserving it:
// POST /api/orders.
func (c *Client) CreateOrder(ctx context.Context, s *Session, ticketID string) (Order, error) {
	var o Order
	_, err := c.call(ctx, s, request{method: http.MethodPost, path: "/api/orders",
		body: map[string]string{"ticketId": ticketID}, auth: true}, &o)
	return o, err
}

// CancelOrder cancels one of s's user's orders: DELETE /api/orders/{id}.
func (c *Client) CancelOrder(ctx context.Context, s *Session, id string) error {
	_, err := c.call(ctx, s, request{method: http.MethodDelete, path: "/api/orders/" + url.PathEscape(id), auth: true}, nil)
	return err
}

// Pay charges a card token (a Stripe token such as "tok_visa") for one of
// s's user's orders: POST /api/payments. A declined card is an *Error
// with status 402.
func (c *Client) Pay(ctx context.Context, s *Session, orderID, token string) (Payment, error) {
	var p Payment
	_, err := c.call(ctx, s, request{method: http.MethodPost, path: "/api/payments",
		body: map[string]string{"orderId": orderID, "token": token}, auth: true}, &p)
	return p, err
}

// CreateIntent starts a Stripe PaymentIntent for one of s's user's orders,
// for the Payment Element: POST /api/payments/intents.
func (c *Client) CreateIntent(ctx context.Context, s *Session, orderID string) (Intent, error) {
	var in Intent
	_, err := c.call(ctx, s, request{method: http.MethodPost, path: "/api/payments/intents",
		body: map[string]string{"orderId": orderID}, auth: true}, &in)
	return in, err
}

// ETickets returns a page of at most limit of s's user's e-tickets, newest
// first, starting after the cursor after (empty for the first page):
// GET /api/etickets.
func (c *Client) ETickets(ctx context.Context, s *Session, after string, limit int) (ETicketPage, error) {
	var page ETicketPage
	req := request{method: http.MethodGet, path: "/api/etickets?" + listQuery(after, limit, false).Encode(), auth: true}
	h, err := c.call(ctx, s, req, &page.ETickets)
	if err != nil {
		return ETicketPage{}, err
	}
	page.Next = nextCursor(h.Values("Link"))
	return page, nil
}

// ETicket returns the e-ticket of code, which s's user holds or issued:
// GET /api/etickets/{code}. Anyone else's is not found (404).
func (c *Client) ETicket(ctx context.Context, s *Session, code string) (ETicket, error) {
	var e ETicket
	_, err := c.call(ctx, s, request{method: http.MethodGet, path: "/api/etickets/" + url.PathEscape(code), auth: true}, &e)
	return e, err
}

// CheckIn checks in the e-ticket of code for s's user, its issuer:
// POST /api/checkins. A code checked in before is an *Error with status
// 409 whose message says when; a code that is none is 400 or 404; a
// revoked e-ticket is 400; anyone but the issuer is refused with 401.
func (c *Client) CheckIn(ctx context.Context, s *Session, code string) (CheckIn, error) {
	var ci CheckIn
	_, err := c.call(ctx, s, request{method: http.MethodPost, path: "/api/checkins",
		body: map[string]string{"code": code}, auth: true}, &ci)
	return ci, err
}

// resaleBody is the body of a resale listing: the e-ticket's code and the
// price; the title is the e-ticket's.
type resaleBody struct {
	ResaleOf string          `json:"resaleOf"`
	Price    json.RawMessage `json:"price"`
}

// Resell lists again, at price (as typed), the e-ticket of code that s's
// user holds: POST /api/tickets with resaleOf. A price over the face
// value, or an e-ticket revoked, used or listed already, is an *Error
// with status 400.
func (c *Client) Resell(ctx context.Context, s *Session, code, price string) (Ticket, error) {
	var t Ticket
	_, err := c.call(ctx, s, request{method: http.MethodPost, path: "/api/tickets",
		body: resaleBody{ResaleOf: code, Price: priceOf(price)}, auth: true}, &t)
	return t, err
}

// WithdrawTicket takes s's user's listing id off sale:
// DELETE /api/tickets/{id}. A listing an order holds is refused 400.
func (c *Client) WithdrawTicket(ctx context.Context, s *Session, id string) (Ticket, error) {
	var t Ticket
	_, err := c.call(ctx, s, request{method: http.MethodDelete, path: "/api/tickets/" + url.PathEscape(id), auth: true}, &t)
	return t, err
}

// StartOnboarding returns the URL of a Stripe Connect onboarding link for
// s's user, whose connected account is created on the first call:
// POST /api/payouts/onboarding.
func (c *Client) StartOnboarding(ctx context.Context, s *Session) (string, error) {
	var out struct {
		URL string `json:"url"`
	}
	_, err := c.call(ctx, s, request{method: http.MethodPost, path: "/api/payouts/onboarding", auth: true}, &out)
	return out.URL, err
}

// PayoutAccount returns s's user's connected account:
// GET /api/payouts/account. Before the first onboarding it is an *Error
// with status 404.
func (c *Client) PayoutAccount(ctx context.Context, s *Session) (ConnectedAccount, error) {
	var a ConnectedAccount
	_, err := c.call(ctx, s, request{method: http.MethodGet, path: "/api/payouts/account", auth: true}, &a)
	return a, err
}

// Payouts returns the newest of s's user's payouts, at most 100:
// GET /api/payouts.
func (c *Client) Payouts(ctx context.Context, s *Session) ([]Payout, error) {
	var out []Payout
	_, err := c.call(ctx, s, request{method: http.MethodGet, path: "/api/payouts", auth: true}, &out)
	return out, err
}
