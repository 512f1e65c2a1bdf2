package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/buytickets/buytickets/cmd/buytickets/stack"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/firestore"
	"github.com/buytickets/buytickets/shared/store/sqlite"
	"github.com/buytickets/buytickets/shared/testenv"
)

// race is one on-sale: tickets released at once to buyers, who place
// attempts orders through clients concurrent connections, on the
// embedded default or, with firestore set, with every function's store on
// the Firestore emulator at that address.
type race struct {
	tickets, buyers, clients, attempts int
	firestore                          string
}

// raceResult is what a race saw: each attempt's answer and time.
type raceResult struct {
	elapsed time.Duration
	byCode  map[int][]time.Duration
	held    map[string]int // ticket id → orders answered 201 for it
	failed  int            // attempts that got no answer
}

// onSale races buyers for a batch of tickets released at once on the
// embedded default, and reports the answers of POST /api/orders.
func onSale(ctx context.Context, w *bytes.Buffer, tmp string) error {
	heading(w, "On-sale race on the embedded default", raceAbout+" 5xx must be 0 too.", raceColumns...)
	for i, r := range []race{
		{tickets: 100, buyers: 40, clients: 32, attempts: 1200},
		{tickets: 1000, buyers: 400, clients: 64, attempts: 6000},
	} {
		if err := raceRow(ctx, w, filepath.Join(tmp, fmt.Sprintf("onsale-%d", i)), r); err != nil {
			return err
		}
	}
	return nil
}

// onSaleFirestore runs the first race of onSale with every function's
// store on the Firestore emulator.
func onSaleFirestore(ctx context.Context, w *bytes.Buffer, tmp string) error {
	emulator, stop, err := testenv.StartFirestoreEmulator()
	if err != nil {
		return fmt.Errorf("the Firestore emulator: %w", err)
	}
	defer stop()
	heading(w, "On-sale race on the Firestore emulator",
		raceAbout+" Here every function's store is on the Firestore emulator (the embedded broker stays on SQLite), production's driver with its default 5 attempts per transaction; the emulator settles contention by lock timeouts, far more slowly than Firestore. A 5xx is a 503 `Service is busy, please try again` after the attempts, counted as it comes.",
		raceColumns...)
	return raceRow(ctx, w, filepath.Join(tmp, "onsale-firestore"),
		race{tickets: 100, buyers: 40, clients: 32, attempts: 300, firestore: emulator})
}

const raceAbout = "A seller lists the tickets; once orders' replica holds all of them (the release), the clients, each a signed-in buyer's connection, place orders for tickets picked at random until the attempts are spent, as a crowd does at an on-sale. Each attempt is POST /api/orders through the router on loopback; 201 reserves the ticket, 400 is `Ticket is already reserved` (or the buyer's `Too many open orders`). Double-held is the number of tickets answered 201 for more than one order; it must be 0. One replica per function, production event path; passwords at a low cost since sign-ups are set-up."

var raceColumns = []string{"tickets", "buyers", "clients", "attempts", "requests/s", "orders/s", "201 p50 / p99 / max", "400 p50 / p99 / max", "all p50 / p99 / max", "201", "400", "5xx", "double-held"}

// raceRow runs r in dir and writes its row.
func raceRow(ctx context.Context, w *bytes.Buffer, dir string, r race) error {
	res, err := runRace(ctx, dir, r)
	if err != nil {
		return err
	}
	var all []time.Duration
	for _, ds := range res.byCode {
		all = append(all, ds...)
	}
	fivexx, doubled := 0, 0
	for code, ds := range res.byCode {
		if code >= 500 {
			fivexx += len(ds)
		}
	}
	for _, n := range res.held {
		if n > 1 {
			doubled++
		}
	}
	created := res.byCode[http.StatusCreated]
	fmt.Fprintf(w, "| %d | %d | %d | %d | %.0f | %.0f | %s | %s | %s | %d | %d | %d | %d |\n",
		r.tickets, r.buyers, r.clients, r.attempts,
		float64(len(all))/res.elapsed.Seconds(), float64(len(created))/res.elapsed.Seconds(),
		spread(created), spread(res.byCode[http.StatusBadRequest]), spread(all),
		len(created), len(res.byCode[http.StatusBadRequest]), fivexx+res.failed, doubled)
	return nil
}

// spread formats the p50, p99 and max of ds.
func spread(ds []time.Duration) string {
	if len(ds) == 0 {
		return "–"
	}
	return fmt.Sprintf("%s / %s / %s", ms(percentile(ds, 50)), ms(percentile(ds, 99)), ms(percentile(ds, 100)))
}

func runRace(ctx context.Context, dir string, r race) (raceResult, error) {
	opts := stack.Options{PasswordCost: setupCost}
	ordersStore := func() (store.Store, error) { return sqlite.Open(ctx, filepath.Join(dir, "orders.db")) }
	if r.firestore != "" {
		project := testenv.UniqueID("onsale")
		opts.OpenStore = func(ctx context.Context, name string) (store.Store, error) {
			return firestore.Open(ctx, firestore.Config{ProjectID: project, Database: name, EmulatorHost: r.firestore})
		}
		ordersStore = func() (store.Store, error) { return opts.OpenStore(ctx, "orders") }
	}
	s, err := startStack(ctx, dir, opts)
	if err != nil {
		return raceResult{}, err
	}
	defer s.Close()
	seller, err := newSession(s.URL(), "seller@example.com")
	if err != nil {
		return raceResult{}, err
	}
	buyers, err := newSessions(s.URL(), "buyer%d@example.com", r.buyers)
	if err != nil {
		return raceResult{}, err
	}
	ids := make([]string, r.tickets)
	if _, _, err := load(8, r.tickets, func(i int) (err error) {
		ids[i], err = seller.createTicket(fmt.Sprintf("Seat %d", i), 49.5)
		return err
	}); err != nil {
		return raceResult{}, err
	}
	orders, err := ordersStore()
	if err != nil {
		return raceResult{}, err
	}
	defer orders.Close()
	if err := waitReplicaIn(ctx, orders, ids, 0, 2*time.Minute); err != nil {
		return raceResult{}, err
	}

	res := raceResult{byCode: map[int][]time.Duration{}, held: map[string]int{}}
	var mu sync.Mutex
	next := make(chan int, r.attempts)
	for i := range r.attempts {
		next <- i
	}
	close(next)
	start := time.Now()
	var wg sync.WaitGroup
	for c := range r.clients {
		rng := rand.New(rand.NewPCG(uint64(c), 1))
		wg.Go(func() {
			for i := range next {
				buyer := buyers[(c+i*r.clients)%r.buyers]
				ticket := ids[rng.IntN(len(ids))]
				t := time.Now()
				status, raw, err := buyer.call("POST", "/api/orders", map[string]string{"ticketId": ticket})
				d := time.Since(t)
				if r.firestore != "" && i%100 == 99 {
					fmt.Fprintf(os.Stderr, "bench: on-sale on the Firestore emulator: attempt %d of %d after %v\n", i+1, r.attempts, time.Since(start).Round(time.Second))
				}
				mu.Lock()
				switch {
				case err != nil:
					res.failed++
				default:
					res.byCode[status] = append(res.byCode[status], d)
					if status == http.StatusCreated {
						var o struct{ Ticket struct{ ID string } }
						if json.Unmarshal(raw, &o) == nil {
							res.held[o.Ticket.ID]++
						}
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	return res, nil
}
