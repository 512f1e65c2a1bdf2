package testenv

import (
	"os"
	"strings"
	"testing"
)

func TestCommandFailsEachChecksEveryStart(t *testing.T) {
	t.Parallel()
	const line = "cmd: config: missing required setting X\n"
	CommandFailsEach(t, []FailedStart{
		{"status 1 with the line", []string{"EXIT=1", "STDERR=" + line}, line},
		{"status 1 with another line", []string{"EXIT=1", "STDERR=cmd: other\n"}, "cmd: other\n"},
	})
}

func TestSetFirestoreEnvPointsAtANewProjectOnTheEmulator(t *testing.T) {
	SetFirestoreEnv(t, "things")
	for k, want := range map[string]string{
		"FIRESTORE_DATABASE":      "things",
		"FIRESTORE_EMULATOR_HOST": FirestoreEmulator(t),
		"LOG_LEVEL":               "error",
	} {
		if got := os.Getenv(k); got != want {
			t.Errorf("%s=%q, want %q", k, got, want)
		}
	}
	if project := os.Getenv("GOOGLE_CLOUD_PROJECT"); !strings.HasPrefix(project, "things-main") {
		t.Errorf("GOOGLE_CLOUD_PROJECT=%q, want a project named after the database", project)
	}
}
