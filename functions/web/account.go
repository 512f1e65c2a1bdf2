package web

import (
	"cmp"
	"errors"
	"net/http"

	"github.com/buytickets/buytickets/functions/web/internal/api"
	"github.com/buytickets/buytickets/shared/httpx"
)

// accountForm is the content of the sign-up and sign-in pages.
type accountForm struct {
	Form form
	// Next is where to go after signing in.
	Next string
	// Asked is set when the visitor was sent here from a page that needs
	// an account.
	Asked bool
}

// handleSignupForm shows the sign-up form.
func (f *Function) handleSignupForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.visit(w, r).render(http.StatusOK, "signup", page{Title: "Sign up", Content: accountForm{}})
	})
}

// handleSignup creates an account and goes home signed in; a refusal shows
// the form again with the API's errors next to their fields.
func (f *Function) handleSignup() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := f.visit(w, r)
		email := r.PostFormValue("email")
		if _, err := f.api.SignUp(v.ctx(), v.session, email, r.PostFormValue("password")); err != nil {
			status, ok := accountRefusal(v, err)
			if !ok {
				v.fail(err)
				return
			}
			v.render(status, "signup", page{Title: "Sign up",
				Content: accountForm{Form: refusedForm(err, map[string]string{"email": email})}})
			return
		}
		v.redirect("/", "signed-up")
	})
}

// handleSigninForm shows the sign-in form, which returns to ?next after.
func (f *Function) handleSigninForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next := r.URL.Query().Get("next")
		f.visit(w, r).render(http.StatusOK, "signin", page{Title: "Sign in",
			Content: accountForm{Next: localPath(next), Asked: next != ""}})
	})
}

// handleSignin signs in and goes to the page that asked for it, or home;
// a refusal shows the form again with the API's errors.
func (f *Function) handleSignin() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := f.visit(w, r)
		email, next := r.PostFormValue("email"), localPath(r.PostFormValue("next"))
		if _, err := f.api.SignIn(v.ctx(), v.session, email, r.PostFormValue("password")); err != nil {
			status, ok := accountRefusal(v, err)
			if !ok {
				v.fail(err)
				return
			}
			v.render(status, "signin", page{Title: "Sign in",
				Content: accountForm{Form: refusedForm(err, map[string]string{"email": email}), Next: next}})
			return
		}
		v.redirect(next, "signed-in")
	})
}

// handleSignoutForm shows a button that signs out: signing out changes the
// session, so it is a form post rather than a link anyone could embed.
func (f *Function) handleSignoutForm() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.visit(w, r).render(http.StatusOK, "signout", page{Title: "Sign out"})
	})
}

// handleSignout signs out and goes home.
func (f *Function) handleSignout() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := f.visit(w, r)
		if err := f.api.SignOut(v.ctx(), v.session); err != nil {
			v.fail(err)
			return
		}
		v.redirect("/", "signed-out")
	})
}

// accountRefusal is the status a sign-up or sign-in form answers a refusal
// of the API with, shown on the form in the API's words: its own input
// errors (400), too many attempts (429) and a busy password check (503),
// the last two telling the browser when to come back. ok is false for a
// failure the form cannot explain; a suspended account (403) gets the page
// that says so (visit.fail).
func accountRefusal(v *visit, err error) (status int, ok bool) {
	switch status := api.StatusOf(err); status {
	case http.StatusBadRequest:
		return status, true
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		var e *api.Error
		if !errors.As(err, &e) || len(e.Messages()) == 0 {
			return 0, false
		}
		v.w.Header().Set("Retry-After", cmp.Or(e.RetryAfter, httpx.RetryAfterSeconds))
		return status, true
	}
	return 0, false
}
