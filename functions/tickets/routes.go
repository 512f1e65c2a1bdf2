package tickets

import (
	"net/http"

	"github.com/buytickets/buytickets/eventing/outbox"
	"github.com/buytickets/buytickets/eventing/receive"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/server"
)

// routes is the function's whole HTTP surface. The API reads the session
// cookie, and its mutations are refused to cross-site requests; the broker
// delivers order and e-ticket events to POST /events and the PingSource posts to the
// outbox sweep, both server to server, with no cookie to protect.
func (f *Function) routes() http.Handler {
	session, mutation := f.ft.Session(), f.ft.Mutation()
	mux := httpx.NewMux()
	mux.Handle("GET /healthz", server.Health())
	mux.Handle("POST /api/tickets", mutation(f.handleCreate()))
	mux.Handle("GET /api/tickets", session(f.handleList()))
	mux.Handle("GET /api/tickets/{id}", f.handleGet())
	mux.Handle("PUT /api/tickets/{id}", mutation(f.handleUpdate()))
	mux.Handle("DELETE /api/tickets/{id}", mutation(f.handleDelete()))
	mux.Handle("POST "+receive.Path, f.ft.Events.Events(receive.Handler(f.ft.DB, f.receiver(), receive.AfterCommit(f.ft.Box.Notify))))
	mux.Handle("POST "+outbox.SweepPath, f.ft.Events.Sweep(f.ft.Box.SweepHandler()))
	return httpx.Standard(f.ft.Logger, mux)
}
