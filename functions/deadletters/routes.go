package deadletters

import (
	"net/http"

	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/server"
)

// routes is the function's whole HTTP surface: the Broker hands dead
// letters to POST /events; operators list and replay them (see the package
// comment for who can reach these).
func (f *Function) routes() http.Handler {
	mux := server.NewMux()
	mux.Handle("POST /events", f.events.Events(f.receiveDeadLetter()))
	mux.Handle("GET /deadletters", f.events.Operators(f.handleList()))
	mux.Handle("POST /deadletters/{id}/replay", f.events.Operators(f.handleReplay()))
	return httpx.Standard(f.logger, mux)
}
