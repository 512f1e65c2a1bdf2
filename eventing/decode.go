package eventing

import (
	"errors"
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/cloudevents/sdk-go/v2/types"

	"github.com/buytickets/buytickets/shared/apperr"
)

// ErrUndecodable is an event whose data or entityversion cannot be read. A
// receiver answers it 400: redelivering it would not help.
var ErrUndecodable = apperr.New(apperr.Invalid, "Undecodable event")

// Decode reads the JSON data of ev into dst, a pointer to its payload type.
// It fails with ErrUndecodable when the data is missing, not JSON or not of
// dst's shape.
func Decode(ev event.Event, dst any) error {
	if len(ev.Data()) == 0 {
		return ErrUndecodable.With(fmt.Errorf("eventing.Decode %s %s: no data", ev.Type(), ev.ID()))
	}
	if ct := ev.DataMediaType(); ct != "" && ct != event.ApplicationJSON {
		return ErrUndecodable.With(fmt.Errorf("eventing.Decode %s %s: data is %s, not JSON", ev.Type(), ev.ID(), ct))
	}
	if err := ev.DataAs(dst); err != nil {
		return ErrUndecodable.With(fmt.Errorf("eventing.Decode %s %s: %w", ev.Type(), ev.ID(), err))
	}
	return nil
}

// EntityVersion returns the entityversion extension of ev. It fails with
// ErrUndecodable when ev has none or it is not a non-negative integer.
func EntityVersion(ev event.Event) (int, error) {
	v, ok := ev.Extensions()[ExtensionEntityVersion]
	if !ok {
		return 0, ErrUndecodable.With(fmt.Errorf("eventing.EntityVersion %s %s: no %s", ev.Type(), ev.ID(), ExtensionEntityVersion))
	}
	n, err := types.ToInteger(v)
	if err == nil && n < 0 {
		err = errors.New("negative")
	}
	if err != nil {
		return 0, ErrUndecodable.With(fmt.Errorf("eventing.EntityVersion %s %s: %s %v: %w", ev.Type(), ev.ID(), ExtensionEntityVersion, v, err))
	}
	return int(n), nil
}

// Undecodable classifies err, about the content of ev, as ErrUndecodable:
// a receiver answers it 400, for the dead-letter sink, since no redelivery
// would change it.
func Undecodable(ev event.Event, err error) error {
	return ErrUndecodable.With(fmt.Errorf("%s %s: %w", ev.Type(), ev.ID(), err))
}
