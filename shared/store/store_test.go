package store

import (
	"regexp"
	"strings"
	"testing"
)

// The names and paths the store accepts are those of these patterns,
// which the validators spell out by hand.
func FuzzNamesAreThoseOfThePatterns(f *testing.F) {
	collection := regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,99}$`)
	field := regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)
	for _, s := range []string{
		"", "a", "Z", "_", "-", "1", "a1", "a_b", "a-b", "_a", "1a", "a.b", "a..b", ".a", "a.", "a.1", "a._1",
		"ticket.id", "outbox_v2", "é", "a\n", "a b", "a$", "\x00", "__x__", "a.b.c", "A9.z_",
		strings.Repeat("a", 100), strings.Repeat("a", 101), "a" + strings.Repeat("-", 99), "a" + strings.Repeat("-", 100),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := validCollection(s), collection.MatchString(s); got != want {
			t.Errorf("validCollection(%q) = %v, want %v", s, got, want)
		}
		if got, want := validField(s), field.MatchString(s); got != want {
			t.Errorf("validField(%q) = %v, want %v", s, got, want)
		}
	})
}
