package web

import (
	"net/http"

	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/server"
)

// routes is the function's whole HTTP surface: the pages, the forms they
// post to, and the stylesheet and scripts. Every form posts here; a form
// sent from another site is refused before it reaches a handler.
func (f *Function) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", server.Health())
	mux.Handle("GET /static/{file}", handleStatic())

	mux.Handle("GET /{$}", f.handleHome())
	mux.Handle("GET /auth/signup", f.handleSignupForm())
	mux.Handle("POST /auth/signup", f.handleSignup())
	mux.Handle("GET /auth/signin", f.handleSigninForm())
	mux.Handle("POST /auth/signin", f.handleSignin())
	mux.Handle("GET /auth/signout", f.handleSignoutForm())
	mux.Handle("POST /auth/signout", f.handleSignout())

	mux.Handle("GET /tickets/new", f.handleNewTicket())
	mux.Handle("POST /tickets/new", f.handleCreateTicket())
	mux.Handle("GET /tickets/{id}", f.handleTicket())
	mux.Handle("POST /tickets/{id}", f.handleEditTicket())
	mux.Handle("GET /listings", f.handleListings())

	mux.Handle("POST /orders", f.handlePurchase())
	mux.Handle("GET /orders", f.handleOrders())
	mux.Handle("GET /orders/{id}", f.handleOrder())
	mux.Handle("POST /orders/{id}/cancel", f.handleCancel())
	mux.Handle("POST /orders/{id}/pay", f.handlePay())

	mux.Handle("GET /etickets", f.handleETickets())
	mux.Handle("GET /etickets/{code}", f.handleETicket())
	mux.Handle("POST /etickets/{code}/resell", f.handleResell())
	mux.Handle("POST /etickets/{code}/unlist", f.handleStopReselling())
	mux.Handle("GET /checkin", f.handleCheckinForm())
	mux.Handle("POST /checkin", f.handleCheckin())

	mux.Handle("GET /payouts", f.handlePayouts())
	mux.Handle("POST /payouts/onboarding", f.handleOnboarding())

	mux.Handle("GET /admin", f.handleAdmin())
	mux.Handle("POST /admin/users/{id}/ban", f.handleBan())
	mux.Handle("POST /admin/users/{id}/unban", f.handleUnban())
	mux.Handle("GET /admin/orders", f.handleOpenOrder())
	mux.Handle("GET /admin/orders/{id}", f.handleSupportOrder())

	// The API's paths belong to the other functions: an unknown one is
	// answered in the API's error shape, without a page around it.
	mux.HandleFunc("/api/", httpx.NotFound)
	mux.Handle("/", f.handleNotFound())
	return httpx.Standard(f.logger, secureHeaders(f.crossOrigin(mux)))
}

// crossOrigin refuses unsafe requests that a browser marks as sent from
// another site (Sec-Fetch-Site, Origin) with a page saying so.
func (f *Function) crossOrigin(h http.Handler) http.Handler {
	p := http.NewCrossOriginProtection()
	if f.trusted != "" {
		p.AddTrustedOrigin(f.trusted) // OriginOf made it a bare origin
	}
	p.SetDenyHandler(f.handleCrossOrigin())
	return p.Handler(h)
}

// contentSecurityPolicy lets pages load only our own stylesheet and
// scripts, and Stripe.js with the frames and calls it makes. Forms post
// only here; the Get paid form's answer sends the browser on to Stripe's
// onboarding (stripeDomains), which form-action must allow as well.
const contentSecurityPolicy = "default-src 'self'; " +
	"script-src 'self' https://js.stripe.com; " +
	"frame-src https://js.stripe.com https://hooks.stripe.com; " +
	"connect-src 'self' https://api.stripe.com; " +
	"img-src 'self' data:; style-src 'self'; " +
	"base-uri 'none'; form-action 'self' https://*.stripe.com https://*.stripe.me; frame-ancestors 'none'"

// secureHeaders sets the headers every answer carries.
func secureHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		h.ServeHTTP(w, r)
	})
}
