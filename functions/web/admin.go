package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/buytickets/buytickets/functions/web/internal/api"
)

// The admin pages: find an account by email, ban it or lift its ban, and
// open an order's support page. They exist for admins only: to anyone
// else, signed in or not, /admin and every page under it is the site's
// page not found, as any address that names nothing, so they do not learn
// it exists.

// untilLayouts are how a datetime-local input sends a time, with or
// without seconds.
var untilLayouts = []string{"2006-01-02T15:04", "2006-01-02T15:04:05"}

// errBadUntil refuses a ban's end that is no date and time.
var errBadUntil = &api.Error{Status: http.StatusBadRequest, Problems: []api.Problem{
	{Field: "until", Message: "Until must be a date and time, such as 2026-12-31T23:59"},
}}

// errNoOrderID asks for an order id on the form that opens an order.
var errNoOrderID = &api.Error{Status: http.StatusBadRequest, Problems: []api.Problem{
	{Field: "id", Message: "Order id must be the id of an order, such as 6f1c2a9b0d3e4f5a6b7c8d9e"},
}}

// adminPage is the content of the admin page.
type adminPage struct {
	// Search is the form that finds an account: its email, and why it was
	// refused.
	Search form
	// Searched is set once an email was searched for; Account is the
	// account found, nil when none has that email.
	Searched bool
	Account  *accountView
	// Ban is the ban form of Account, as it was refused.
	Ban form
	// Order is the form that opens an order's support page.
	Order form
}

// accountView is an account as the admin page shows it.
type accountView struct {
	api.Account
	// StatusLabel is "Active" or "Banned".
	StatusLabel string
}

// visitAdmin starts the visit of r to an admin page. Someone signed out is
// sent to sign in; anyone else but an admin gets page not found, and ok is
// false.
func (f *Function) visitAdmin(w http.ResponseWriter, r *http.Request) (v *visit, ok bool) {
	v = f.visit(w, r)
	u, ok := v.requireUser()
	if !ok {
		return v, false
	}
	if !u.Admin() {
		v.notFound()
		return v, false
	}
	return v, true
}

// handleAdmin shows the admin page and, for ?email=, the account of that
// email with its status and the form that bans it or lifts its ban.
func (f *Function) handleAdmin() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, ok := f.visitAdmin(w, r)
		if !ok {
			return
		}
		email := r.URL.Query().Get("email")
		f.renderAdmin(v, email, adminPage{})
	})
}

// renderAdmin shows the admin page with content, and the account of email
// when it is not empty. A refusal of the lookup shows next to its field.
func (f *Function) renderAdmin(v *visit, email string, content adminPage) {
	content.Search = form{Values: map[string]string{"email": email}, Errors: content.Search.Errors, Messages: content.Search.Messages}
	status := http.StatusOK
	if content.Order.Errors != nil || content.Ban.Errors != nil || content.Ban.Messages != nil {
		status = http.StatusBadRequest
	}
	if strings.TrimSpace(email) != "" {
		found, err := f.api.FindAccounts(v.ctx(), v.session, email)
		switch {
		case isRefusal(err):
			content.Search = refusedForm(err, map[string]string{"email": email})
			status = http.StatusBadRequest
		case err != nil:
			v.fail(err)
			return
		default:
			content.Searched = true
			if len(found) > 0 {
				content.Account = viewAccount(found[0])
			}
		}
	}
	v.render(status, "admin", page{Title: "Admin", Content: content})
}

func viewAccount(a api.Account) *accountView {
	label := "Active"
	if a.Banned {
		label = "Banned"
	}
	return &accountView{Account: a, StatusLabel: label}
}

// handleBan bans the account of the path's id with the form's reason and
// end, and shows it banned; a refusal shows the form again with the API's
// errors next to their fields.
func (f *Function) handleBan() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, ok := f.visitAdmin(w, r)
		if !ok {
			return
		}
		id, email := r.PathValue("id"), r.PostFormValue("email")
		reason, until := r.PostFormValue("reason"), r.PostFormValue("until")
		values := map[string]string{"reason": reason, "until": until}
		end, err := untilOf(until)
		if err == nil {
			err = f.api.Ban(v.ctx(), v.session, id, reason, end)
		}
		f.afterAccountChange(v, email, err, values, "banned")
	})
}

// handleUnban lifts the ban of the account of the path's id and shows it
// active again.
func (f *Function) handleUnban() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, ok := f.visitAdmin(w, r)
		if !ok {
			return
		}
		err := f.api.Unban(v.ctx(), v.session, r.PathValue("id"))
		f.afterAccountChange(v, r.PostFormValue("email"), err, nil, "unbanned")
	})
}

// afterAccountChange shows how a ban or its lifting went: the account
// again with flash, or with err's refusal on its form, or err's failure.
func (f *Function) afterAccountChange(v *visit, email string, err error, values map[string]string, flash string) {
	switch {
	case isRefusal(err) || api.StatusOf(err) == http.StatusNotFound:
		f.renderAdmin(v, email, adminPage{Ban: refusedForm(err, values)})
	case err != nil:
		v.fail(err)
	default:
		v.redirect("/admin?"+url.Values{"email": {email}}.Encode(), flash)
	}
}

// untilOf converts a datetime-local value, which the page says is UTC, to
// RFC 3339: "" for none, errBadUntil for anything else.
func untilOf(local string) (string, error) {
	local = strings.TrimSpace(local)
	if local == "" {
		return "", nil
	}
	for _, layout := range untilLayouts {
		if t, err := time.ParseInLocation(layout, local, time.UTC); err == nil {
			return t.Format(time.RFC3339), nil
		}
	}
	if t, err := time.Parse(time.RFC3339, local); err == nil {
		return t.UTC().Format(time.RFC3339), nil
	}
	return "", errBadUntil
}

// handleOpenOrder sends the form that opens an order (?id=) to its support
// page; an id that cannot name an order is refused next to its field.
func (f *Function) handleOpenOrder() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, ok := f.visitAdmin(w, r)
		if !ok {
			return
		}
		id := strings.TrimSpace(r.URL.Query().Get("id"))
		if !validID(id) {
			f.renderAdmin(v, "", adminPage{Order: refusedForm(errNoOrderID, map[string]string{"id": id})})
			return
		}
		v.redirect("/admin/orders/"+id, "")
	})
}
