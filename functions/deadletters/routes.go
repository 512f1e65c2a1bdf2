package deadletters

import (
	"net/http"

	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/logging"
	"github.com/buytickets/buytickets/shared/server"
)

// routes is the function's whole HTTP surface: the Broker hands dead
// letters to POST /events; operators list and replay them (see the package
// comment for who can reach these).
func (f *Function) routes() http.Handler {
	mux := httpx.NewMux()
	mux.Handle("GET /healthz", server.Health())
	mux.Handle("POST /events", f.receiveDeadLetter())
	mux.Handle("GET /deadletters", f.handleList())
	mux.Handle("POST /deadletters/{id}/replay", f.handleReplay())
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
