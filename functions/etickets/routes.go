package etickets

import (
	"net/http"

	"github.com/buytickets/buytickets/eventing/outbox"
	"github.com/buytickets/buytickets/eventing/receive"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/server"
)

// routes is the function's whole HTTP surface. Holders and issuers read
// e-tickets signed in; a check-in is a mutation, refused to cross-site
// requests; anyone may fetch the public key that verifies codes. The broker
// delivers order.completed, payment.refunded, ticket.created and
// ticket.updated to /events, and the PingSource sweeps the outbox.
func (f *Function) routes() http.Handler {
	signedIn, mutation := f.ft.SignedIn(), f.ft.Mutation()
	mux := httpx.NewMux()
	mux.Handle("GET /healthz", server.Health())
	mux.Handle("GET /api/etickets", signedIn(f.handleList()))
	mux.Handle("GET /api/etickets/key", f.handleKey())
	mux.Handle("GET /api/etickets/{code}", signedIn(f.handleShow()))
	mux.Handle("GET /api/etickets/{code}/qr.svg", signedIn(f.handleQR()))
	mux.Handle("POST /api/checkins", mutation(f.handleCheckIn()))
	mux.Handle("POST "+receive.Path, f.ft.Events.Events(receive.Handler(f.ft.DB, f.receiver(), receive.AfterCommit(f.ft.Box.Notify))))
	mux.Handle("POST "+outbox.SweepPath, f.ft.Events.Sweep(f.ft.Box.SweepHandler()))
	return httpx.Standard(f.ft.Logger, mux)
}
