package tickets

import (
	"net/http"

	"github.com/buytickets/buytickets/eventing/outbox"
	"github.com/buytickets/buytickets/eventing/receive"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/logging"
	"github.com/buytickets/buytickets/shared/server"
)

// routes is the function's whole HTTP surface. The API reads the session
// cookie, and its mutations are refused to cross-site requests; the broker
// delivers order events to POST /events and the PingSource posts to the
// outbox sweep, both server to server, with no cookie to protect.
func (f *Function) routes() http.Handler {
	session := sharedauth.Middleware(f.tokens)
	mutation := func(h http.Handler) http.Handler {
		return httpx.CrossOriginProtection(session(sharedauth.RequireUser(h)))
	}
	mux := httpx.NewMux()
	mux.Handle("GET /healthz", server.Health())
	mux.Handle("POST /api/tickets", mutation(f.handleCreate()))
	mux.Handle("GET /api/tickets", session(f.handleList()))
	mux.Handle("GET /api/tickets/{id}", f.handleGet())
	mux.Handle("PUT /api/tickets/{id}", mutation(f.handleUpdate()))
	mux.Handle("POST "+receive.Path, receive.Handler(f.db, f.receive, receive.AfterCommit(f.box.Notify)))
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
