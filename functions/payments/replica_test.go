package payments_test

import (
	"net/http"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/functions/payments/internal/payment"
	"github.com/buytickets/buytickets/shared/store/storetest"
)

// wantReplica fails unless the replica holds order id at version in status.
func (f *fn) wantReplica(id string, version int, status payment.Status) {
	f.tb.Helper()
	o := f.ledger(id).Order
	if o == nil || o.Version != version || o.Status != status {
		f.tb.Errorf("replica holds %+v, want version %d %s", o, version, status)
	}
}

func TestReplicaMirrorsTheOrderInVersionOrder(t *testing.T) {
	t.Parallel()
	f := newFn(t, withoutRelay)
	id := payment.NewID()
	if code := f.Deliver(orderCancelled(t, id, 1)); code != http.StatusConflict {
		t.Errorf("cancellation before creation: %d, want 409", code)
	}
	if o := f.ledger(id).Order; o != nil {
		t.Fatalf("an early event made the replica %+v", o)
	}
	f.MustDeliver(orderCreated(t, id, "buyer", 19.99))
	o := f.ledger(id).Order
	want := payment.Order{ID: id, UserID: "buyer", Status: payment.Created, Amount: 1999, ExpiresAt: t0.Add(window)}
	if o == nil || *o != want {
		t.Errorf("replica holds %+v, want %+v", o, want)
	}
	f.MustDeliver(orderCancelled(t, id, 1)) // the broker's redelivery
	f.wantReplica(id, 1, payment.Cancelled)
}

func TestCompletionMirrorsTheOrderPaid(t *testing.T) {
	t.Parallel()
	f := newFn(t, withoutRelay)
	id := f.placeOrder("buyer", 20)
	if code := f.Deliver(orderCompleted(t, id, "buyer", 20, 2)); code != http.StatusConflict {
		t.Errorf("version 2 on version 0: %d, want 409", code)
	}
	f.MustDeliver(orderCompleted(t, id, "buyer", 20, 1))
	f.wantReplica(id, 1, payment.Complete)
}

func TestOldOrDuplicateOrderEventsChangeNothing(t *testing.T) {
	t.Parallel()
	f := newFn(t, withoutRelay)
	id := payment.NewID()
	created := orderCreated(t, id, "buyer", 20)
	cancelled := orderCancelled(t, id, 1)
	f.MustDeliver(created)
	f.MustDeliver(cancelled)
	before := f.counts()
	f.TakeEach(map[string]event.Event{
		"the same delivery again":    cancelled,
		"creation again":             created,
		"another creation":           orderCreated(t, id, "thief", 1),
		"a completion at version 1":  orderCompleted(t, id, "buyer", 20, 1),
		"a cancellation at version0": orderCancelled(t, id, 0),
	})
	f.wantReplica(id, 1, payment.Cancelled)
	// Ignored events are taken, and their receipts kept.
	storetest.WantSameCounts(t, "old events", before, f.counts(), "receipts")
}

func TestUndecodableOrderEventIsRefusedWith400(t *testing.T) {
	t.Parallel()
	f := newFn(t, withoutRelay)
	id := payment.NewID()
	ticket := eventingtest.Event(t, eventing.NewTicketCreated, eventing.TicketCreated{ID: "t", Title: "x", Price: 1, UserID: "s"})
	for name, ev := range map[string]event.Event{
		"not JSON":             eventingtest.WithData(orderCreated(t, id, "buyer", 20), "{"),
		"no price":             eventingtest.WithData(orderCreated(t, id, "buyer", 20), `{"id":"`+id+`","userId":"buyer","version":0}`),
		"no buyer":             orderCreated(t, id, "", 20),
		"negative price":       orderCreated(t, id, "buyer", -1),
		"id naming no doc":     orderCreated(t, "a/b", "buyer", 20),
		"no entityversion":     eventingtest.WithVersion(orderCreated(t, id, "buyer", 20), nil),
		"cancellation first":   orderCancelled(t, id, 0),
		"unexpected type":      ticket,
		"completion, not JSON": eventingtest.WithData(orderCompleted(t, id, "buyer", 20, 1), "[]"),
	} {
		if code := f.Deliver(ev); code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", name, code)
		}
	}
	if got := f.counts(); len(got) != 0 {
		t.Errorf("refused events stored %v", got)
	}
}
