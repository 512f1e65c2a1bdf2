package testenv

import (
	"context"
	"testing"
)

// Background runs run on a goroutine of its own, as a function's Run or a
// relay's loop runs beside its server, until tb ends: then it cancels
// run's context and waits for run to return, so that nothing outlives the
// test.
func Background(tb testing.TB, run func(ctx context.Context)) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		run(ctx)
	}()
	tb.Cleanup(func() {
		cancel()
		<-done
	})
}
