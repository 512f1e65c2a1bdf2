// Command etickets serves the etickets function on its own, as it runs in
// production: settings from the environment, e-tickets in Firestore, events
// relayed to the broker at K_SINK.
package main

import (
	"github.com/buytickets/buytickets/eventing/command"
	"github.com/buytickets/buytickets/functions/etickets"
	"github.com/buytickets/buytickets/shared/launch"
)

// realMain serves etickets with its settings (etickets.Config), the broker's
// address (K_SINK) and what every member of the event plane reads
// (DESIGN §7).
var realMain = command.Publisher("etickets", etickets.New)

func main() { launch.Main("etickets", realMain) }
