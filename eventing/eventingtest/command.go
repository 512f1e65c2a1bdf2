package eventingtest

import (
	"context"
	"strings"
	"testing"

	"github.com/buytickets/buytickets/shared/testenv"
)

// CommandSettings returns the settings function's production command
// requires, in the order it reads them: own, the function's, then what
// every member of the event plane reads (command.Serve): EVENTS_ISSUER,
// EVENTS_AUDIENCE (the function's) and GOOGLE_CLOUD_PROJECT.
func CommandSettings(function string, own ...string) testenv.Settings {
	return append(testenv.Settings(own),
		"EVENTS_ISSUER=https://issuer.example", "EVENTS_AUDIENCE=buytickets/"+function, "GOOGLE_CLOUD_PROJECT=p")
}

// ServeCommand serves function's production command, realMain, until the
// test ends, as a cluster runs it: env (NAME=value each) set, the event
// plane's settings from ClusterEnv and its database on the Firestore
// emulator. It returns the command and the receiver at it, whose Issuer
// signs deliveries as the cluster's does.
func ServeCommand(t *testing.T, function string, realMain func(context.Context) error, env ...string) (*testenv.Command, Receiver) {
	t.Helper()
	for _, kv := range env {
		name, value, _ := strings.Cut(kv, "=")
		t.Setenv(name, value)
	}
	issuer := ClusterEnv(t, function)
	testenv.SetFirestoreEnv(t, function)
	cmd := testenv.ServeCommand(t, realMain)
	return cmd, Receiver{TB: t, URL: cmd.URL, Function: function, Issuer: issuer}
}
