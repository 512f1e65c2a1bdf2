// Command tickets serves the tickets function on its own, as it runs in
// production: settings from the environment, tickets in Firestore, events
// relayed to the broker at K_SINK.
package main

import (
	"github.com/buytickets/buytickets/eventing/command"
	"github.com/buytickets/buytickets/functions/tickets"
	"github.com/buytickets/buytickets/shared/launch"
)

// realMain serves tickets with its settings (tickets.Config), the broker's
// address (K_SINK) and what every member of the event plane reads
// (DESIGN §7).
var realMain = command.Publisher("tickets", tickets.New)

func main() { launch.Main("tickets", realMain) }
