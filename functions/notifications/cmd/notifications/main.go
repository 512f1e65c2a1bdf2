// Command notifications serves the notifications function on its own, as it
// runs in production: settings from the environment, its store in
// Firestore, emails handed to the relay at SMTP_URL.
package main

import (
	"context"

	"github.com/buytickets/buytickets/eventing/command"
	"github.com/buytickets/buytickets/functions/notifications"
	"github.com/buytickets/buytickets/shared/launch"
)

// realMain serves notifications with its settings (notifications.Config)
// and what every member of the event plane reads (DESIGN §7).
var realMain = command.Serve("notifications", func(_ context.Context, cfg notifications.Config, env command.Env) (launch.Function, error) {
	return notifications.New(cfg, notifications.Deps{Events: env.Events, Store: env.Store, Logger: env.Logger})
})

func main() { launch.Main("notifications", realMain) }
