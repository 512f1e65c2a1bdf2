package orders

import (
	"context"
	"errors"

	"github.com/cloudevents/sdk-go/v2/event"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/receive"
	"github.com/buytickets/buytickets/functions/orders/internal/order"
	"github.com/buytickets/buytickets/functions/orders/internal/reservation"
	ordersstore "github.com/buytickets/buytickets/functions/orders/internal/store"
	"github.com/buytickets/buytickets/shared/tracing"
)

// metrics count what becomes of orders, as OpenTelemetry counters
// (exported when tracing exports): placed, expired, paid, and cancelled
// otherwise, by reason.
type metrics struct {
	placed, expired, paid, cancelled metric.Int64Counter
}

func newMetrics() (metrics, error) {
	m := tracing.Meter()
	unit := metric.WithUnit("{order}")
	var out metrics
	var errs [4]error
	out.placed, errs[0] = m.Int64Counter("buytickets.orders.placed", unit,
		metric.WithDescription("Orders placed, each reserving its ticket."))
	out.expired, errs[1] = m.Int64Counter("buytickets.orders.expired", unit,
		metric.WithDescription("Orders cancelled because their window passed unpaid."))
	out.paid, errs[2] = m.Int64Counter("buytickets.orders.paid", unit,
		metric.WithDescription("Orders completed by a payment."))
	out.cancelled, errs[3] = m.Int64Counter("buytickets.orders.cancelled", unit,
		metric.WithDescription("Orders cancelled before their window passed, by reason."))
	return out, errors.Join(errs[:]...)
}

// settled counts the orders evs settle: order.completed paid,
// order.cancelled expired or cancelled by its reason.
func (m metrics) settled(ctx context.Context, evs []event.Event) {
	for _, ev := range evs {
		switch ev.Type() {
		case eventing.TypeOrderCompleted:
			m.paid.Add(ctx, 1)
		case eventing.TypeOrderCancelled:
			var c eventing.OrderCancelled
			switch {
			case eventing.Decode(ev, &c) != nil:
			case c.Reason == string(order.ReasonExpired):
				m.expired.Add(ctx, 1)
			default:
				m.cancelled.Add(ctx, 1, metric.WithAttributes(attribute.String("reason", c.Reason)))
			}
		}
	}
}

// counting returns update, whose events are kept in *evs each time it
// runs, so that the caller counts them once its change has committed.
func counting(evs *[]event.Event, update ordersstore.UpdateFunc) ordersstore.UpdateFunc {
	return func(o *order.Order, r *reservation.Reservation) ([]event.Event, error) {
		out, err := update(o, r)
		*evs = append((*evs)[:0], out...)
		return out, err
	}
}

// countingOnCommit returns update, whose events a receiver's transaction
// (ctx) counts once it has committed (receive.OnCommit).
func (m metrics) countingOnCommit(ctx context.Context, update ordersstore.UpdateFunc) ordersstore.UpdateFunc {
	return func(o *order.Order, r *reservation.Reservation) ([]event.Event, error) {
		evs, err := update(o, r)
		if err == nil {
			receive.OnCommit(ctx, func() { m.settled(ctx, evs) })
		}
		return evs, err
	}
}
