package testenv

import "testing"

// FailedStart is a start with which a command must refuse to run: with
// exactly Env as its environment it writes Stderr, its one line, and
// exits 1 (CommandFails).
type FailedStart struct {
	Name   string
	Env    []string
	Stderr string
}

// CommandFailsEach runs CommandFails for each start as a parallel subtest
// of t named after it.
func CommandFailsEach(t *testing.T, starts []FailedStart) {
	t.Helper()
	for _, s := range starts {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			CommandFails(t, s.Stderr, s.Env...)
		})
	}
}

// SetFirestoreEnv sets, until tb ends, the environment under which a
// function's command stores in database on a project of its own (named
// after database) on this binary's Firestore emulator, and logs errors
// only. Like tb.Setenv, it cannot be used in parallel tests.
func SetFirestoreEnv(tb testing.TB, database string) {
	tb.Helper()
	host := FirestoreEmulator(tb)
	tb.Setenv("GOOGLE_CLOUD_PROJECT", UniqueID(database+"-main"))
	tb.Setenv("FIRESTORE_DATABASE", database)
	tb.Setenv("FIRESTORE_EMULATOR_HOST", host)
	tb.Setenv("LOG_LEVEL", "error")
}
