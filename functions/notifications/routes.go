package notifications

import (
	"net/http"

	"github.com/buytickets/buytickets/eventing/receive"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/server"
)

// routes is the function's whole HTTP surface. The broker delivers the
// events that cause emails to /events; its PingSource posts the sweep; the
// unsubscribe link of an email asks with a GET and acts on a POST, from the
// page's form or in one click from the reader's mail client.
func (f *Function) routes() http.Handler {
	mux := server.NewMux()
	mux.Handle("GET "+UnsubscribePath, f.handleUnsubscribeForm())
	mux.Handle("POST "+UnsubscribePath, f.handleUnsubscribe())
	mux.Handle(receive.Mount(f.events, f.db, f.receiver(), receive.AfterCommit(f.wake.Notify)))
	mux.Handle("POST "+SweepPath, f.events.Sweep(f.handleSweep()))
	return httpx.Standard(f.logger, mux)
}
