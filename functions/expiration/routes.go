package expiration

import (
	"net/http"

	"github.com/buytickets/buytickets/eventing/outbox"
	"github.com/buytickets/buytickets/eventing/receive"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/server"
)

// routes is the function's whole HTTP surface. The scheduler calls
// /tasks/expire, which takes only the scheduler's calls; the broker
// delivers events to /events and the PingSource sweeps the outbox (and
// the scheduler's intents) at /outbox/sweep. Only /tasks/expire is routed
// publicly in production.
func (f *Function) routes() http.Handler {
	mux := server.NewMux()
	mux.Handle("POST "+TasksPath, f.requireScheduler(f.handleExpire()))
	mux.Handle(receive.Mount(f.pub.Events, f.pub.DB, f.receiver(), receive.AfterCommit(f.afterCommit)))
	mux.Handle("POST "+outbox.SweepPath, f.pub.Events.Sweep(f.handleSweep()))
	return httpx.Standard(f.logger, mux)
}

// afterCommit wakes the outbox relay and the scheduler after an event's
// effect has committed.
func (f *Function) afterCommit() {
	f.pub.Box.Notify()
	f.tasks.Notify()
}
