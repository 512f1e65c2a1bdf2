package receive

import (
	"context"
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/shared/apperr"
	"github.com/buytickets/buytickets/shared/store"
)

// ErrUnexpectedType refuses an event of a type the receiver has no route
// for: a misrouted event (no Trigger of the function selects it), answered
// 400, for the dead-letter sink.
var ErrUnexpectedType = apperr.New(apperr.Invalid, "Unexpected event type")

// ErrForeignSource refuses an event whose source is not its type's producer
// (eventing.ProducerOf): tickets cannot speak for payments, nor anyone for
// a function. It is Unauthorized, answered 401 and dropped to the
// dead-letter sink, with no effect.
var ErrForeignSource = apperr.New(apperr.Unauthorized, "Event not from its producer")

// Route is how a receiver applies one event type. Make one with On.
type Route struct {
	typ   string
	apply Func
}

// On routes the events of type typ to fn, with their data decoded into a T
// by eventing.Decode: an event whose data is not a T is refused
// (eventing.ErrUndecodable, 400) before fn runs.
func On[T any](typ string, fn func(ctx context.Context, tx store.Tx, ev event.Event, data T) error) Route {
	return Route{typ: typ, apply: func(ctx context.Context, tx store.Tx, ev event.Event) error {
		var data T
		if err := eventing.Decode(ev, &data); err != nil {
			return err
		}
		return fn(ctx, tx, ev, data)
	}}
}

// Table returns the Func that applies each event by the route of its type,
// and refuses the types no route names with ErrUnexpectedType and an event
// from any source but its type's producer with ErrForeignSource. It panics
// on two routes for one type, a mistake in the code that builds it.
func Table(routes ...Route) Func {
	byType := make(map[string]Func, len(routes))
	for _, r := range routes {
		if _, dup := byType[r.typ]; dup {
			panic(fmt.Sprintf("receive.Table: two routes for %s", r.typ))
		}
		byType[r.typ] = r.apply
	}
	return func(ctx context.Context, tx store.Tx, ev event.Event) error {
		apply, ok := byType[ev.Type()]
		if !ok {
			return fmt.Errorf("%w: %s", ErrUnexpectedType, ev.Type())
		}
		if !eventing.FromProducer(ev) {
			return ErrForeignSource.With(fmt.Errorf("%s from %s", ev.Type(), ev.Source()))
		}
		return apply(ctx, tx, ev)
	}
}

// OrderEvents is the Table of a function that follows each order through
// its life, order.created and then order.cancelled or order.completed:
// such a function routes all three, each to its own fn, and the other
// routes it takes (its ban list's, say).
func OrderEvents(
	created func(ctx context.Context, tx store.Tx, ev event.Event, data eventing.OrderCreated) error,
	cancelled func(ctx context.Context, tx store.Tx, ev event.Event, data eventing.OrderCancelled) error,
	completed func(ctx context.Context, tx store.Tx, ev event.Event, data eventing.OrderCompleted) error,
	more ...Route,
) Func {
	return Table(append([]Route{
		On(eventing.TypeOrderCreated, created),
		On(eventing.TypeOrderCancelled, cancelled),
		On(eventing.TypeOrderCompleted, completed),
	}, more...)...)
}
