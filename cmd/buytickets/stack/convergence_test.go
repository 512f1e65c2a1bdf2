package stack_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/buytickets/buytickets/eventing/broker"
)

// TestTicketsConvergeAcrossReplicasUnderChaos is the scenario of DESIGN §8:
// four replicas each of tickets and orders, a broker that duplicates,
// delays and reorders deliveries, and 200 tickets each created at 5, then
// updated to 10, then to 15 as fast as the client can. Every ticket must end
// at 15 and at the same version in tickets and in orders' replica, with
// nothing in dead letters.
func TestTicketsConvergeAcrossReplicasUnderChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("the convergence scenario takes a while; run without -short")
	}
	t.Parallel()
	s := market(t, map[string]int{"tickets": 4, "orders": 4}, broker.Chaos{Duplicate: 0.2, MaxDelay: 20 * time.Millisecond})
	seller := signUp(t, s, "seller")

	const n = 200
	ids := make([]string, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	start := time.Now()
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			tk := seller.sell(fmt.Sprintf("Ticket %03d", i), 5)
			ids[i] = tk.ID
			for _, price := range []float64{10, 15} {
				seller.must(http.StatusOK, "PUT", "/api/tickets/"+tk.ID, map[string]any{"title": tk.Title, "price": price}, nil)
			}
		})
	}
	wg.Wait()

	replica := functionStore(t, s, "orders")
	eventually(t, "orders' replica holds every ticket at its last version", func() bool {
		for _, id := range ids {
			if rt, ok := ordersReplica(t, replica, id); !ok || rt.Version != 2 {
				return false
			}
		}
		return true
	})
	t.Logf("converged %d tickets × 3 versions in %v", n, time.Since(start))
	for _, id := range ids {
		tk := seller.ticket(id)
		rt, _ := ordersReplica(t, replica, id)
		if tk.Price != 15 || tk.Version != 2 || rt.PriceCents != 1500 || rt.Version != tk.Version {
			t.Errorf("ticket %s: tickets says %v at version %d, orders says %d cents at version %d; want 15 at version 2 in both",
				id, tk.Price, tk.Version, rt.PriceCents, rt.Version)
		}
	}
	noDeadLetters(t, s)
}
