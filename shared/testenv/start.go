package testenv

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

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

// JWTKey is a JWT_KEY setting that every function takes, long enough to
// sign and verify access tokens with: the commands' tests start them with
// it and sign their users' tokens with it.
const JWTKey = "testenv-jwt-key-0123456789abcdef"

// Settings is a command's environment as NAME=value entries: the valid
// set from which each failed start of its tests takes a setting away
// (Without) or changes one (With).
type Settings []string

// Without returns a copy of s less the settings named.
func (s Settings) Without(names ...string) []string {
	var out []string
	for _, kv := range s {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(names, name) {
			out = append(out, kv)
		}
	}
	return out
}

// With returns a copy of s in which each NAME=value of env takes the place
// of s's setting of that name, or is added after them when s has none.
func (s Settings) With(env ...string) []string {
	out := append([]string(nil), s...)
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		i := 0
		for i < len(out) && !strings.HasPrefix(out[i], name+"=") {
			i++
		}
		if i == len(out) {
			out = append(out, kv)
		} else {
			out[i] = kv
		}
	}
	return out
}

// Refusals returns the starts with which the command name must refuse to
// run when s is its required settings, each with a valid value, in the
// order its settings struct declares them (the order in which its one line
// names the missing ones): with no settings at all, with each of s left
// out, and with s changed by each key of bad (a NAME=value, as With takes
// it), whose line is "name: " and bad's value for that key, sorted by key.
func (s Settings) Refusals(name string, bad map[string]string) []FailedStart {
	names := make([]string, len(s))
	for i, kv := range s {
		names[i], _, _ = strings.Cut(kv, "=")
	}
	prefix := name + ": config: missing required setting"
	starts := []FailedStart{{Name: "no settings", Stderr: prefix + "s " + strings.Join(names, ", ") + "\n"}}
	for _, n := range names {
		starts = append(starts, FailedStart{Name: "no " + n, Env: s.Without(n), Stderr: prefix + " " + n + "\n"})
	}
	for _, kv := range slices.Sorted(maps.Keys(bad)) {
		starts = append(starts, FailedStart{Name: kv, Env: s.With(kv), Stderr: name + ": " + bad[kv] + "\n"})
	}
	return starts
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
