package payouts

import "net/http"

// SweepPath is where the PingSource payouts-release posts ("POST
// /payouts/sweep"): it releases the payouts due, re-drives the transfers
// whose outcome was never recorded and reverses those owed back.
const SweepPath = "/payouts/sweep"

// routes is the function's whole HTTP surface. A seller reads their
// account and payouts signed in; onboarding is a mutation, refused to
// cross-site requests. Stripe posts Connect's events to the webhook, which
// its signature authenticates; the broker delivers to /events and the
// PingSources post to the two sweeps (the outbox's by outbox.Footing.Mux).
func (f *Function) routes() http.Handler {
	mux := f.ft.Mux(f.receiver(), f.afterEvent)
	mux.Handle("POST /api/payouts/onboarding", f.ft.Mutation(f.handleOnboarding()))
	mux.Handle("GET /api/payouts/account", f.ft.SignedIn(f.handleAccount()))
	mux.Handle("GET /api/payouts", f.ft.SignedIn(f.handleList()))
	mux.Handle("POST /api/payouts/webhook", f.handleWebhook())
	mux.Handle("POST "+SweepPath, f.ft.Events.Sweep(f.handleSweep()))
	return f.ft.Handler(mux)
}
