package testenv

import (
	"context"
	"testing"
)

func TestBackgroundRunsUntilTheTestEndsThenWaits(t *testing.T) {
	t.Parallel()
	started, returned := make(chan struct{}), false
	failures := Record(t, func(tb testing.TB) {
		Background(tb, func(ctx context.Context) {
			close(started)
			<-ctx.Done()
			returned = true
		})
		<-started
		if returned {
			tb.Errorf("run returned before the test ended")
		}
	})
	if len(failures) != 0 || !returned {
		t.Errorf("failures %q, returned %v; want run cancelled and waited for at cleanup", failures, returned)
	}
}
