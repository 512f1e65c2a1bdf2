package web

import (
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/buytickets/buytickets/functions/web/internal/api"
	"github.com/buytickets/buytickets/shared/logging"
)

// stripeJS is Stripe.js, which Stripe requires be loaded from its own host.
const stripeJS = "https://js.stripe.com/v3/"

// testCard is a Stripe test token the test-card form offers.
type testCard struct {
	Token, Label string
}

// testCards are the cards of the test-card form, shown when no Stripe
// publishable key is set (stripe-mock, or Stripe's test mode).
var testCards = []testCard{
	{"tok_visa", "Visa 4242 4242 4242 4242"},
	{"tok_mastercard", "Mastercard 5555 5555 5555 4444"},
	{"tok_chargeDeclined", "Visa 4000 0000 0000 0002 (declined)"},
}

// handlePurchase orders a ticket and shows the order, which holds the
// ticket while the buyer pays; a refusal shows the ticket with the reason.
func (f *Function) handlePurchase() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ticketID := r.PostFormValue("ticketId")
		v, ok := f.visitOf(w, r, ticketID)
		if !ok {
			return
		}
		v.back = "/tickets/" + ticketID
		o, err := f.createOrder(v, ticketID)
		switch {
		case api.StatusOf(err) == http.StatusNotFound:
			f.showTicketRefused(v, ticketID, form{Messages: []string{"This ticket was listed a moment ago and cannot be ordered yet. Please try again in a moment."}})
		case isRefusal(err):
			f.showTicketRefused(v, ticketID, refusedForm(err, nil))
		case err != nil:
			v.fail(err)
		default:
			v.redirect("/orders/"+o.ID, "")
		}
	})
}

// justListedWaits are the pauses between tries of an order for a ticket
// the shop lists but orders does not know yet: about 2.5 seconds in all.
var justListedWaits = []time.Duration{20 * time.Millisecond, 40 * time.Millisecond, 80 * time.Millisecond,
	160 * time.Millisecond, 320 * time.Millisecond, 640 * time.Millisecond, 1280 * time.Millisecond}

// createOrder orders ticketID for the visitor. Orders learns of a new
// listing through ticket.created, a moment after the seller's 201 (longer
// under load), and answers 404 until then: when the shop does list the
// ticket, the order is tried again for a moment, so that a buyer who
// clicks Buy on a fresh listing gets it rather than an error. A 404 for a
// ticket not found by the shop either is answered at once.
func (f *Function) createOrder(v *visit, ticketID string) (api.Order, error) {
	o, err := f.api.CreateOrder(v.ctx(), v.session, ticketID)
	if api.StatusOf(err) != http.StatusNotFound {
		return o, err
	}
	if _, lerr := f.api.Ticket(v.ctx(), v.session, ticketID); lerr != nil {
		return o, err
	}
	for _, wait := range justListedWaits {
		select {
		case <-v.ctx().Done():
			return o, err
		case <-time.After(wait):
		}
		if o, err = f.api.CreateOrder(v.ctx(), v.session, ticketID); api.StatusOf(err) != http.StatusNotFound {
			return o, err
		}
	}
	return o, err
}

// handleOrders shows the signed-in user's orders with their state.
func (f *Function) handleOrders() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := f.visit(w, r)
		if _, ok := v.requireUser(); !ok {
			return
		}
		orders, err := f.api.Orders(v.ctx(), v.session)
		if err != nil {
			v.fail(err)
			return
		}
		now := v.now()
		views := make([]orderView, 0, len(orders))
		for _, o := range orders {
			views = append(views, viewOrder(o, visitorZone(v.r), now))
		}
		v.render(http.StatusOK, "orders", page{Title: "My orders", Content: views})
	})
}

// handleOrder shows an order: while it can be paid, the countdown to its
// expiry, the pay form and the Cancel button; after, whether it was paid,
// cancelled or expired.
func (f *Function) handleOrder() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, id, ok := f.visitID(w, r, "")
		if !ok {
			return
		}
		if _, ok := v.requireUser(); !ok {
			return
		}
		o, ok := f.order(v, id)
		if !ok {
			return
		}
		f.renderOrder(v, http.StatusOK, o, "", r.URL.Query().Get("payment") == "received")
	})
}

// handleCancel cancels an order and shows it; a refusal (a paid order)
// shows the order with the reason.
func (f *Function) handleCancel() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, id, ok := f.visitID(w, r, "/orders/")
		if !ok {
			return
		}
		f.showOrderChanged(v, id, f.api.CancelOrder(v.ctx(), v.session, id), "", "cancelled")
	})
}

// handlePay charges the chosen test card for an order and shows the order
// while the payment is confirmed; a declined card or another refusal shows
// the order with the reason, so the buyer can try again.
func (f *Function) handlePay() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, id, ok := f.visitID(w, r, "/orders/")
		if !ok {
			return
		}
		token := r.PostFormValue("token")
		if !slices.ContainsFunc(testCards, func(c testCard) bool { return c.Token == token }) {
			f.showOrderRefused(v, id, &api.Error{Status: http.StatusBadRequest,
				Problems: []api.Problem{{Message: "Choose a card to pay with."}}})
			return
		}
		_, err := f.api.Pay(v.ctx(), v.session, id, token)
		f.showOrderChanged(v, id, err, "?payment=received", "")
	})
}

// showOrderChanged shows how a change to order id went: err's refusal on
// the order's page, err's failure, or else the order's page (with query)
// flashing flash.
func (f *Function) showOrderChanged(v *visit, id string, err error, query, flash string) {
	switch {
	case isRefusal(err):
		f.showOrderRefused(v, id, err)
	case err != nil:
		v.fail(err)
	default:
		v.redirect("/orders/"+id+query, flash)
	}
}

// order fetches order id for the signed-in user, or shows why it cannot:
// someone else's order is not found, as an unknown one is.
func (f *Function) order(v *visit, id string) (api.Order, bool) {
	o, err := f.api.Order(v.ctx(), v.session, id)
	if api.StatusOf(err) == http.StatusUnauthorized && v.user != nil && v.session.HasAccess() {
		v.notFound()
		return api.Order{}, false
	}
	if err != nil {
		v.fail(err)
		return api.Order{}, false
	}
	return o, true
}

// showOrderRefused shows order id again, 400, with the reason err gives.
func (f *Function) showOrderRefused(v *visit, id string, err error) {
	if _, ok := v.requireUser(); !ok {
		return
	}
	o, ok := f.order(v, id)
	if !ok {
		return
	}
	refusal := "Something went wrong. Please try again."
	if fm := refusedForm(err, nil); len(fm.Messages) > 0 {
		refusal = fm.Messages[0]
	}
	f.renderOrder(v, http.StatusBadRequest, o, refusal, false)
}

// orderPage is the content of an order's page.
type orderPage struct {
	Order orderView
	// Refusal is why the last payment or cancellation was refused.
	Refusal string
	// Confirming is set after a payment was accepted, until the order
	// shows paid.
	Confirming bool
	// Stripe holds what the Payment Element needs; nil for the test-card
	// form. StripeError says why the Payment Element cannot be shown.
	Stripe      *stripeElement
	StripeError string
	// Preparing is set while payments has not yet learnt of a new order
	// (it does a moment after the order is placed); the page reloads.
	Preparing bool
	TestCards []testCard
	// ETicket is a paid order's e-ticket; ETicketNote says why there is
	// none yet.
	ETicket     *eticketView
	ETicketNote string
}

// stripeElement is what payment.js mounts the Payment Element with.
type stripeElement struct {
	PublishableKey, ClientSecret string
}

// renderOrder shows order o with status.
func (f *Function) renderOrder(v *visit, status int, o api.Order, refusal string, confirming bool) {
	view := viewOrder(o, visitorZone(v.r), v.now())
	p := page{Title: "Order for " + o.Ticket.Title}
	content := orderPage{Order: view, Refusal: refusal, TestCards: testCards}
	switch {
	case view.State == statePaid:
		content.ETicket, content.ETicketNote = f.orderETicket(v, o.ID)
		p.Scripts = []string{"/static/eticket.js"}
	case !view.AwaitingPayment():
	case confirming:
		content.Confirming = true
		p.RefreshAfter = 2
	case f.stripeKey != "":
		p.Scripts = []string{"/static/countdown.js", stripeJS, "/static/payment.js"}
		content.Stripe, content.StripeError = f.paymentElement(v, o.ID)
		if content.Preparing = content.Stripe == nil && content.StripeError == ""; content.Preparing {
			p.RefreshAfter = 1
		}
	default:
		p.Scripts = []string{"/static/countdown.js"}
	}
	p.Content = content
	v.render(status, "order", p)
}

// paymentElement starts the PaymentIntent the Payment Element confirms.
// It returns neither element nor message while payments does not know the
// order yet (404): events reach it a moment after the order is placed.
func (f *Function) paymentElement(v *visit, orderID string) (*stripeElement, string) {
	in, err := f.api.CreateIntent(v.ctx(), v.session, orderID)
	if api.StatusOf(err) == http.StatusNotFound {
		return nil, ""
	}
	if err != nil {
		logging.FromContext(v.ctx()).WarnContext(v.ctx(), "payment intent not created", slog.Any("error", err))
		if fm := refusedForm(err, nil); isRefusal(err) && len(fm.Messages) > 0 {
			return nil, fm.Messages[0]
		}
		return nil, "Card payments are unavailable just now. Please try again in a moment."
	}
	key := in.PublishableKey
	if key == "" {
		key = f.stripeKey
	}
	return &stripeElement{PublishableKey: key, ClientSecret: in.ClientSecret}, ""
}
