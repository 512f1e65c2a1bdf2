// Package reservation is orders' hold on a ticket (DESIGN §5, "orders owns
// them"): which order holds the ticket, if any, and a counter that grows by
// one with every new reservation. Tickets mirrors the hold from order events
// and trusts only the newest counter, so a late event about an old
// reservation cannot lock or unlock the ticket. It does no I/O.
package reservation

// Reservation is the hold on one ticket. Its zero value, with TicketID set,
// is a ticket never reserved.
type Reservation struct {
	TicketID string
	// Counter is how many reservations the ticket has had; the holder's
	// reservation is number Counter.
	Counter int
	// OrderID is the order that holds the ticket, "" when none does.
	OrderID string
}

// Of returns the reservation of a ticket never reserved.
func Of(ticketID string) Reservation { return Reservation{TicketID: ticketID} }

// Held reports whether an order holds the ticket.
func (r Reservation) Held() bool { return r.OrderID != "" }

// Hold returns r held by orderID as the next reservation.
func (r Reservation) Hold(orderID string) Reservation {
	r.Counter++
	r.OrderID = orderID
	return r
}

// Release returns r free when orderID holds it, and r unchanged when
// another order, or none, does: a cancelled order gives back only its own
// hold.
func (r Reservation) Release(orderID string) Reservation {
	if r.OrderID == orderID {
		r.OrderID = ""
	}
	return r
}
