package payouts

import (
	"context"
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/banlist"
	"github.com/buytickets/buytickets/eventing/receive"
	"github.com/buytickets/buytickets/functions/payouts/internal/payout"
	"github.com/buytickets/buytickets/shared/store"
)

// receiver applies one delivered event in the transaction that records its
// receipt (receive.Handler): order.completed owes the seller a payout,
// payment.created names the charge it is paid from, eticket.checkedin makes
// it due at once and payment.refunded cancels or reverses it, in whichever
// order they arrive; user.banned and user.unbanned keep the ban list its
// API consults.
func (f *Function) receiver() receive.Func {
	return receive.Table(append([]receive.Route{
		receive.On(eventing.TypeOrderCompleted, f.receiveOrderCompleted),
		receive.On(eventing.TypePaymentCreated, f.receivePaymentCreated),
		receive.On(eventing.TypeETicketCheckedIn, f.receiveCheckedIn),
		receive.On(eventing.TypePaymentRefunded, f.receivePaymentRefunded),
	}, banlist.Routes(banlist.Hooks{})...)...)
}

func (f *Function) receiveOrderCompleted(ctx context.Context, tx store.Tx, ev event.Event, p eventing.OrderCompleted) error {
	if !store.ValidID(p.ID) || !store.ValidID(p.SellerID) || p.Ticket.Price <= 0 {
		return eventing.Undecodable(ev, fmt.Errorf("order %q of seller %q at %v", p.ID, p.SellerID, p.Ticket.Price))
	}
	// The delay runs from the receipt, on the function's own clock.
	sale := payout.Sale{OrderID: p.ID, SellerID: p.SellerID, Price: payout.Cents(eventing.Cents(p.Ticket.Price)), SoldAt: f.ft.Now()}
	return f.store.UpdateIn(ctx, tx, p.ID, p.SellerID, func(l *payout.Ledger, seller *payout.Account) ([]event.Event, error) {
		if l.Sell(sale, payout.NewID(), f.feePercent, f.delay) && !seller.Ready() {
			l.Await(payout.AwaitingOnboarding)
		}
		return nil, nil
	})
}

func (f *Function) receivePaymentCreated(ctx context.Context, tx store.Tx, ev event.Event, p eventing.PaymentCreated) error {
	if !store.ValidID(p.OrderID) || p.StripeID == "" {
		return eventing.Undecodable(ev, fmt.Errorf("payment of order %q at %q", p.OrderID, p.StripeID))
	}
	return f.store.UpdateIn(ctx, tx, p.OrderID, "", func(l *payout.Ledger, _ *payout.Account) ([]event.Event, error) {
		l.Charged(p.StripeID)
		return nil, nil
	})
}

// receiveCheckedIn makes the order's payout due at the check-in. A check-in
// of a sale not known yet is too early (409): order.completed comes first.
func (f *Function) receiveCheckedIn(ctx context.Context, tx store.Tx, ev event.Event, p eventing.ETicketCheckedIn) error {
	if !store.ValidID(p.OrderID) || p.CheckedInAt.IsZero() {
		return eventing.Undecodable(ev, fmt.Errorf("check-in of order %q at %v", p.OrderID, p.CheckedInAt))
	}
	return f.store.UpdateIn(ctx, tx, p.OrderID, "", func(l *payout.Ledger, _ *payout.Account) ([]event.Event, error) {
		if !l.CheckedIn(p.CheckedInAt) {
			return nil, receive.ErrTooEarly
		}
		return nil, nil
	})
}

func (f *Function) receivePaymentRefunded(ctx context.Context, tx store.Tx, ev event.Event, p eventing.PaymentRefunded) error {
	if !store.ValidID(p.OrderID) || p.StripeID == "" {
		return eventing.Undecodable(ev, fmt.Errorf("refund of order %q at %q", p.OrderID, p.StripeID))
	}
	return f.store.UpdateIn(ctx, tx, p.OrderID, "", func(l *payout.Ledger, _ *payout.Account) ([]event.Event, error) {
		l.RefundCharge(p.StripeID)
		return nil, nil
	})
}

// afterEvent runs after an event took effect: the release loop looks at
// what fell due (a check-in, a charge now known) or is owed back.
func (f *Function) afterEvent() {
	f.ft.Box.Notify()
	f.wake.Notify()
}

// payoutReleased returns the payout.released of a payout sent.
func payoutReleased(p *payout.Payout) ([]event.Event, error) {
	ev, err := eventing.NewPayoutReleased(eventing.PayoutReleased{
		ID: p.ID, OrderID: p.OrderID, SellerID: p.SellerID, Amount: int64(p.Amount), Fee: int64(p.Fee), TransferID: p.TransferID,
	})
	if err != nil {
		return nil, fmt.Errorf("eventing.NewPayoutReleased: %w", err)
	}
	return []event.Event{ev}, nil
}
