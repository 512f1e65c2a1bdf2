package testenv

import (
	"os"
	"slices"
	"strings"
	"testing"

	"cloud.google.com/go/cloudtasks/apiv2/cloudtaskspb"
)

func TestCommandFailsEachChecksEveryStart(t *testing.T) {
	t.Parallel()
	const line = "cmd: config: missing required setting X\n"
	CommandFailsEach(t, []FailedStart{
		{"status 1 with the line", []string{"EXIT=1", "STDERR=" + line}, line},
		{"status 1 with another line", []string{"EXIT=1", "STDERR=cmd: other\n"}, "cmd: other\n"},
	})
}

func TestSettingsTakeAwayOrChangeOneSetting(t *testing.T) {
	t.Parallel()
	valid := Settings{"A=1", "B=2", "C=3"}
	for _, tc := range []struct {
		name      string
		got, want []string
	}{
		{"without one", valid.Without("B"), []string{"A=1", "C=3"}},
		{"without two", valid.Without("A", "C"), []string{"B=2"}},
		{"without an unset one", valid.Without("AB"), []string{"A=1", "B=2", "C=3"}},
		{"with one changed", valid.With("B=x"), []string{"A=1", "B=x", "C=3"}},
		{"with one added", valid.With("D=4", "A=0"), []string{"A=0", "B=2", "C=3", "D=4"}},
		{"with a prefix of another", valid.With("AB=5"), []string{"A=1", "B=2", "C=3", "AB=5"}},
	} {
		if !slices.Equal(tc.got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, tc.got, tc.want)
		}
	}
	if valid[1] != "B=2" {
		t.Errorf("With changed the settings it copies: %q", valid)
	}
}

func TestRefusalsTakeAwayEachRequiredSettingThenChangeOne(t *testing.T) {
	t.Parallel()
	required := Settings{"B=2", "A=1"}
	got := required.Refusals("cmd", map[string]string{"B=x": "config: B is bad", "A=x": "config: A is bad"})
	want := []FailedStart{
		{"no settings", nil, "cmd: config: missing required settings B, A\n"},
		{"no B", []string{"A=1"}, "cmd: config: missing required setting B\n"},
		{"no A", []string{"B=2"}, "cmd: config: missing required setting A\n"},
		{"A=x", []string{"B=2", "A=x"}, "cmd: config: A is bad\n"},
		{"B=x", []string{"B=x", "A=1"}, "cmd: config: B is bad\n"},
	}
	if !slices.EqualFunc(got, want, func(a, b FailedStart) bool {
		return a.Name == b.Name && slices.Equal(a.Env, b.Env) && a.Stderr == b.Stderr
	}) {
		t.Errorf("Refusals:\n%q\nwant\n%q", got, want)
	}
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

func TestCloudTasksQueueIsOneOfTheTestsOwn(t *testing.T) {
	t.Parallel()
	host, first := CloudTasksQueue(t, "things")
	_, second := CloudTasksQueue(t, "things")
	if first == second || !strings.Contains(first, "/queues/things-") {
		t.Errorf("queues %q and %q, want two named afresh after things", first, second)
	}
	if _, err := CloudTasksClient(t, host).GetQueue(t.Context(), &cloudtaskspb.GetQueueRequest{Name: first}); err != nil {
		t.Errorf("the queue created is not on the emulator: %v", err)
	}
}
