// Command payouts serves the payouts function on its own, as it runs in
// production: settings from the environment, payouts in Firestore, Stripe
// Connect at STRIPE_KEY's account, events relayed to the broker at K_SINK.
package main

import (
	"context"

	"github.com/buytickets/buytickets/eventing/command"
	"github.com/buytickets/buytickets/functions/payouts"
	"github.com/buytickets/buytickets/shared/launch"
)

// realMain serves payouts with its settings (payouts.Config), the broker's
// address (K_SINK) and what every member of the event plane reads
// (DESIGN §7).
var realMain = command.Serve("payouts", func(_ context.Context, s command.Publishing[payouts.Config], env command.Env) (launch.Function, error) {
	return payouts.New(s.Config, payouts.Deps{Deps: s.Deps(env)})
})

func main() { launch.Main("payouts", realMain) }
