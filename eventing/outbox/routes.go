package outbox

import (
	"net/http"

	"github.com/buytickets/buytickets/eventing/receive"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/server"
)

// Mux returns the surface every function on a Footing shares, for its
// routes to add its own to: GET /healthz; POST /events (receive.Path),
// where the event plane delivers to fn and each effect, once committed,
// calls afterCommit (the relay's Notify when nil); and POST /outbox/sweep
// (SweepPath), where the PingSource sweeps the outbox.
func (ft Footing) Mux(fn receive.Func, afterCommit func()) *httpx.Mux {
	if afterCommit == nil {
		afterCommit = ft.Box.Notify
	}
	mux := server.NewMux()
	mux.Handle(receive.Mount(ft.Events, ft.DB, fn, receive.AfterCommit(afterCommit)))
	mux.Handle("POST "+SweepPath, ft.Events.Sweep(ft.Box.SweepHandler()))
	return mux
}

// Handler returns mux inside the middleware every function's surface has,
// with the function's logger (httpx.Standard).
func (ft Footing) Handler(mux http.Handler) http.Handler { return httpx.Standard(ft.Logger, mux) }

// Session returns h behind the session cookie, verified with the
// function's tokens: a signed-in user is in the request's context, and a
// signed-out request passes unchanged (auth.Middleware); a user on the
// function's ban list is refused 403 (banlist.Guard).
func (ft Footing) Session(h http.Handler) http.Handler {
	return sharedauth.Middleware(ft.Tokens)(ft.Bans.Guard(h))
}

// SignedIn returns h for signed-in users only, not banned: Session, then
// auth.RequireUser.
func (ft Footing) SignedIn(h http.Handler) http.Handler { return ft.Session(sharedauth.RequireUser(h)) }

// Mutation returns h for signed-in users' requests that change their data,
// refused when cross-site: SignedIn behind cross-origin protection.
func (ft Footing) Mutation(h http.Handler) http.Handler {
	return ft.Changes(ft.SignedIn(h))
}

// Changes returns h refusing cross-origin changes: ft.CrossOrigin, or
// httpx.CrossOriginProtection when the footing has none.
func (ft Footing) Changes(h http.Handler) http.Handler {
	if ft.CrossOrigin == nil {
		return httpx.CrossOriginProtection(h)
	}
	return ft.CrossOrigin(h)
}
