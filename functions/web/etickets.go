package web

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/buytickets/buytickets/functions/web/internal/api"
	"github.com/buytickets/buytickets/shared/logging"
)

// Finding a paid order's e-ticket: the API lists a holder's e-tickets,
// newest first, but has no lookup by order, so the order page reads that
// list a page at a time. An order just paid is on the first page; past
// maxScanPages pages (a thousand e-tickets) the page stops looking and
// says the e-ticket is being issued, and My tickets still lists it.
const (
	scanPageSize = 100
	maxScanPages = 10
)

// eticketView is an e-ticket as its pages show it.
type eticketView struct {
	api.ETicket
	// Grouped is the code in groups of four characters, as a person reads
	// it aloud or types it; the API ignores the spaces.
	Grouped string
	// StatusLabel names the status; UsedAt is when a used e-ticket was
	// checked in.
	StatusLabel string
	UsedAt      *time.Time
	// Event and Seat are what it admits to, in the visitor's zone; nil and
	// "" when its listing said nothing.
	Event *eventView
	Seat  string
}

// eticketStatusLabels name an e-ticket's status on the page.
var eticketStatusLabels = map[string]string{
	api.ETicketValid:   "Valid",
	api.ETicketUsed:    "Used",
	api.ETicketRevoked: "Revoked",
	api.ETicketListed:  "Listed for resale",
}

func viewETicket(e api.ETicket, loc *time.Location, now time.Time) eticketView {
	v := eticketView{ETicket: e, Grouped: groupCode(e.Code), StatusLabel: eticketStatusLabels[e.Status],
		Event: viewEvent(e.Event, loc, now), Seat: seatText(e.Seat)}
	if v.StatusLabel == "" {
		v.StatusLabel = e.Status
	}
	if e.Status == api.ETicketUsed {
		v.UsedAt = e.CheckedInAt
	}
	return v
}

// groupCode writes code in groups of four characters separated by spaces.
func groupCode(code string) string {
	var b strings.Builder
	for i, c := range code {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// validCode reports whether code can be an e-ticket's: letters and digits
// (codes are base32), not too long. Anything else is not found without a
// call.
func validCode(code string) bool {
	if code == "" || len(code) > 256 {
		return false
	}
	for _, c := range []byte(code) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

// orderETicket returns the e-ticket of the signed-in user's paid order
// orderID. While there is none, it returns a note instead: etickets issues
// it a moment after the payment, or cannot say just now.
func (f *Function) orderETicket(v *visit, orderID string) (*eticketView, string) {
	after := ""
	for range maxScanPages {
		p, err := f.api.ETickets(v.ctx(), v.session, after, scanPageSize)
		if err != nil {
			logging.FromContext(v.ctx()).WarnContext(v.ctx(), "e-tickets not listed", slog.Any("error", err))
			return nil, "Your e-ticket cannot be shown just now."
		}
		for _, e := range p.ETickets {
			if e.OrderID == orderID {
				view := viewETicket(e, visitorZone(v.r), v.now())
				return &view, ""
			}
		}
		if p.Next == "" {
			break
		}
		after = p.Next
	}
	return nil, "Your e-ticket is being issued…"
}

// eticketListing is the content of the My tickets page.
type eticketListing struct {
	ETickets    []eticketView
	First, Next string
	Paged       bool
}

// handleETickets shows the signed-in user's e-tickets, newest first, a
// page at a time.
func (f *Function) handleETickets() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, after, ok := f.visitPage(w, r)
		if !ok {
			return
		}
		if _, ok := v.requireUser(); !ok {
			return
		}
		p, err := f.api.ETickets(v.ctx(), v.session, after, pageSize)
		if api.StatusOf(err) == http.StatusBadRequest {
			v.notFound() // a cursor that names no e-ticket
			return
		}
		if err != nil {
			v.fail(err)
			return
		}
		l := eticketListing{ETickets: make([]eticketView, 0, len(p.ETickets)), First: "/etickets", Paged: after != ""}
		for _, e := range p.ETickets {
			l.ETickets = append(l.ETickets, viewETicket(e, visitorZone(v.r), v.now()))
		}
		if p.Next != "" {
			l.Next = "/etickets?after=" + url.QueryEscape(p.Next)
		}
		v.render(http.StatusOK, "etickets", page{Title: "My tickets", Content: l})
	})
}

// handleETicket shows one e-ticket, to its holder or its issuer: its QR
// symbol, its code and its status, ready to print, and to its holder the
// Resell form or the listing that resells it. Anyone else's is not found,
// as an unknown one is.
func (f *Function) handleETicket() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := f.visit(w, r)
		code := r.PathValue("code")
		if !validCode(code) {
			v.notFound()
			return
		}
		if _, ok := v.requireUser(); !ok {
			return
		}
		f.showETicket(v, code, http.StatusOK, form{})
	})
}
