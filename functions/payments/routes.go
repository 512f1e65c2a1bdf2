package payments

import (
	"net/http"

	sharedauth "github.com/buytickets/buytickets/shared/auth"
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
// the PingSources post to the two sweeps (the outbox's by
// outbox.Footing.Mux), none of them with a session.
func (f *Function) routes() http.Handler {
	mux := f.ft.Mux(f.receiver(), f.afterEvent)
	mux.Handle("GET /api/payments", f.ft.SignedIn(sharedauth.RequireAdmin(f.handleList())))
	mux.Handle("POST /api/payments", f.ft.Mutation(f.handleCharge()))
	mux.Handle("POST /api/payments/intents", f.ft.Mutation(f.handleIntent()))
	mux.Handle("POST /api/payments/webhook", f.handleWebhook())
	mux.Handle("POST "+SweepPath, f.ft.Events.Sweep(f.handleSweep()))
	return f.ft.Handler(mux)
}
