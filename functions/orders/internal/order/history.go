package order

import (
	"cmp"
	"slices"
	"time"

	"github.com/buytickets/buytickets/functions/orders/internal/ticket"
)

// What names a step of an order's history.
type What string

// The steps of an order's history.
const (
	// StepPlaced is the order's creation, with the ticket's title and price.
	StepPlaced What = "placed"
	// StepReserved is the ticket's reservation, made as the order was
	// placed, until the order's window ends.
	StepReserved What = "reserved"
	// StepCompleted is the order's payment.
	StepCompleted What = "completed"
	// StepCancelled is the order's cancellation, with its Reason.
	StepCancelled What = "cancelled"
)

// Step is one thing that happened to an order: what, when, and what is
// worth knowing about it.
type Step struct {
	// At is when it happened; zero when the order does not know (a
	// payment recorded before completedAt was kept).
	At   time.Time
	What What
	// Title and Price are the ticket as the order was placed with it, on
	// Placed.
	Title string
	Price ticket.Cents
	// Until is when the reservation ends unless paid, on Reserved.
	Until time.Time
	// Reason is why, on Cancelled.
	Reason Reason
	// Trace is the id of the trace that placed the order, on Placed.
	Trace string
}

// History returns what happened to the order in time order, from what
// the order itself holds: it was placed and reserved its ticket, and then
// was paid or cancelled. A step whose time the order does not know comes
// last.
func (o *Order) History() []Step {
	steps := []Step{
		{At: o.createdAt, What: StepPlaced, Title: o.item.Title, Price: o.item.Price, Trace: o.trace},
		{At: o.createdAt, What: StepReserved, Until: o.expiresAt},
	}
	switch o.status {
	case Complete:
		steps = append(steps, Step{At: o.completedAt, What: StepCompleted})
	case Cancelled:
		steps = append(steps, Step{At: o.cancelledAt, What: StepCancelled, Reason: o.reason})
	}
	slices.SortStableFunc(steps, func(a, b Step) int {
		if a.At.IsZero() || b.At.IsZero() {
			return cmp.Compare(boolInt(a.At.IsZero()), boolInt(b.At.IsZero()))
		}
		return a.At.Compare(b.At)
	})
	return steps
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
