package payouts

import (
	"net/http"

	"github.com/buytickets/buytickets/eventing/outbox"
	"github.com/buytickets/buytickets/eventing/receive"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/server"
)

// SweepPath is where the PingSource payouts-release posts ("POST
// /payouts/sweep"): it releases the payouts due, re-drives the transfers
// whose outcome was never recorded and reverses those owed back.
const SweepPath = "/payouts/sweep"

// routes is the function's whole HTTP surface. A seller reads their
// account and payouts signed in; onboarding is a mutation, refused to
// cross-site requests. Stripe posts Connect's events to the webhook, which
// its signature authenticates; the broker delivers to /events and the
// PingSources post to the two sweeps.
func (f *Function) routes() http.Handler {
	signedIn, mutation := f.ft.SignedIn(), f.ft.Mutation()
	mux := httpx.NewMux()
	mux.Handle("GET /healthz", server.Health())
	mux.Handle("POST /api/payouts/onboarding", mutation(f.handleOnboarding()))
	mux.Handle("GET /api/payouts/account", signedIn(f.handleAccount()))
	mux.Handle("GET /api/payouts", signedIn(f.handleList()))
	mux.Handle("POST /api/payouts/webhook", f.handleWebhook())
	mux.Handle("POST "+receive.Path, f.ft.Events.Events(receive.Handler(f.ft.DB, f.receiver(), receive.AfterCommit(f.afterEvent))))
	mux.Handle("POST "+outbox.SweepPath, f.ft.Events.Sweep(f.ft.Box.SweepHandler()))
	mux.Handle("POST "+SweepPath, f.ft.Events.Sweep(f.handleSweep()))
	return httpx.Standard(f.ft.Logger, mux)
}
