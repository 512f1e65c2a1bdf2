package web

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/buytickets/buytickets/functions/web/internal/api"
	"github.com/buytickets/buytickets/shared/logging"
)

// eticketPage is the content of an e-ticket's page: the e-ticket, and for
// its holder the resale section.
type eticketPage struct {
	ETicket eticketView
	// Resale is nil for a viewer who does not hold the e-ticket (its
	// issuer, an admin), for one used or revoked, and when it cannot be
	// told.
	Resale *resaleView
}

// resaleView is the holder's resale section of an e-ticket's page: the
// Resell form, or the listing that resells it with its Stop reselling
// button.
type resaleView struct {
	Code string
	// FaceValue is what the holder paid, the most they may resell for;
	// MaxPrice is the same in dollars, for the price input.
	FaceValue, MaxPrice string
	// Listing is the live listing that resells the e-ticket, if any, with
	// its price and what the holder receives after the fee.
	Listing      *api.Ticket
	ListingPrice string
	Receive      string
	// Form is the Resell form, with the API's refusal of the last post.
	Form form
}

// Reserved reports whether a buyer's order holds the listing, which then
// cannot be withdrawn.
func (r resaleView) Reserved() bool {
	return r.Listing != nil && r.Listing.Status == api.TicketReserved
}

// showETicket shows the e-ticket of code with status and, to its holder,
// the resale section with fm: the form as posted, or empty.
func (f *Function) showETicket(v *visit, code string, status int, fm form) {
	e, err := f.api.ETicket(v.ctx(), v.session, code)
	if err != nil {
		v.fail(err)
		return
	}
	content := eticketPage{ETicket: viewETicket(e, visitorZone(v.r), v.now()), Resale: f.resaleOf(v, e)}
	if content.Resale != nil {
		content.Resale.Form = fm
	}
	v.render(status, "eticket", page{Title: "E-ticket for " + e.Title, Content: content, Scripts: []string{"/static/eticket.js"}})
}

// resaleOf is the resale section of e for the signed-in user, nil when
// they do not hold it or it cannot be resold. Its holder is the buyer of
// its order, whose price is the face value; the live listing is found
// among the holder's own tickets, which tickets answers as it stands
// (etickets learns of a listing a moment later).
func (f *Function) resaleOf(v *visit, e api.ETicket) *resaleView {
	if e.Status != api.ETicketValid && e.Status != api.ETicketListed {
		return nil
	}
	o, err := f.api.HeldOrder(v.ctx(), v.session, e.OrderID)
	switch status := api.StatusOf(err); {
	case status == http.StatusUnauthorized, status == http.StatusNotFound:
		return nil // the issuer's or an admin's view
	case err != nil:
		logging.FromContext(v.ctx()).WarnContext(v.ctx(), "e-ticket's order not read", slog.Any("error", err))
		return nil
	}
	r := &resaleView{Code: e.Code, FaceValue: money(o.Ticket.Price), MaxPrice: o.Ticket.Price.Dollars()}
	l, err := f.listingOfCode(v, e.Code)
	if err != nil {
		logging.FromContext(v.ctx()).WarnContext(v.ctx(), "resale listing not found", slog.Any("error", err))
		return nil
	}
	if l != nil {
		r.Listing, r.ListingPrice = l, money(l.Price)
		r.Receive = f.receiveNote(l.Price)
	}
	return r
}

// listingOfCode returns the signed-in user's live listing that resells the
// e-ticket of code, nil when there is none. It reads their tickets a page
// at a time, at most maxScanPages pages.
func (f *Function) listingOfCode(v *visit, code string) (*api.Ticket, error) {
	after := ""
	for range maxScanPages {
		p, err := f.api.MyTickets(v.ctx(), v.session, after, scanPageSize)
		if err != nil {
			return nil, err
		}
		for _, t := range p.Tickets {
			if t.ResaleOf == code && t.Live() {
				return &t, nil
			}
		}
		if p.Next == "" {
			break
		}
		after = p.Next
	}
	return nil, nil
}

// receiveNote says what a seller receives of a sale at price.
func (f *Function) receiveNote(price api.Price) string {
	return fmt.Sprintf("You receive %s after the %d%% fee", money(proceeds(price, f.feePercent)), f.feePercent)
}

// visitCode starts the visit of r to a form about the e-ticket its path
// names; a path that cannot be a code is not found, and ok is false.
func (f *Function) visitCode(w http.ResponseWriter, r *http.Request) (v *visit, code string, ok bool) {
	v, code = f.visit(w, r), r.PathValue("code")
	if !validCode(code) {
		v.notFound()
		return v, code, false
	}
	v.back = "/etickets/" + code
	return v, code, true
}

// handleResell lists the holder's e-ticket for resale at the price posted
// and shows the e-ticket listed; the API's refusal (above the face value,
// revoked, used, listed already) is shown next to the price.
func (f *Function) handleResell() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, code, ok := f.visitCode(w, r)
		if !ok {
			return
		}
		price := r.PostFormValue("price")
		_, err := f.api.Resell(v.ctx(), v.session, code, price)
		if isRefusal(err) {
			f.showETicket(v, code, http.StatusBadRequest, refusedForm(err, map[string]string{"price": price}))
			return
		}
		if err != nil {
			v.fail(err)
			return
		}
		v.redirect("/etickets/"+code, "resale-listed")
	})
}

// handleStopReselling withdraws the listing that resells the holder's
// e-ticket and shows the e-ticket, theirs to use again. A listing a buyer
// is paying for is refused, in the API's words.
func (f *Function) handleStopReselling() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, code, ok := f.visitCode(w, r)
		if !ok {
			return
		}
		if _, ok := v.requireUser(); !ok {
			return
		}
		l, err := f.listingOfCode(v, code)
		if err == nil && l == nil {
			v.redirect("/etickets/"+code, "resale-withdrawn") // withdrawn already
			return
		}
		if err == nil {
			_, err = f.api.WithdrawTicket(v.ctx(), v.session, l.ID)
		}
		if isRefusal(err) {
			f.showETicket(v, code, http.StatusBadRequest, refusedForm(err, nil))
			return
		}
		if err != nil {
			v.fail(err)
			return
		}
		v.redirect("/etickets/"+code, "resale-withdrawn")
	})
}
