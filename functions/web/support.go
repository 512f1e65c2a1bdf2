package web

import (
	"cmp"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/buytickets/buytickets/functions/web/internal/api"
	"github.com/buytickets/buytickets/shared/logging"
)

// An order's support page: what happened to the order, in time order,
// merged from what each function holds of it (orders' history, payments'
// payments and refunds, etickets' e-ticket). Nothing keeps the story
// whole; the page asks each function when it is shown.

// happening is one line of an order's story.
type happening struct {
	// At is when it happened; nil when the function that tells it does
	// not know.
	At *time.Time
	// What names it for the page's tests and styles, such as "placed" or
	// "refunded"; Label names it for people.
	What, Label string
	// Detail says more, in words.
	Detail string
	// Until is a time the line speaks of: when a reservation ends.
	Until *time.Time
}

// supportPage is the content of an order's support page.
type supportPage struct {
	Order orderView
	// Story is what happened to the order, oldest first.
	Story []happening
	// Missing names the parts of the story a function could not tell
	// just now.
	Missing []string
	// Trace is the id of the trace that placed the order, which its log
	// lines and spans carry in every function it reached; "" when orders
	// does not know it.
	Trace string
}

// cancelReasons say why an order was cancelled, by its reason.
var cancelReasons = map[string]string{
	api.ReasonBuyer:   "The buyer cancelled it.",
	api.ReasonExpired: "The time to pay ran out.",
	api.ReasonBanned:  "The buyer's account was banned.",
}

// refundReasons say why a payment was given back, by payments' reason.
var refundReasons = map[string]string{
	"order_cancelled":    "The order was cancelled.",
	"duplicate":          "The order was already paid.",
	"amount_mismatch":    "The payment did not match the order's price.",
	"refunded_at_stripe": "Refunded at Stripe.",
}

// handleSupportOrder shows an order's story to an admin: each step with its
// time, from orders, payments and etickets. A part that cannot be read
// just now is named, and the rest is shown.
func (f *Function) handleSupportOrder() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, ok := f.visitAdmin(w, r)
		if !ok {
			return
		}
		id := r.PathValue("id")
		if !validID(id) {
			v.notFound()
			return
		}
		o, err := f.api.Order(v.ctx(), v.session, id)
		if err != nil {
			v.fail(err)
			return
		}
		steps, err := f.api.OrderHistory(v.ctx(), v.session, id)
		if err != nil {
			v.fail(err)
			return
		}
		content := supportPage{Order: viewOrder(o, visitorZone(v.r), v.now()), Story: storyOfOrder(steps), Trace: traceOf(steps)}
		if payments, err := f.api.OrderPayments(v.ctx(), v.session, id); err != nil {
			f.missing(v, &content, "payments", err)
		} else {
			content.Story = append(content.Story, storyOfPayments(payments)...)
		}
		if etickets, err := f.api.OrderETickets(v.ctx(), v.session, id); err != nil {
			f.missing(v, &content, "e-ticket", err)
		} else {
			content.Story = append(content.Story, storyOfETickets(etickets)...)
		}
		sortStory(content.Story)
		v.render(http.StatusOK, "support-order", page{Title: "Order " + id + " · Admin", Content: content})
	})
}

// missing notes that the part of the story named what could not be read.
func (f *Function) missing(v *visit, content *supportPage, what string, err error) {
	logging.FromContext(v.ctx()).WarnContext(v.ctx(), "order story incomplete", slog.String("part", what), slog.Any("error", err))
	content.Missing = append(content.Missing, what)
}

// traceOf is the trace that placed the order, as its history names it.
func traceOf(steps []api.OrderStep) string {
	for _, s := range steps {
		if s.What == api.StepPlaced {
			return s.TraceID
		}
	}
	return ""
}

func storyOfOrder(steps []api.OrderStep) []happening {
	var out []happening
	for _, s := range steps {
		h := happening{At: s.At, What: s.What, Detail: s.Detail}
		switch s.What {
		case api.StepPlaced:
			h.Label = "Order placed"
		case api.StepReserved:
			h.Label, h.Detail = "Ticket reserved", ""
			if until, ok := strings.CutPrefix(s.Detail, "until "); ok {
				if t, err := time.Parse(time.RFC3339, until); err == nil {
					h.Until = &t
				} else {
					h.Detail = s.Detail
				}
			}
		case api.StepCompleted:
			h.Label = "Order paid"
		case api.StepCancelled:
			h.Label, h.Detail = "Order cancelled", cmp.Or(cancelReasons[s.Detail], s.Detail)
		default:
			h.Label = s.What
		}
		out = append(out, h)
	}
	return out
}

func storyOfPayments(payments []api.OrderPayment) []happening {
	var out []happening
	for _, p := range payments {
		created := p.CreatedAt
		amount := money(api.Price(p.Amount)) + " " + strings.ToUpper(p.Currency)
		out = append(out, happening{At: &created, What: "paid", Label: "Payment received",
			Detail: amount + ", Stripe " + p.StripeID})
		if rf := p.Refund; rf != nil {
			reason := cmp.Or(refundReasons[rf.Reason], rf.Reason)
			if rf.At != nil {
				out = append(out, happening{At: rf.At, What: "refunded", Label: "Payment refunded", Detail: amount + ". " + reason})
			} else {
				out = append(out, happening{At: rf.DueAt, What: "refund-due", Label: "Refund due", Detail: amount + ". " + reason})
			}
		}
	}
	return out
}

func storyOfETickets(etickets []api.OrderETicket) []happening {
	var out []happening
	for _, e := range etickets {
		issued := e.IssuedAt
		out = append(out, happening{At: &issued, What: "eticket-issued", Label: "E-ticket issued", Detail: e.Title})
		if e.CheckedInAt != nil {
			out = append(out, happening{At: e.CheckedInAt, What: "checked-in", Label: "Checked in at the door"})
		}
		if e.RevokedAt != nil {
			out = append(out, happening{At: e.RevokedAt, What: "eticket-revoked", Label: "E-ticket revoked", Detail: e.RevokeReason})
		}
	}
	return out
}

// sortStory puts the story in time order; what happened at one time stays
// in the order it was told, and what has no known time comes last.
func sortStory(story []happening) {
	slices.SortStableFunc(story, func(a, b happening) int {
		switch {
		case a.At == nil && b.At == nil:
			return 0
		case a.At == nil:
			return 1
		case b.At == nil:
			return -1
		}
		return a.At.Compare(*b.At)
	})
}
