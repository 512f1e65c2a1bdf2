package orders

import (
	"net/http"

	"github.com/buytickets/buytickets/eventing/outbox"
	"github.com/buytickets/buytickets/eventing/receive"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/logging"
	"github.com/buytickets/buytickets/shared/server"
)

// routes is the function's whole HTTP surface. The API needs a signed-in
// user, and its mutations, authenticated by cookie, refuse cross-site
// requests; the broker delivers events to /events and the PingSource
// sweeps the outbox at /outbox/sweep, neither with a session.
func (f *Function) routes() http.Handler {
	signedIn := func(h http.Handler) http.Handler {
		return sharedauth.Middleware(f.tokens)(sharedauth.RequireUser(h))
	}
	mutation := func(h http.Handler) http.Handler {
		return httpx.CrossOriginProtection(signedIn(h))
	}
	mux := httpx.NewMux()
	mux.Handle("GET /healthz", server.Health())
	mux.Handle("POST /api/orders", mutation(f.handleCreate()))
	mux.Handle("GET /api/orders", signedIn(f.handleList()))
	mux.Handle("GET /api/orders/{id}", signedIn(f.handleShow()))
	mux.Handle("DELETE /api/orders/{id}", mutation(f.handleCancel()))
	mux.Handle("POST "+receive.Path, receive.Handler(f.db, f.receiveEvent, receive.AfterCommit(f.box.Notify)))
	mux.Handle("POST "+outbox.SweepPath, f.box.SweepHandler())
	return f.withLogger(httpx.RequestLogger(httpx.Recover(mux)))
}

// withLogger puts the function's logger, when it has one, into the request's
// context for RequestLogger to tag.
func (f *Function) withLogger(h http.Handler) http.Handler {
	if f.logger == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(logging.WithLogger(r.Context(), f.logger)))
	})
}
