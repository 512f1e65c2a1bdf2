package testenv

import (
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

func TestEventuallyReturnsOnceTheConditionHolds(t *testing.T) {
	t.Parallel()
	var polls atomic.Int32
	failures := Record(t, func(tb testing.TB) {
		Eventually(tb, time.Minute, "three polls", func() bool { return polls.Add(1) == 3 })
	})
	if len(failures) != 0 || polls.Load() != 3 {
		t.Errorf("failures %q after %d polls, want none after 3", failures, polls.Load())
	}
}

func TestEventuallyFailsNamingWhatItWaitedFor(t *testing.T) {
	t.Parallel()
	failures := Record(t, func(tb testing.TB) {
		Eventually(tb, 30*time.Millisecond, "the sky falling", func() bool { return false })
		tb.Errorf("Eventually returned")
	})
	if want := []string{"not the sky falling after 30ms"}; !slices.Equal(failures, want) {
		t.Errorf("failures %q, want %q", failures, want)
	}
}
