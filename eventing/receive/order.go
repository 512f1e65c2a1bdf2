package receive

import (
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/shared/apperr"
)

// ErrTooEarly is an event about an entity whose previous version the
// replica has not applied yet. Handler answers it 409, so the broker
// redelivers it later, by which time its predecessor may have arrived.
var ErrTooEarly = apperr.New(apperr.Conflict, "Event arrived before its predecessor")

// InOrder decides whether a replica applies ev, an event about a versioned
// entity, given what it holds of that entity: version held, or nothing
// (holds false). It applies only the version right after the one it holds,
// or version 0 (the creation) when it holds nothing. An older or equal
// version is ignored: (false, nil), which Handler answers 200. A version
// beyond the next is ErrTooEarly; a missing or malformed entityversion is
// eventing.ErrUndecodable.
func InOrder(ev event.Event, held int, holds bool) (bool, error) {
	v, err := eventing.EntityVersion(ev)
	if err != nil {
		return false, err
	}
	next := 0
	if holds {
		next = held + 1
	}
	switch {
	case holds && v <= held:
		return false, nil
	case v == next:
		return true, nil
	default:
		return false, ErrTooEarly
	}
}
