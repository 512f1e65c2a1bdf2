// Command orders serves the orders function on its own, as it runs in
// production: settings from the environment, orders in Firestore, events
// relayed to the broker at K_SINK.
package main

import (
	"github.com/buytickets/buytickets/eventing/command"
	"github.com/buytickets/buytickets/functions/orders"
	"github.com/buytickets/buytickets/shared/launch"
)

// realMain serves orders with its settings (orders.Config), the broker's
// address (K_SINK) and what every member of the event plane reads
// (DESIGN §7).
var realMain = command.Publisher("orders", orders.New)

func main() { launch.Main("orders", realMain) }
