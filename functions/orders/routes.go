package orders

import (
	"net/http"

	sharedauth "github.com/buytickets/buytickets/shared/auth"
)

// routes is the function's whole HTTP surface. The API needs a signed-in
// user (an admin, for an order's history), and its mutations,
// authenticated by cookie, refuse cross-site requests; the broker delivers events to /events and the PingSource
// sweeps the outbox at /outbox/sweep (outbox.Footing.Mux), neither with a
// session.
func (f *Function) routes() http.Handler {
	mux := f.ft.Mux(f.receiver(), func() {
		f.ft.Box.Notify()
		f.received.Notify()
	})
	mux.Handle("POST /api/orders", f.ft.Mutation(f.handleCreate()))
	mux.Handle("GET /api/orders", f.ft.SignedIn(f.handleList()))
	mux.Handle("GET /api/orders/{id}", f.ft.SignedIn(f.handleShow()))
	mux.Handle("GET /api/orders/{id}/history", f.ft.SignedIn(sharedauth.RequireAdmin(f.handleHistory())))
	mux.Handle("DELETE /api/orders/{id}", f.ft.Mutation(f.handleCancel()))
	return f.ft.Handler(mux)
}
