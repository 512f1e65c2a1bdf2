// Command notifications serves the notifications function on its own, as it
// runs in production: settings from the environment, its store in
// Firestore, emails handed to the relay at SMTP_URL.
package main

import (
	"context"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/identity"
	"github.com/buytickets/buytickets/functions/notifications"
	"github.com/buytickets/buytickets/shared/launch"
	"github.com/buytickets/buytickets/shared/store/firestore"
)

// settings is the process's environment (DESIGN §7).
type settings struct {
	launch.Settings
	Notifications notifications.Config
	// Events authenticates the event plane (EVENTS_ISSUER, EVENTS_AUDIENCE).
	Events identity.Settings
	firestore.Database
}

func main() { launch.Main("notifications", realMain) }

func realMain(ctx context.Context) error {
	return launch.Serve(ctx, func(_ context.Context, s *settings, env launch.Env) (launch.Function, error) {
		events, err := eventing.JoinCluster("notifications", s.Events)
		if err != nil {
			return nil, err
		}
		return notifications.New(s.Notifications, notifications.Deps{Events: events, Store: env.Store, Logger: env.Logger})
	})
}
