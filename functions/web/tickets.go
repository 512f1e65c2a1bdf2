package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/buytickets/buytickets/functions/web/internal/api"
)

// pageSize is how many tickets a listing page shows.
const pageSize = 20

// listing is the content of a page of tickets: the tickets, the links to
// the first page and to the next (empty on the last), and whether this is
// not the first.
type listing struct {
	Tickets     []ticketView
	First, Next string
	Paged       bool
	// ShowStatus shows each ticket's status, for its seller.
	ShowStatus bool
}

// listingOf is page p of the listing at base whose query (a search, or
// none) the links to its first and next pages keep, with its times in loc.
func listingOf(p api.TicketPage, base string, query url.Values, paged bool, loc *time.Location, now time.Time) listing {
	l := listing{Tickets: viewTickets(p.Tickets, nil, loc, now), First: base, Paged: paged, ShowStatus: base != "/"}
	if len(query) > 0 {
		l.First = base + "?" + query.Encode()
	}
	if p.Next != "" {
		next := url.Values{"after": {p.Next}}
		for k, vs := range query {
			next[k] = vs
		}
		l.Next = base + "?" + next.Encode()
	}
	return l
}

// visitPage starts the visit of r to a page of tickets, which starts
// after the ticket its query's "after" names (the first page when none);
// an "after" that cannot name a ticket is answered 404, and ok is false.
func (f *Function) visitPage(w http.ResponseWriter, r *http.Request) (v *visit, after string, ok bool) {
	v = f.visit(w, r)
	after = r.URL.Query().Get("after")
	if after != "" && !validID(after) {
		v.notFound()
		return v, after, false
	}
	return v, after, true
}

// handleListings shows the signed-in seller's tickets in every status.
func (f *Function) handleListings() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, after, ok := f.visitPage(w, r)
		if !ok {
			return
		}
		if _, ok := v.requireUser(); !ok {
			return
		}
		p, err := f.api.MyTickets(v.ctx(), v.session, after, pageSize)
		if err != nil {
			v.fail(err)
			return
		}
		l := listingOf(p, "/listings", nil, after != "", visitorZone(r), v.now())
		for i := range l.Tickets {
			l.Tickets[i].Receive = f.receiveNote(l.Tickets[i].Ticket.Price)
		}
		v.render(http.StatusOK, "listings", page{Title: "My listings", Content: l})
	})
}

// ticketForm is a sell or edit form: the values typed or saved, the
// API's refusal of them, and the time zone the event's start is typed in
// (an IANA name, "UTC" until the page's script names the browser's).
type ticketForm struct {
	Form form
	Zone string
	// Edit is set on the edit form, where an event cannot be removed.
	Edit bool
}

// handleNewTicket shows the form to sell a ticket.
func (f *Function) handleNewTicket() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := f.visit(w, r)
		if _, ok := v.requireUser(); !ok {
			return
		}
		v.render(http.StatusOK, "sell", page{Title: "Sell a ticket", Content: ticketForm{Zone: visitorZone(r).String()}})
	})
}

// handleCreateTicket puts a ticket on sale and shows it; a refusal shows
// the form again with the API's errors next to their fields.
func (f *Function) handleCreateTicket() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := f.visit(w, r)
		v.back = "/tickets/new"
		values, loc := ticketValues(r), formZone(r)
		t, err := f.api.CreateTicket(v.ctx(), v.session, ticketInput(values, loc, false))
		if isRefusal(err) {
			v.render(http.StatusBadRequest, "sell", page{Title: "Sell a ticket",
				Content: ticketForm{Form: refusedForm(err, values), Zone: loc.String()}})
			return
		}
		if err != nil {
			v.fail(err)
			return
		}
		v.redirect("/tickets/"+t.ID, "listed")
	})
}

// ticketPage is the content of a ticket's page: the ticket, its edit form
// for its seller, and why the last purchase or edit was refused.
type ticketPage struct {
	Ticket  ticketView
	Edit    ticketForm
	Refusal string
}

// handleTicket shows a ticket: its details and status, the Purchase button
// or why there is none, and the edit form for its seller.
func (f *Function) handleTicket() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, id, ok := f.visitID(w, r, "")
		if !ok {
			return
		}
		t, user, ok := f.ticketFor(v, id)
		if !ok {
			return
		}
		loc := visitorZone(r)
		v.renderTicket(http.StatusOK, t, user, form{Values: savedValues(t, loc)}, loc, "")
	})
}

// handleEditTicket saves the seller's edit and shows the ticket; a refusal
// shows the ticket again with the API's errors.
func (f *Function) handleEditTicket() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, id, ok := f.visitID(w, r, "/tickets/")
		if !ok {
			return
		}
		values := ticketValues(r)
		_, err := f.api.UpdateTicket(v.ctx(), v.session, id, ticketInput(values, formZone(r), true))
		if isRefusal(err) {
			f.showTicketRefused(v, id, refusedForm(err, values))
			return
		}
		if err != nil {
			v.fail(err)
			return
		}
		v.redirect("/tickets/"+id, "updated")
	})
}

// ticketFor returns ticket id and who is looking at it. When the API
// cannot say, it shows why and ok is false.
func (f *Function) ticketFor(v *visit, id string) (t api.Ticket, user *api.User, ok bool) {
	user, err := v.currentUser()
	if err == nil {
		t, err = f.api.Ticket(v.ctx(), v.session, id)
	}
	if err != nil {
		v.fail(err)
		return api.Ticket{}, nil, false
	}
	return t, user, true
}

// showTicketRefused shows ticket id again, 400, with what was refused. The
// edit form shows the values refused next to their errors, or the
// ticket's own when no field was at fault, in the zone they were typed in.
func (f *Function) showTicketRefused(v *visit, id string, fm form) {
	t, user, ok := f.ticketFor(v, id)
	if !ok {
		return
	}
	refusal := ""
	if len(fm.Messages) > 0 {
		refusal = fm.Messages[0]
	}
	loc := formZone(v.r)
	if len(fm.Errors) == 0 {
		fm.Values = savedValues(t, loc)
	}
	fm.Messages = nil
	v.renderTicket(http.StatusBadRequest, t, user, fm, loc, refusal)
}

// renderTicket shows ticket t to user with its edit form fm, whose start
// is typed in loc, and refusal, in status.
func (v *visit) renderTicket(status int, t api.Ticket, user *api.User, fm form, loc *time.Location, refusal string) {
	tv := viewTicket(t, user, visitorZone(v.r), v.now())
	if tv.Mine {
		tv.Receive = v.f.receiveNote(t.Price)
	}
	v.render(status, "ticket", page{Title: t.Title, Content: ticketPage{Ticket: tv,
		Edit: ticketForm{Form: fm, Zone: loc.String(), Edit: true}, Refusal: refusal}})
}

// The inputs of a sell or edit form beyond the title and price, named as
// the API names the fields it refuses. The event's start is a
// datetime-local value in the form's zone.
var (
	eventInputs = []string{"event.name", "event.venue", "event.city", "event.startsAt"}
	seatInputs  = []string{"seat.section", "seat.row", "seat.number"}
)

// ticketValues reads a sell or edit form as typed.
func ticketValues(r *http.Request) map[string]string {
	values := map[string]string{"title": r.PostFormValue("title"), "price": r.PostFormValue("price")}
	for _, name := range append(slices.Clone(eventInputs), seatInputs...) {
		values[name] = strings.TrimSpace(r.PostFormValue(name))
	}
	return values
}

// ticketInput is the ticket values describe, its start typed in loc. The
// event goes to the API only when one of its inputs is filled (on an edit,
// none keeps the ticket's event). So does the seat on a new ticket; an
// edit always sends it, so that emptying its inputs removes it.
func ticketInput(values map[string]string, loc *time.Location, edit bool) api.TicketInput {
	in := api.TicketInput{Title: values["title"], Price: values["price"]}
	if anySet(values, eventInputs) {
		in.Event = &api.EventInput{Name: values["event.name"], Venue: values["event.venue"],
			City: values["event.city"], StartsAt: startOf(values["event.startsAt"], loc)}
	}
	if edit || anySet(values, seatInputs) {
		in.Seat = &api.Seat{Section: values["seat.section"], Row: values["seat.row"], Number: values["seat.number"]}
	}
	return in
}

// anySet reports whether any of names has a value.
func anySet(values map[string]string, names []string) bool {
	return slices.ContainsFunc(names, func(name string) bool { return values[name] != "" })
}

// savedValues are ticket t's details as its edit form shows them, its
// start in loc.
func savedValues(t api.Ticket, loc *time.Location) map[string]string {
	values := map[string]string{"title": t.Title, "price": t.Price.Dollars()}
	if e := t.Event; e != nil {
		values["event.name"], values["event.venue"], values["event.city"] = e.Name, e.Venue, e.City
		values["event.startsAt"] = localInput(e.StartsAt, loc)
	}
	if s := t.Seat; s != nil {
		values["seat.section"], values["seat.row"], values["seat.number"] = s.Section, s.Row, s.Number
	}
	return values
}
