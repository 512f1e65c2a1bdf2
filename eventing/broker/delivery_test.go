package broker_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/broker"
	"github.com/buytickets/buytickets/eventing/receive"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/sqlite"
	"github.com/buytickets/buytickets/shared/testenv"
)

// counted is a consumer's effect: how often each event took effect.
type counted struct {
	N int `store:"n"`
}

// countingConsumer is a real receiver (receipts in its own store) whose
// effect counts applications per event id.
func countingConsumer(t *testing.T) (http.Handler, store.Store) {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "consumer.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return receive.Handler(db, func(_ context.Context, tx store.Tx, ev event.Event) error {
		var c counted
		if err := tx.Get("effects", ev.ID(), &c); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		c.N++
		return tx.Set("effects", ev.ID(), c)
	}), db
}

func TestBrokerRestartedMidBurstDeliversEveryEventWithEffectsOnce(t *testing.T) {
	t.Parallel()
	consumer, db := countingConsumer(t)
	// Some duplicates too: the consumer must absorb them as well as the
	// redeliveries of what was in flight at the restart.
	h := newHarness(t, setup{chaos: broker.Chaos{Duplicate: 0.05}, services: []service{{"c", consumer}}})
	const total = 1000
	for i := range total {
		if i == total/2 {
			h.shutdown()
			h.start()
		}
		h.mustPublish("dev.test.ticket.created", fmt.Sprintf("burst-%04d", i))
	}
	testenv.Eventually(t, time.Minute, "every delivery settles", h.settled)
	for i := range total {
		var c counted
		id := fmt.Sprintf("burst-%04d", i)
		if err := db.Get(context.Background(), "effects", id, &c); err != nil || c.N != 1 {
			t.Fatalf("event %s took effect %d times (%v), want exactly once", id, c.N, err)
		}
	}
	if dls, _ := h.broker.DeadLetters(context.Background()); len(dls) != 0 {
		t.Errorf("dead letters: %d, first %+v", len(dls), dls[0])
	}
}

// entity is a versioned replica's document.
type entity struct {
	Version int `store:"version"`
	Applied int `store:"applied"`
}

func TestVersionedReplicaConvergesUnderChaos(t *testing.T) {
	t.Parallel()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "replica.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	replica := receive.Handler(db, func(_ context.Context, tx store.Tx, ev event.Event) error {
		var e entity
		err := tx.Get("entities", ev.Subject(), &e)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		apply, err := receive.InOrder(ev, e.Version, err == nil)
		if err != nil || !apply {
			return err
		}
		v, _ := eventing.EntityVersion(ev)
		return tx.Set("entities", ev.Subject(), entity{Version: v, Applied: e.Applied + 1})
	})
	h := newHarness(t, setup{
		chaos:    broker.Chaos{Duplicate: 0.2, MaxDelay: 5 * time.Millisecond},
		scale:    0.2,
		services: []service{{"e", replica}},
	})

	const entities, versions = 30, 10
	var events []cloudevents.Event
	for e := range entities {
		for v := range versions {
			ev := cloudevents.NewEvent()
			ev.SetID(fmt.Sprintf("e%02d-v%02d", e, v))
			ev.SetType("dev.test.entity.changed")
			ev.SetSource("/functions/orders")
			ev.SetSubject(fmt.Sprintf("e%02d", e))
			ev.SetExtension(eventing.ExtensionEntityVersion, v)
			ev.SetData(cloudevents.ApplicationJSON, map[string]int{"version": v})
			events = append(events, ev)
		}
	}
	rand.Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })
	for _, ev := range events {
		if status, err := h.post(ev); err != nil || status != http.StatusAccepted {
			t.Fatalf("publish %s = %d, %v", ev.ID(), status, err)
		}
	}
	testenv.Eventually(t, time.Minute, "every delivery settles", h.settled)
	for e := range entities {
		var got entity
		if err := db.Get(context.Background(), "entities", fmt.Sprintf("e%02d", e), &got); err != nil {
			t.Fatal(err)
		}
		if got.Version != versions-1 || got.Applied != versions {
			t.Errorf("entity e%02d at version %d after %d applications, want %d after %d", e, got.Version, got.Applied, versions-1, versions)
		}
	}
	if dls, _ := h.broker.DeadLetters(context.Background()); len(dls) != 0 {
		t.Errorf("%d dead letters, first %+v", len(dls), dls[0])
	}
}

// unlisting hides the broker's pending deliveries from its queries: the
// dispatcher finds none to send.
type unlisting struct{ store.Store }

func (u unlisting) Query(ctx context.Context, collection string, q store.Query) ([]store.Doc, error) {
	if collection == "deliveries" {
		return nil, nil
	}
	return u.Store.Query(ctx, collection, q)
}

func TestAcceptedEventGoesOutWithoutWaitingForTheDispatcher(t *testing.T) {
	t.Parallel()
	h := newHarness(t, setup{store: func(st store.Store) store.Store { return unlisting{st} }})
	h.mustPublish("dev.test.order.created", "straight-out")
	testenv.Eventually(t, 10*time.Second, "subscriber a receives the event", func() bool { return h.subs["a"].count() == 1 })
}
