package orders

import (
	"net/http"

	"github.com/buytickets/buytickets/eventing/outbox"
	"github.com/buytickets/buytickets/eventing/receive"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/server"
)

// routes is the function's whole HTTP surface. The API needs a signed-in
// user (an admin, for an order's history), and its mutations, authenticated by cookie, refuse cross-site
// requests; the broker delivers events to /events and the PingSource
// sweeps the outbox at /outbox/sweep, neither with a session.
func (f *Function) routes() http.Handler {
	signedIn, mutation := f.ft.SignedIn(), f.ft.Mutation()
	mux := httpx.NewMux()
	mux.Handle("GET /healthz", server.Health())
	mux.Handle("POST /api/orders", mutation(f.handleCreate()))
	mux.Handle("GET /api/orders", signedIn(f.handleList()))
	mux.Handle("GET /api/orders/{id}", signedIn(f.handleShow()))
	mux.Handle("GET /api/orders/{id}/history", signedIn(f.handleHistory()))
	mux.Handle("DELETE /api/orders/{id}", mutation(f.handleCancel()))
	mux.Handle("POST "+receive.Path, f.ft.Events.Events(receive.Handler(f.ft.DB, f.receiver(), receive.AfterCommit(f.ft.Box.Notify))))
	mux.Handle("POST "+outbox.SweepPath, f.ft.Events.Sweep(f.ft.Box.SweepHandler()))
	return httpx.Standard(f.ft.Logger, mux)
}
