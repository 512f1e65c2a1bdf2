package web

import (
	"net/http"
	"net/url"

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

func listingOf(p api.TicketPage, base string, paged bool) listing {
	l := listing{Tickets: viewTickets(p.Tickets, nil), First: base, Paged: paged, ShowStatus: base != "/"}
	if p.Next != "" {
		l.Next = base + "?after=" + url.QueryEscape(p.Next)
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

// handleHome shows the tickets on sale, newest first, a page at a time.
func (f *Function) handleHome() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, after, ok := f.visitPage(w, r)
		if !ok {
			return
		}
		// Who is signed in first, so that an expired session is refreshed
		// before anything else is asked.
		if _, err := v.currentUser(); err != nil {
			v.fail(err)
			return
		}
		p, err := f.api.Tickets(v.ctx(), v.session, after, pageSize)
		if api.StatusOf(err) == http.StatusBadRequest {
			v.notFound() // a cursor that names no ticket
			return
		}
		if err != nil {
			v.fail(err)
			return
		}
		v.render(http.StatusOK, "home", page{Title: "Tickets for sale", Content: listingOf(p, "/", after != "")})
	})
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
		l := listingOf(p, "/listings", after != "")
		for i := range l.Tickets {
			l.Tickets[i].Receive = f.receiveNote(l.Tickets[i].Ticket.Price)
		}
		v.render(http.StatusOK, "listings", page{Title: "My listings", Content: l})
	})
}

// ticketForm is the content of the sell page.
type ticketForm struct {
	Form form
}

// handleNewTicket shows the form to sell a ticket.
func (f *Function) handleNewTicket() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := f.visit(w, r)
		if _, ok := v.requireUser(); !ok {
			return
		}
		v.render(http.StatusOK, "sell", page{Title: "Sell a ticket", Content: ticketForm{}})
	})
}

// handleCreateTicket puts a ticket on sale and shows it; a refusal shows
// the form again with the API's errors next to their fields.
func (f *Function) handleCreateTicket() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := f.visit(w, r)
		v.back = "/tickets/new"
		in := ticketInput(r)
		t, err := f.api.CreateTicket(v.ctx(), v.session, in)
		if isRefusal(err) {
			v.render(http.StatusBadRequest, "sell", page{Title: "Sell a ticket",
				Content: ticketForm{Form: refusedForm(err, ticketValues(in))}})
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
	Form    form
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
		v.renderTicket(http.StatusOK, t, user, form{Values: ticketValues(api.TicketInput{Title: t.Title, Price: t.Price.Dollars()})}, "")
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
		in := ticketInput(r)
		_, err := f.api.UpdateTicket(v.ctx(), v.session, id, in)
		if isRefusal(err) {
			f.showTicketRefused(v, id, refusedForm(err, ticketValues(in)))
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

// showTicketRefused shows ticket id again, 400, with what was refused.
func (f *Function) showTicketRefused(v *visit, id string, fm form) {
	t, user, ok := f.ticketFor(v, id)
	if !ok {
		return
	}
	refusal := ""
	if len(fm.Messages) > 0 {
		refusal = fm.Messages[0]
	}
	if len(fm.Errors) == 0 {
		fm.Values = ticketValues(api.TicketInput{Title: t.Title, Price: t.Price.Dollars()})
	}
	fm.Messages = nil
	v.renderTicket(http.StatusBadRequest, t, user, fm, refusal)
}

func (v *visit) renderTicket(status int, t api.Ticket, user *api.User, fm form, refusal string) {
	tv := viewTicket(t, user)
	if tv.Mine {
		tv.Receive = v.f.receiveNote(t.Price)
	}
	v.render(status, "ticket", page{Title: t.Title, Content: ticketPage{Ticket: tv, Form: fm, Refusal: refusal}})
}

// ticketInput reads a sell or edit form.
func ticketInput(r *http.Request) api.TicketInput {
	return api.TicketInput{Title: r.PostFormValue("title"), Price: r.PostFormValue("price")}
}

func ticketValues(in api.TicketInput) map[string]string {
	return map[string]string{"title": in.Title, "price": in.Price}
}
