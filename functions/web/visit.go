package web

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/buytickets/buytickets/functions/web/internal/api"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/logging"
)

// flashCookie carries a one-time message from a form to the page it
// redirects to. Its value is a key of flashes, never text to show.
const flashCookie = "flash"

// flashes are the one-time messages, by the key the flash cookie holds.
var flashes = map[string]string{
	"signed-up":  "Welcome! Your account is ready.",
	"signed-in":  "You are signed in.",
	"signed-out": "You are signed out.",
	"listed":     "Your ticket is on sale.",
	"updated":    "Your ticket is updated.",
	"cancelled":  "Your order is cancelled.",
	"banned":     "The user is banned.",
	"unbanned":   "The ban is lifted.",

	"resale-listed":    "Your e-ticket is listed for resale.",
	"resale-withdrawn": "Your e-ticket is no longer for sale: it is yours to use.",
}

// visit is one browser request to a page or a form: its API session, the
// signed-in user once asked for, and the flash message it arrived with.
type visit struct {
	f       *Function
	w       http.ResponseWriter
	r       *http.Request
	session *api.Session

	user       *api.User
	userLoaded bool
	flash      string
	// back is where to return after signing in when the API asks for it;
	// the requested page when empty.
	back string
}

// visit starts the visit of r.
func (f *Function) visit(w http.ResponseWriter, r *http.Request) *visit {
	v := &visit{f: f, w: w, r: r, session: api.NewSession(r, w.Header().Get(httpx.RequestIDHeader))}
	if ck, err := r.Cookie(flashCookie); err == nil {
		v.flash = flashes[ck.Value]
	}
	return v
}

func (v *visit) ctx() context.Context { return v.r.Context() }

// currentUser returns the signed-in user, nil when signed out, asking the
// API once per visit.
func (v *visit) currentUser() (*api.User, error) {
	if v.userLoaded {
		return v.user, nil
	}
	u, err := v.f.api.CurrentUser(v.ctx(), v.session)
	if err != nil {
		return nil, err
	}
	v.user, v.userLoaded = u, true
	return u, nil
}

// requireUser returns the signed-in user. When there is none it sends the
// browser to sign in and returns false; when the API fails it shows why.
func (v *visit) requireUser() (*api.User, bool) {
	u, err := v.currentUser()
	if err != nil {
		v.fail(err)
		return nil, false
	}
	if u == nil {
		v.toSignIn()
		return nil, false
	}
	return u, true
}

// render writes page name with status. The header's user is asked for if
// no handler asked yet; if the API cannot say, the page is shown signed out.
func (v *visit) render(status int, name string, p page) {
	if !v.userLoaded {
		if _, err := v.currentUser(); err != nil {
			logging.FromContext(v.ctx()).WarnContext(v.ctx(), "current user unknown", slog.Any("error", err))
		}
	}
	p.User, p.Flash = v.user, v.flash
	var buf bytes.Buffer
	if err := v.f.pages.render(&buf, name, p); err != nil {
		logging.FromContext(v.ctx()).ErrorContext(v.ctx(), "page not rendered", slog.Any("error", err))
		v.passBack()
		http.Error(v.w, "Something went wrong", http.StatusInternalServerError)
		return
	}
	v.passBack()
	if v.flash != "" {
		v.setFlash("")
	}
	h := v.w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	v.w.WriteHeader(status)
	_, _ = v.w.Write(buf.Bytes())
}

// redirect sends the browser to path with 303 See Other, so that a form's
// success is not posted again on reload, with a flash message for the next
// page (a key of flashes, or "" for none).
func (v *visit) redirect(path, flash string) {
	v.passBack()
	if flash != "" {
		v.setFlash(flash)
	}
	v.w.Header().Set("Cache-Control", "no-store")
	http.Redirect(v.w, v.r, path, http.StatusSeeOther)
}

// passBack adds the cookies the API set during the visit to the answer.
func (v *visit) passBack() { v.session.PassBack(v.w) }

// setFlash sets the flash cookie to key, or clears it when key is empty.
func (v *visit) setFlash(key string) {
	ck := &http.Cookie{
		Name: flashCookie, Value: key, Path: "/", MaxAge: 60,
		HttpOnly: true, Secure: !v.f.cookieInsecure, SameSite: http.SameSiteLaxMode,
	}
	if key == "" {
		ck.MaxAge = -1
	}
	http.SetCookie(v.w, ck)
}

// toSignIn sends the browser to sign in, and back here after.
func (v *visit) toSignIn() {
	back := v.back
	if back == "" && v.r.Method == http.MethodGet {
		back = v.r.URL.RequestURI()
	}
	to := "/auth/signin"
	if back != "" && back != "/" {
		to += "?next=" + url.QueryEscape(back)
	}
	v.redirect(to, "")
}

// fail shows what went wrong with a call to the API: sign in for a 401, a
// page not found for a 404, that the account is suspended for a 403, a busy page when the API cannot be reached or
// is overloaded, and an error page, logged, otherwise.
func (v *visit) fail(err error) {
	var netErr net.Error
	switch status := api.StatusOf(err); {
	case status == http.StatusUnauthorized:
		v.toSignIn()
	case status == http.StatusNotFound:
		v.notFound()
	case status == http.StatusForbidden:
		v.forbidden(err)
	case status == http.StatusServiceUnavailable, status == http.StatusBadGateway,
		status == http.StatusGatewayTimeout, errors.As(err, &netErr):
		logging.FromContext(v.ctx()).WarnContext(v.ctx(), "API unavailable", slog.Any("error", err))
		v.w.Header().Set("Retry-After", httpx.RetryAfterSeconds)
		v.errorPage(http.StatusServiceUnavailable, "The marketplace is busy",
			"We could not reach the marketplace just now. Please try again in a moment.")
	default:
		logging.FromContext(v.ctx()).ErrorContext(v.ctx(), "page failed", slog.Any("error", err))
		v.errorPage(http.StatusInternalServerError, "Something went wrong",
			"Something went wrong on our side. Please try again.")
	}
}

// forbidden shows why the API refused the user with 403: their account is
// suspended (the only 403 the API answers the web function, which sends no
// cross-site requests), or, should the API say otherwise, its words.
func (v *visit) forbidden(err error) {
	msg := firstMessage(err, "")
	if msg == suspendedMessage {
		v.errorPage(http.StatusForbidden, "Your account is suspended",
			"An administrator has suspended your account, so you cannot use the marketplace for now. If you think this is a mistake, contact support.")
		return
	}
	v.errorPage(http.StatusForbidden, "Not allowed", cmp.Or(msg, "You are not allowed to do this."))
}

// suspendedMessage is the API's refusal of a banned user (DESIGN §3).
const suspendedMessage = "Account suspended"

// notFound shows the page-not-found page.
func (v *visit) notFound() {
	v.errorPage(http.StatusNotFound, "Page not found", "There is nothing here. It may have been removed, or the address is mistyped.")
}

// errorPage shows a page that only explains what happened.
func (v *visit) errorPage(status int, heading, message string) {
	v.render(status, "error", page{Title: heading, Content: struct{ Heading, Message string }{heading, message}})
}

// now is the server's clock.
func (v *visit) now() time.Time { return v.f.now() }

// localPath returns next when it is a path on this site, and "/" otherwise,
// so that a sign-in link cannot send the browser elsewhere. It resolves
// next against the site, as a browser would, and keeps it only when it
// stays on the site once cleaned; it returns the cleaned path and query,
// which http.Redirect sends as they are. A backslash anywhere is refused:
// browsers read it as a slash, so /\host is another site to them.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.ContainsAny(next, "\\\r\n\t") {
		return "/"
	}
	site := &url.URL{Scheme: "https", Host: "site.invalid"}
	u, err := site.Parse(next)
	if err != nil || u.Scheme != site.Scheme || u.Host != site.Host || u.User != nil || u.Opaque != "" {
		return "/"
	}
	clean := path.Clean(u.Path)
	if strings.HasSuffix(u.Path, "/") && clean != "/" {
		clean += "/"
	}
	if !strings.HasPrefix(clean, "/") || strings.HasPrefix(clean, "//") || strings.ContainsAny(clean, "\\\r\n\t") {
		return "/"
	}
	return (&url.URL{Path: clean, RawQuery: u.RawQuery}).String()
}

// visitOf starts the visit of r to the ticket or order id names (a path
// value or a form field). An id that cannot name one is answered 404
// without a call, and ok is false.
func (f *Function) visitOf(w http.ResponseWriter, r *http.Request, id string) (v *visit, ok bool) {
	v = f.visit(w, r)
	if !validID(id) {
		v.notFound()
		return v, false
	}
	return v, true
}

// visitID is visitOf for the ticket or order that r's path names ({id}).
// back, when not empty, is where the page of that id lives (back+id): the
// page a refusal goes back to.
func (f *Function) visitID(w http.ResponseWriter, r *http.Request, back string) (v *visit, id string, ok bool) {
	id = r.PathValue("id")
	if v, ok = f.visitOf(w, r, id); ok && back != "" {
		v.back = back + id
	}
	return v, id, ok
}

// validID reports whether id can name a ticket or an order: the API's ids
// are short hex strings. Anything else is not found without a call.
func validID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range []byte(id) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// handleNotFound answers every path no page has.
func (f *Function) handleNotFound() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.visit(w, r).notFound()
	})
}

// handleCrossOrigin answers a form sent from another site: 403.
func (f *Function) handleCrossOrigin() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		logging.FromContext(r.Context()).InfoContext(r.Context(), "cross-origin form refused",
			slog.String("origin", r.Header.Get("Origin")), slog.String("secFetchSite", r.Header.Get("Sec-Fetch-Site")))
		f.visit(w, r).errorPage(http.StatusForbidden, "Form refused",
			"This form was sent from another site, so it was refused. Open Buytickets and try again there.")
	})
}

// isRefusal reports whether err is the API refusing what the user asked
// for (bad input, a business rule, a declined card, a payment in
// progress), which the page shows next to the form rather than as an
// error page.
func isRefusal(err error) bool {
	switch api.StatusOf(err) {
	case http.StatusBadRequest, http.StatusPaymentRequired, http.StatusConflict:
		return true
	}
	return false
}
