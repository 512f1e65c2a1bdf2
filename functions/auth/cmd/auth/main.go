// Command auth serves the auth function on its own, as it runs in
// production: settings from the environment, accounts in Firestore, events
// relayed to the broker at K_SINK.
package main

import (
	"github.com/buytickets/buytickets/eventing/command"
	"github.com/buytickets/buytickets/functions/auth"
	"github.com/buytickets/buytickets/shared/launch"
)

// realMain serves auth with its settings (auth.Config), the broker's
// address (K_SINK), the public address whose origin it trusts
// (PUBLIC_URL) and what every member of the event plane reads (DESIGN §7).
var realMain = command.Publisher("auth", auth.New)

func main() { launch.Main("auth", realMain) }
