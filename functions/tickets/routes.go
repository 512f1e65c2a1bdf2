package tickets

import "net/http"

// routes is the function's whole HTTP surface. The API reads the session
// cookie, and its mutations are refused to cross-site requests; the broker
// delivers order and e-ticket events to POST /events and the PingSource
// posts to the outbox sweep (outbox.Footing.Mux), both server to server,
// with no cookie to protect.
func (f *Function) routes() http.Handler {
	mux := f.ft.Mux(f.receiver(), nil)
	mux.Handle("POST /api/tickets", f.ft.Mutation(f.handleCreate()))
	mux.Handle("GET /api/tickets", f.ft.Session(f.handleList()))
	mux.Handle("GET /api/tickets/{id}", f.handleGet())
	mux.Handle("PUT /api/tickets/{id}", f.ft.Mutation(f.handleUpdate()))
	mux.Handle("DELETE /api/tickets/{id}", f.ft.Mutation(f.handleDelete()))
	return f.ft.Handler(mux)
}
