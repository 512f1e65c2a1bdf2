package payments

import (
	"net/http"

	"github.com/buytickets/buytickets/eventing/outbox"
	"github.com/buytickets/buytickets/eventing/receive"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/server"
)

// SweepPath is where the PingSource payments-redrive posts ("POST
// /payments/sweep"): it re-drives the claims whose outcome was never
// recorded and settles the refunds still due.
const SweepPath = "/payments/sweep"

// routes is the function's whole HTTP surface. Paying needs a signed-in
// buyer, and reading an order's payments an admin; the payment requests,
// authenticated by cookie, refuse cross-site requests. Stripe posts its
// events to the webhook, which the ingress routes publicly and which its
// signature authenticates; the broker delivers order events to /events and
// the PingSources post to the two sweeps, none of them with a session.
func (f *Function) routes() http.Handler {
	signedIn, mutation := f.ft.SignedIn(), f.ft.Mutation()
	mux := httpx.NewMux()
	mux.Handle("GET /healthz", server.Health())
	mux.Handle("GET /api/payments", signedIn(f.handleList()))
	mux.Handle("POST /api/payments", mutation(f.handleCharge()))
	mux.Handle("POST /api/payments/intents", mutation(f.handleIntent()))
	mux.Handle("POST /api/payments/webhook", f.handleWebhook())
	mux.Handle("POST "+receive.Path, f.ft.Events.Events(receive.Handler(f.ft.DB, f.receiver(), receive.AfterCommit(f.afterEvent))))
	mux.Handle("POST "+outbox.SweepPath, f.ft.Events.Sweep(f.ft.Box.SweepHandler()))
	mux.Handle("POST "+SweepPath, f.ft.Events.Sweep(f.handleSweep()))
	return httpx.Standard(f.ft.Logger, mux)
}
