package orders_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
)

func expired(tb testing.TB, orderID string) event.Event {
	tb.Helper()
	return eventingtest.Event(tb, eventing.NewExpirationCompleted, eventing.ExpirationCompleted{OrderID: orderID})
}

func paid(tb testing.TB, orderID string) event.Event {
	tb.Helper()
	return eventingtest.Event(tb, eventing.NewPaymentCreated, eventing.PaymentCreated{
		ID: "pay-" + orderID, OrderID: orderID, StripeID: "ch_1", Amount: 2000, Currency: "usd",
	})
}

func TestExpiryCancelsAnUnpaidOrderAndFreesItsTicket(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	ticketID, o := f.ordered("buyer")
	f.clock.Advance(window)

	ev := expired(t, o.ID)
	f.MustDeliver(ev)
	f.MustDeliver(ev) // a duplicate delivery changes nothing more
	got := f.user("buyer").show(o.ID)
	if got.Status != "cancelled" || got.CancelReason != "expired" || got.Version != 1 {
		t.Errorf("expired order is %+v, want cancelled (expired) at version 1", got)
	}
	data := eventingtest.Decode[eventing.OrderCancelled](t, f.sink.WaitAbout(t, eventually, eventing.TypeOrderCancelled, o.ID))
	want := eventing.OrderCancelled{ID: o.ID, Version: 1, Reason: "expired", Ticket: eventing.OrderCancelledTicket{ID: ticketID, Reservation: 1}}
	if data != want {
		t.Errorf("order.cancelled %+v, want %+v", data, want)
	}
	f.wantReservation(ticketID, 1, "")
}

func TestPaymentCompletesTheOrderNamingBuyerAndSellerAndALateExpiryLeavesItPaid(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	ticketID, o := f.ordered("buyer")

	f.MustDeliver(paid(t, o.ID))
	got := f.user("buyer").show(o.ID)
	if got.Status != "complete" || got.Version != 1 {
		t.Fatalf("paid order is %+v, want complete at version 1", got)
	}
	data := eventingtest.Decode[eventing.OrderCompleted](t, f.sink.WaitAbout(t, eventually, eventing.TypeOrderCompleted, o.ID))
	want := eventing.OrderCompleted{ID: o.ID, Version: 1, UserID: "buyer", BuyerEmail: "buyer@example.com", SellerID: "seller",
		Ticket: eventing.OrderCompletedTicket{ID: ticketID, Title: "Concert", Price: 20, Reservation: 1}}
	if data != want {
		t.Errorf("order.completed %+v, want %+v", data, want)
	}

	f.clock.Advance(window)
	f.MustDeliver(expired(t, o.ID))
	f.MustDeliver(paid(t, o.ID))
	if got := f.user("buyer").show(o.ID); got.Status != "complete" || got.Version != 1 {
		t.Errorf("after a late expiry and a duplicate payment the order is %+v, want complete at version 1", got)
	}
	httpxtest.WantError(t, f.user("other").orderTicket(ticketID), http.StatusBadRequest, "Ticket is already reserved", "")
	if n := len(f.sink.About(eventing.TypeOrderCancelled, o.ID)); n != 0 {
		t.Errorf("a paid order emitted %d order.cancelled", n)
	}
}

func TestPaymentForACancelledOrderLeavesItCancelled(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	buyer := f.user("buyer")
	_, o := f.ordered("buyer")
	if res := buyer.Delete("/api/orders/" + o.ID); res.Code != http.StatusNoContent {
		t.Fatalf("cancel: %d %s", res.Code, res.Body)
	}
	f.MustDeliver(paid(t, o.ID))
	if got := buyer.show(o.ID); got.Status != "cancelled" || got.Version != 1 {
		t.Errorf("order paid after its cancellation is %+v, want still cancelled at version 1", got)
	}
	if n := len(f.sink.About(eventing.TypeOrderCompleted, o.ID)); n != 0 {
		t.Errorf("a cancelled order emitted %d order.completed", n)
	}
}

func TestSettlingAnUnknownOrderIsRefusedForTheDeadLetters(t *testing.T) {
	t.Parallel()
	f := newFn(t, withoutRelay)
	for _, ev := range []event.Event{expired(t, "0123456789abcdef01234567"), paid(t, "0123456789abcdef01234567"), expired(t, "not/an/id")} {
		if code := f.Deliver(ev); code != http.StatusBadRequest {
			t.Errorf("%s for an unknown order: %d, want 400", ev.Type(), code)
		}
	}
}

func TestAnExpiryReportedBeforeTheWindowEndsIsRedeliveredAndCancelsNothing(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	_, o := f.ordered("buyer")
	f.clock.Advance(window - time.Minute)

	ev := expired(t, o.ID)
	if code := f.Deliver(ev); code != http.StatusConflict {
		t.Errorf("an expiry a minute early answered %d, want 409 (redelivered later)", code)
	}
	if got := f.user("buyer").show(o.ID); got.Status != "created" || got.Version != 0 {
		t.Fatalf("after an early expiry the order is %+v, want still created at version 0", got)
	}
	// The same event, redelivered once the window has passed, takes effect.
	f.clock.Advance(time.Minute)
	f.MustDeliver(ev)
	if got := f.user("buyer").show(o.ID); got.Status != "cancelled" || got.CancelReason != "expired" {
		t.Errorf("after the window the order is %+v, want cancelled as expired", got)
	}
}

func TestAPaymentOfAnotherAmountOrCurrencyCompletesNothing(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	_, o := f.ordered("buyer")
	for _, p := range []eventing.PaymentCreated{
		{ID: "pay-cheap-" + o.ID, OrderID: o.ID, StripeID: "ch_1", Amount: 50, Currency: "usd"},
		{ID: "pay-eur-" + o.ID, OrderID: o.ID, StripeID: "ch_2", Amount: 2000, Currency: "eur"},
	} {
		if code := f.Deliver(eventingtest.Event(t, eventing.NewPaymentCreated, p)); code != http.StatusBadRequest {
			t.Errorf("payment of %d %s answered %d, want 400 (for the dead letters)", p.Amount, p.Currency, code)
		}
	}
	if got := f.user("buyer").show(o.ID); got.Status != "created" || got.Version != 0 {
		t.Errorf("after mismatched payments the order is %+v, want still created at version 0", got)
	}
	f.MustDeliver(paid(t, o.ID))
	if got := f.user("buyer").show(o.ID); got.Status != "complete" {
		t.Errorf("after the right payment the order is %+v, want complete", got)
	}
}
