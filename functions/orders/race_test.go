package orders_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/buytickets/buytickets/eventing"
	ordersstore "github.com/buytickets/buytickets/functions/orders/internal/store"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/testenv"
)

func TestBuyersRacingForOneTicketOnFourReplicasMakeOneOrder(t *testing.T) {
	t.Parallel()
	const buyers, replicas = 50, 4
	path := filepath.Join(t.TempDir(), "orders.db")
	first := newFn(t, withStore(openSQLiteAt(t, path)))
	fns := []*fn{first}
	for range replicas - 1 {
		fns = append(fns, newFn(t, withStore(openSQLiteAt(t, path)), sharing(first)))
	}
	ticketID := first.listTicket("seller", "Concert", 20)

	results := make([]response, buyers)
	testenv.Race(buyers, func(i int) func() {
		u := fns[i%replicas].user(fmt.Sprintf("buyer-%d", i))
		return func() { results[i] = u.orderTicket(ticketID) }
	})

	var winner string
	for i, res := range results {
		switch res.Code {
		case http.StatusCreated:
			if winner != "" {
				t.Errorf("buyer-%d won too, after %s", i, winner)
			}
			winner = orderOf(t, res.Body).ID
		default:
			wantError(t, res, http.StatusBadRequest, "Ticket is already reserved", "")
		}
	}
	if winner == "" {
		t.Fatal("no buyer won")
	}
	docs, err := first.db.Query(context.Background(), ordersstore.Orders, store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 1 || docs[0].ID != winner {
		t.Errorf("%d orders stored, want the winner's only", len(docs))
	}
	first.sink.wait(t, eventing.TypeOrderCreated, winner)
}
