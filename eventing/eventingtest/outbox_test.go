package eventingtest_test

import (
	"testing"
	"time"

	"github.com/buytickets/buytickets/eventing/eventingtest"
)

func TestFastOutboxIsQuickAndBounded(t *testing.T) {
	t.Parallel()
	o := eventingtest.FastOutbox()
	if o.MinAge != time.Millisecond || o.MinBackoff != 5*time.Millisecond || o.MaxBackoff != 100*time.Millisecond {
		t.Errorf("options %+v, want 1 ms, 5 ms and 100 ms", o)
	}
	if o.Client == nil || o.Client.Timeout != 5*time.Second {
		t.Errorf("client %+v, want a 5 s timeout", o.Client)
	}
	if eventingtest.FastOutbox().Client == o.Client {
		t.Error("two calls share a client: one test's change would reach another")
	}
}
