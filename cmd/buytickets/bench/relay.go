package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/identity"
	"github.com/buytickets/buytickets/eventing/outbox"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/sqlite"
)

// relayThroughput commits events through an outbox on SQLite, one per
// transaction with a state change, and times each from its commit to its
// arrival at a local sink answering 202 at once: paced below the relay's
// capacity, then as fast as one and eight committing clients go.
func relayThroughput(ctx context.Context, w *bytes.Buffer, tmp string) error {
	const events = 2000
	heading(w, "Outbox relay: commit → sent",
		fmt.Sprintf("%d events on SQLite, each committed in its own transaction with a document write and woken to the relay after commit; the relay sends in binary mode to a local HTTP sink that answers 202 at once. Delay is the end of the commit to the event's arrival; events/s is the whole run, first commit to last arrival. Unpaced, the committers outrun the relay, so the delay there is mostly queueing.", events),
		"committing clients", "pace", "events/s", "p50 delay", "p99 delay")
	for _, run := range []struct {
		clients int
		pace    time.Duration // between one client's commits; 0: as fast as it goes
	}{{1, 2 * time.Millisecond}, {1, 0}, {8, 0}} {
		path := filepath.Join(tmp, fmt.Sprintf("relay-%d-%v.db", run.clients, run.pace))
		rate, p50, p99, err := runRelay(ctx, path, events, run.clients, run.pace)
		if err != nil {
			return err
		}
		pace := "none"
		if run.pace > 0 {
			pace = fmt.Sprintf("%v after each commit", run.pace)
		}
		fmt.Fprintf(w, "| %d | %s | %.0f | %s | %s |\n", run.clients, pace, rate, ms(p50), ms(p99))
	}
	return nil
}

func runRelay(ctx context.Context, path string, events, clients int, pace time.Duration) (float64, time.Duration, time.Duration, error) {
	committed := make([]time.Time, events)
	arrived := newArrivals(events)
	// The sink checks the relay's token on every event, as the broker's
	// ingress does.
	key := identity.GenerateKey()
	const publisher, audience = "system:serviceaccount:bench:tickets", "bench/broker"
	verify := key.Verifier(audience).Require(publisher)
	sink := httptest.NewServer(verify(arrived.handler(http.StatusAccepted, func(r *http.Request) string {
		// The subject names the event's index: "t<i>".
		return strings.TrimPrefix(r.Header.Get("Ce-Subject"), "t")
	})))
	defer sink.Close()

	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return 0, 0, 0, err
	}
	defer db.Close()
	o, err := outbox.New(db, sink.URL, outbox.Options{Tokens: key.Signer(publisher), Audience: audience})
	if err != nil {
		return 0, 0, 0, err
	}
	defer background(ctx, o.Run)()

	type ticket struct {
		Title   string `store:"title"`
		Version int    `store:"version"`
	}
	start := time.Now()
	_, _, err = load(clients, events, func(i int) error {
		id := "t" + strconv.Itoa(i)
		ev, err := eventing.NewTicketUpdated(eventing.TicketUpdated{
			ID: id, Version: 1, Title: "Concert", Price: 20, UserID: "u1", Status: "available",
		})
		if err != nil {
			return err
		}
		err = db.RunTransaction(ctx, func(_ context.Context, tx store.Tx) error {
			if err := tx.Set("tickets", id, ticket{Title: "Concert", Version: 1}); err != nil {
				return err
			}
			return o.Add(ctx, tx, ev)
		})
		if err != nil {
			return err
		}
		committed[i] = time.Now()
		o.Notify()
		time.Sleep(pace)
		return nil
	})
	if err != nil {
		return 0, 0, 0, err
	}
	// An event can arrive before its committer records the commit time
	// (the relay may be woken by another commit).
	return arrived.throughput(start, committed, 2*time.Minute, "events arrived")
}
