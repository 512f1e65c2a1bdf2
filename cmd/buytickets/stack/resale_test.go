package stack_test

import (
	"net/http"
	"testing"

	"github.com/buytickets/buytickets/cmd/buytickets/stack"
)

// resaleListing is a resale listing as POST /api/tickets answers it.
type resaleListing struct {
	ticket
	FaceValue float64 `json:"faceValue"`
	ResaleOf  string  `json:"resaleOf"`
}

// resell lists the e-ticket code again at price and returns the status and
// the answer, once tickets has heard the e-ticket was issued: until then
// it answers that the caller holds no such e-ticket.
func (u *user) resell(code string, price float64, out any) (int, string) {
	u.t.Helper()
	var status int
	var raw string
	eventually(u.t, "tickets knows e-ticket "+code, func() bool {
		status, raw = u.do("POST", "/api/tickets", map[string]any{"resaleOf": code, "price": price}, out)
		return status != http.StatusBadRequest || errorMessage(raw) != "You hold no e-ticket with this code"
	})
	return status, raw
}

func TestAResaleAtFaceValueHandsTheETicketToTheNewBuyerAndTheOrganiserStillChecksItIn(t *testing.T) {
	t.Parallel()
	inOrderAndInChaos(t, func(t *testing.T, s *stack.Stack) {
		seller, buyer, _, front := ordered(t, s, "Front row", 30)
		buyer.paid(front)
		first := buyer.eticketOf(front, "valid")

		if status, raw := buyer.resell(first.Code, 30.01, nil); status != http.StatusBadRequest ||
			errorMessage(raw) != "Resale price cannot exceed face value ($30.00)" {
			t.Fatalf("a resale above face value answered %d %s, want 400 Resale price cannot exceed face value ($30.00)", status, raw)
		}
		var listing resaleListing
		if status, raw := buyer.resell(first.Code, 30, &listing); status != http.StatusCreated {
			t.Fatalf("a resale at face value answered %d %s, want 201", status, raw)
		}
		if listing.Title != "Front row" || listing.Price != 30 || listing.FaceValue != 30 || listing.ResaleOf != first.Code || listing.Status != "available" {
			t.Errorf("resale listing %+v", listing)
		}

		// While it is on sale, its holder cannot get in with it.
		buyer.eticketOf(front, "listed")
		checkIn := map[string]string{"code": first.Code}
		if status, raw := seller.do("POST", "/api/checkins", checkIn, nil); status != http.StatusBadRequest ||
			errorMessage(raw) != "This e-ticket is listed for resale" {
			t.Errorf("checking in a listed e-ticket answered %d %s, want 400 This e-ticket is listed for resale", status, raw)
		}

		second := signUp(t, s, "second")
		resale := second.order(listing.ID)
		second.paid(resale)
		buyer.eticketOf(front, "revoked")
		fresh := second.eticketOf(resale, "valid")
		if fresh.Code == first.Code || fresh.Title != "Front row" {
			t.Errorf("the new buyer's e-ticket %+v, want a new code for Front row", fresh)
		}
		if status, raw := seller.do("POST", "/api/checkins", checkIn, nil); status != http.StatusBadRequest {
			t.Errorf("checking in the resold e-ticket answered %d %s, want 400", status, raw)
		}
		if status, raw := buyer.do("POST", "/api/checkins", map[string]string{"code": fresh.Code}, nil); status != http.StatusUnauthorized {
			t.Errorf("the reseller checking in the new e-ticket answered %d %s, want 401", status, raw)
		}
		seller.must(http.StatusCreated, "POST", "/api/checkins", map[string]string{"code": fresh.Code}, nil)
		second.eticketOf(resale, "used")
		// tickets learns of the sale through order.completed, which the
		// broker may hold back a moment.
		eventually(t, "the resale listing is sold", func() bool { return buyer.ticket(listing.ID).Status == "sold" })
		// The reseller is owed the resale price less the fee; the first
		// sale still owes the seller theirs.
		if owed := buyer.payoutFor(resale, "pending"); owed.Amount != 2700 || owed.Fee != 300 {
			t.Errorf("the reseller's payout %+v, want 2700 owed after a 300 fee", owed)
		}
		if owed := seller.payoutFor(front, "pending"); owed.Amount != 2700 {
			t.Errorf("the seller's payout of the first sale %+v, want 2700 owed", owed)
		}
		noDeadLetters(t, s)
	})
}
