package testenv

import (
	"testing"
	"time"
)

// Eventually polls cond every 10 ms until it holds, and fails tb, naming
// what it waited for, when cond still does not hold after within. Tests
// use it for what happens on another goroutine or process: a relay's
// send, a broker's delivery, a scheduler's call.
func Eventually(tb testing.TB, within time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("not %s after %v", what, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
