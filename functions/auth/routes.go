package auth

import (
	"net/http"

	"github.com/buytickets/buytickets/eventing/outbox"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/server"
)

// limited is h within the per-address budget, unless RATE_LIMITS=off.
func (f *Function) limited(h http.Handler) http.Handler {
	if f.perAddress == nil {
		return h
	}
	return f.perAddress.Limit(h)
}

// routes is the function's whole HTTP surface. The API's POSTs change the
// session the browser's cookies hold, so cross-site requests to them are
// refused; the PingSource posts to the outbox sweep, server to server, with
// no cookie to protect.
func (f *Function) routes() http.Handler {
	mux := httpx.NewMux()
	mux.Handle("GET /healthz", server.Health())
	mux.Handle("POST /api/users/signup", f.ft.Changes(f.limited(f.handleSignup())))
	mux.Handle("POST /api/users/signin", f.ft.Changes(f.limited(f.handleSignin())))
	mux.Handle("POST /api/users/signout", f.ft.Changes(sharedauth.Middleware(f.ft.Tokens)(f.handleSignout())))
	mux.Handle("POST /api/users/refresh", f.ft.Changes(f.handleRefresh()))
	mux.Handle("GET /api/users/currentuser", sharedauth.Middleware(f.ft.Tokens)(f.handleCurrentUser()))
	mux.Handle("GET /api/users", f.adminsOnly(f.handleFindUsers()))
	mux.Handle("POST /api/users/{id}/ban", f.ft.Changes(f.adminsOnly(f.handleBan())))
	mux.Handle("DELETE /api/users/{id}/ban", f.ft.Changes(f.adminsOnly(f.handleUnban())))
	mux.Handle("POST "+outbox.SweepPath, f.ft.Events.Sweep(f.ft.Box.SweepHandler()))
	return httpx.Standard(f.ft.Logger, mux)
}
