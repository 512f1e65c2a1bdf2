// Command payments serves the payments function on its own, as it runs in
// production: settings from the environment, the Stripe keys among them,
// payments in Firestore, events relayed to the broker at K_SINK.
package main

import (
	"context"

	"github.com/buytickets/buytickets/eventing/command"
	"github.com/buytickets/buytickets/functions/payments"
	"github.com/buytickets/buytickets/shared/launch"
)

// realMain serves payments with its settings (payments.Config), the
// broker's address (K_SINK), the public address whose origin it trusts
// (PUBLIC_URL) and what every member of the event plane
// reads (DESIGN §7).
var realMain = command.Serve("payments", func(_ context.Context, s command.Publishing[payments.Config], env command.Env) (launch.Function, error) {
	return payments.New(s.Config, payments.Deps{Deps: s.Deps(env)})
})

func main() { launch.Main("payments", realMain) }
