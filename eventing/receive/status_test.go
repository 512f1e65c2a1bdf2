package receive

import (
	"testing"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/shared/apperr"
)

// The statuses receivers answer mean to the broker what their comments in
// statusOf say, by the one retry table.
func TestStatusOfAgreesWithTheRetryTable(t *testing.T) {
	t.Parallel()
	want := map[apperr.Kind]eventing.Outcome{
		apperr.Internal:        eventing.Retry,
		apperr.Invalid:         eventing.DeadLetter,
		apperr.Unauthorized:    eventing.DeadLetter,
		apperr.NotFound:        eventing.Retry,
		apperr.Conflict:        eventing.Retry,
		apperr.Unavailable:     eventing.Retry,
		apperr.TooLarge:        eventing.DeadLetter,
		apperr.Unsupported:     eventing.DeadLetter,
		apperr.PaymentRequired: eventing.DeadLetter,
	}
	for kind, status := range statusOf {
		if got := eventing.Classify(status); got != want[kind] {
			t.Errorf("kind %v answers %d, read as %v, want %v", kind, status, got, want[kind])
		}
	}
}
