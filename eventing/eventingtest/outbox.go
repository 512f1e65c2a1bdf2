package eventingtest

import (
	"net/http"
	"time"

	"github.com/buytickets/buytickets/eventing/outbox"
)

// FastOutbox returns outbox options quick enough for tests: entries are
// relayed from a millisecond old, retried after 5 ms and at most 100 ms
// apart, and a sink that hangs is given up after 5 s.
func FastOutbox() outbox.Options {
	return outbox.Options{
		MinAge:     time.Millisecond,
		MinBackoff: 5 * time.Millisecond,
		MaxBackoff: 100 * time.Millisecond,
		Client:     &http.Client{Timeout: 5 * time.Second},
	}
}
