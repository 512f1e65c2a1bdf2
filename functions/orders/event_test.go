package orders_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/store/storetest"
)

func TestATicketForAnEventThatHasStartedCannotBeOrdered(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	id := newTicketID()
	f.MustDeliver(eventingtest.Event(t, eventing.NewTicketCreated, eventing.TicketCreated{
		ID: id, Title: "Gala", Price: 80, UserID: "seller", CreatedAt: t0.Add(-time.Hour),
		Event: &eventing.TicketEvent{Name: "Spring Gala", StartsAt: t0.Add(time.Minute)},
	}))
	f.clock.Advance(time.Minute)
	before := f.counts()
	httpxtest.WantError(t, f.user("buyer").orderTicket(id), http.StatusBadRequest, "This event has already started", "")
	storetest.WantSameCounts(t, "an order for a started event", before, f.counts())
}
