package etickets

import (
	"net/http"

	sharedauth "github.com/buytickets/buytickets/shared/auth"
)

// routes is the function's whole HTTP surface. Holders and issuers read
// e-tickets signed in, and admins the e-ticket of any order; a check-in is
// a mutation, refused to cross-site requests; anyone may fetch the public
// key that verifies codes. The broker delivers order.completed,
// payment.refunded, ticket.created and ticket.updated to /events, and the
// PingSource sweeps the outbox (outbox.Footing.Mux).
func (f *Function) routes() http.Handler {
	mux := f.ft.Mux(f.receiver(), nil)
	mux.Handle("GET /api/etickets", f.ft.SignedIn(byOrder(sharedauth.RequireAdmin(f.handleOfOrder()), f.handleList())))
	mux.Handle("GET /api/etickets/key", f.handleKey())
	mux.Handle("GET /api/etickets/{code}", f.ft.SignedIn(f.handleShow()))
	mux.Handle("GET /api/etickets/{code}/qr.svg", f.ft.SignedIn(f.handleQR()))
	mux.Handle("POST /api/checkins", f.ft.Mutation(f.handleCheckIn()))
	return f.ft.Handler(mux)
}
