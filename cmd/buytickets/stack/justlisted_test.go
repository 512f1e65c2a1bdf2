package stack_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/buytickets/buytickets/eventing/broker"
)

// A buyer who clicks Buy on a listing orders has not learned of yet (its
// ticket.created still on its way) gets the order once it arrives, not an
// error: here the broker is down while the seller lists the ticket, for
// longer than the API's own wait for a listing, so the event reaches
// orders only after the relay's next try.
func TestBuyingAJustListedTicketInTheShopWaitsForOrdersToLearnOfIt(t *testing.T) {
	t.Parallel()
	s := market(t, nil, broker.Chaos{})
	seller, buyer := signUp(t, s, "seller"), signUp(t, s, "buyer")
	s.StopBroker()
	tk := seller.sell("Just listed", 20)
	if status, _ := buyer.do("POST", "/api/orders", map[string]string{"ticketId": tk.ID}, nil); status != http.StatusNotFound {
		t.Fatalf("POST /api/orders while the listing is on its way = %d, want 404 (orders does not know the ticket yet)", status)
	}
	if err := s.StartBroker(); err != nil {
		t.Fatal(err)
	}
	resp, err := buyer.http.PostForm(s.URL()+"/orders", url.Values{"ticketId": {tk.ID}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Request.URL.Path, "/orders/") {
		t.Fatalf("Buy on the just-listed ticket ended at %d %s, want its order's page", resp.StatusCode, resp.Request.URL.Path)
	}
	eventually(t, "the ticket shows reserved", func() bool { return seller.ticket(tk.ID).Status == "reserved" })
}
