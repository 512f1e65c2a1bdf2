package web

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/buytickets/buytickets/functions/web/internal/api"
)

// money writes a price as dollars with cents and thousands separators:
// "$19.99", "$1,000,000.00".
func money(p api.Price) string {
	cents := p.Cents()
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	whole := strconv.FormatInt(cents/100, 10)
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return fmt.Sprintf("%s$%s.%02d", sign, b.String(), cents%100)
}

// countdown writes how long is left as minutes:seconds, "14:59", rounding
// up to the next second; what has run out is "0:00".
func countdown(left time.Duration) string {
	secs := secondsLeft(left)
	return fmt.Sprintf("%d:%02d", secs/60, secs%60)
}

// secondsLeft is left in whole seconds, rounded up, and never negative.
func secondsLeft(left time.Duration) int64 {
	if left <= 0 {
		return 0
	}
	return int64((left + time.Second - 1) / time.Second)
}

// An order's state as a buyer sees it.
const (
	stateAwaiting  = "awaiting-payment"
	statePaid      = "paid"
	stateCancelled = "cancelled"
	stateExpired   = "expired"
)

// stateLabels name each state on the page.
var stateLabels = map[string]string{
	stateAwaiting:  "Awaiting payment",
	statePaid:      "Paid",
	stateCancelled: "Cancelled",
	stateExpired:   "Expired",
}

// orderState is the state of o at now. An order still created past its
// expiry is expired already: the expiration function cancels it shortly,
// and it can no longer be paid.
func orderState(o api.Order, now time.Time) string {
	switch {
	case o.Status == api.OrderComplete:
		return statePaid
	case o.Status == api.OrderCancelled && o.CancelReason == api.ReasonExpired:
		return stateExpired
	case o.Status == api.OrderCancelled:
		return stateCancelled
	case !now.Before(o.ExpiresAt):
		return stateExpired
	default:
		return stateAwaiting
	}
}

// orderView is an order as its pages show it.
type orderView struct {
	api.Order
	// State is one of the state constants; StateLabel names it.
	State, StateLabel string
	// SecondsLeft and Countdown are the time left to pay, from the
	// server's clock, while the order awaits payment.
	SecondsLeft int64
	Countdown   string
	// Price is the order's price as money.
	Price string
	// Event and Seat are what its ticket admits to, in the visitor's zone;
	// nil and "" when its listing said nothing.
	Event *eventView
	Seat  string
}

func viewOrder(o api.Order, loc *time.Location, now time.Time) orderView {
	state := orderState(o, now)
	v := orderView{Order: o, State: state, StateLabel: stateLabels[state], Price: money(o.Ticket.Price),
		Event: viewEvent(o.Ticket.Event, loc, now), Seat: seatText(o.Ticket.Seat)}
	if state == stateAwaiting {
		left := o.ExpiresAt.Sub(now)
		v.SecondsLeft, v.Countdown = secondsLeft(left), countdown(left)
	}
	return v
}

// AwaitingPayment reports whether the order can still be paid or
// cancelled.
func (v orderView) AwaitingPayment() bool { return v.State == stateAwaiting }

// ticketStatusLabels name a ticket's status on the page.
var ticketStatusLabels = map[string]string{
	api.TicketAvailable: "Available",
	api.TicketReserved:  "Reserved",
	api.TicketSold:      "Sold",
	api.TicketWithdrawn: "Withdrawn",
}

// ticketView is a ticket as its pages show it, for the signed-in user (if
// any): whether they may buy it, and why not.
type ticketView struct {
	api.Ticket
	StatusLabel string
	Price       string
	// Event is the event the ticket admits to, nil when it names none;
	// Seat says where, "" when it says nothing.
	Event *eventView
	Seat  string
	// Mine is the viewer's own ticket; Editable while it is on sale.
	Mine, Editable bool
	// CanBuy shows the Purchase button; otherwise NotForSale says why
	// (empty for a visitor who must sign in first).
	CanBuy     bool
	NotForSale string
	// Receive, on the seller's own views, says what they receive of the
	// price after the platform's fee; the buyer sees the price alone.
	Receive string
}

// eventView is a ticket's event as its pages show it, in the visitor's
// time zone.
type eventView struct {
	Name string
	// When is the start for people, naming the zone; At is the start
	// itself, for <time datetime>.
	When string
	At   time.Time
	// Place is the venue and the city, "" when neither is known.
	Place string
	// Started is set once the event has begun: the ticket can no longer
	// be ordered.
	Started bool
}

func viewEvent(e *api.Event, loc *time.Location, now time.Time) *eventView {
	if e == nil {
		return nil
	}
	return &eventView{Name: e.Name, When: eventTime(e.StartsAt, loc), At: e.StartsAt,
		Place: joinSet(", ", e.Venue, e.City), Started: !e.StartsAt.IsZero() && !now.Before(e.StartsAt)}
}

// seatText writes a seat for people: "Section A, Row 3, Seat 12", with
// only the parts it has; "" for none.
func seatText(s *api.Seat) string {
	if s == nil {
		return ""
	}
	label := func(name, v string) string {
		if v == "" {
			return ""
		}
		return name + " " + v
	}
	return joinSet(", ", label("Section", s.Section), label("Row", s.Row), label("Seat", s.Number))
}

// joinSet joins the parts that are not empty with sep.
func joinSet(sep string, parts ...string) string {
	set := make([]string, 0, len(parts))
	for _, p := range parts {
		if p != "" {
			set = append(set, p)
		}
	}
	return strings.Join(set, sep)
}

// viewTicket is t as user sees it at now, its times in loc.
func viewTicket(t api.Ticket, user *api.User, loc *time.Location, now time.Time) ticketView {
	v := ticketView{Ticket: t, StatusLabel: ticketStatusLabels[t.Status], Price: money(t.Price),
		Event: viewEvent(t.Event, loc, now), Seat: seatText(t.Seat)}
	if v.StatusLabel == "" {
		v.StatusLabel = t.Status
	}
	started := v.Event != nil && v.Event.Started
	v.Mine = user != nil && user.ID == t.UserID
	v.Editable = v.Mine && t.Status == api.TicketAvailable && !started
	switch {
	case v.Mine:
		v.NotForSale = "This is your ticket."
	case t.Status == api.TicketReserved:
		v.NotForSale = "Reserved: a buyer is paying for it. It goes back on sale if they do not pay in time."
	case t.Status == api.TicketSold:
		v.NotForSale = "Sold."
	case t.Status != api.TicketAvailable:
		v.NotForSale = "Not for sale."
	case started:
		v.NotForSale = "This event has already started."
	case user != nil:
		v.CanBuy = true
	}
	return v
}

func viewTickets(ts []api.Ticket, user *api.User, loc *time.Location, now time.Time) []ticketView {
	out := make([]ticketView, 0, len(ts))
	for _, t := range ts {
		out = append(out, viewTicket(t, user, loc, now))
	}
	return out
}
