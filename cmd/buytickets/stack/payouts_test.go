package stack_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v76"

	"github.com/buytickets/buytickets/cmd/buytickets/stack"
)

// payoutOf is one payout of GET /api/payouts (DESIGN §3), amounts in cents.
type payoutOf struct {
	ID         string `json:"id"`
	OrderID    string `json:"orderId"`
	Amount     int64  `json:"amount"`
	Fee        int64  `json:"fee"`
	Status     string `json:"status"`
	TransferID string `json:"transferId"`
	Reason     string `json:"reason"`
}

// payoutFor waits until the seller's payout of order o has status, and
// returns it.
func (u *user) payoutFor(o order, status string) payoutOf {
	u.t.Helper()
	var found payoutOf
	eventually(u.t, "the seller's payout of order "+o.ID+" "+status, func() bool {
		var list []payoutOf
		u.must(http.StatusOK, "GET", "/api/payouts", nil, &list)
		i := slices.IndexFunc(list, func(p payoutOf) bool { return p.OrderID == o.ID })
		if i >= 0 {
			found = list[i]
		}
		return i >= 0 && found.Status == status
	})
	return found
}

// postConnectEvent posts payload to payouts' webhook signed with the
// Connect webhook secret the stack keeps in its data folder, as Stripe does.
func postConnectEvent(t *testing.T, s *stack.Stack, payload []byte) {
	t.Helper()
	postSigned(t, s, "/api/payouts/webhook", "stripe-connect-webhook.secret", payload)
}

// payoutsEnabled is the account.updated Stripe posts once a connected
// account can receive payouts (stripe-mock cannot say so itself).
func payoutsEnabled(accountID string) []byte {
	b, _ := json.Marshal(map[string]any{
		"id": "evt_enabled_" + accountID, "object": "event", "api_version": stripe.APIVersion, "created": time.Now().Unix(),
		"type": "account.updated", "livemode": false, "pending_webhooks": 1,
		"data": map[string]any{"object": map[string]any{"id": accountID, "object": "account", "type": "express", "payouts_enabled": true}},
	})
	return b
}

func TestASellerOnboardsIsPaidAtCheckInAndASaleRefundedAfterIsReversed(t *testing.T) {
	t.Parallel()
	s := marketWith(t, stack.Options{})
	seller, buyer, _, front := ordered(t, s, "Front row", 30)

	var link struct{ URL string }
	seller.must(http.StatusCreated, "POST", "/api/payouts/onboarding", nil, &link)
	if link.URL == "" {
		t.Fatal("onboarding answered no URL")
	}
	var account struct {
		AccountID      string `json:"accountId"`
		PayoutsEnabled bool   `json:"payoutsEnabled"`
	}
	seller.must(http.StatusOK, "GET", "/api/payouts/account", nil, &account)
	postConnectEvent(t, s, payoutsEnabled(account.AccountID))
	seller.must(http.StatusOK, "GET", "/api/payouts/account", nil, &account)
	if !account.PayoutsEnabled {
		t.Fatalf("account %+v after account.updated, want payouts enabled", account)
	}

	p := buyer.paid(front)
	owed := seller.payoutFor(front, "pending")
	if owed.Amount != 2700 || owed.Fee != 300 || owed.TransferID != "" {
		t.Errorf("payout %+v, want 2700 owed and a fee of 300, not yet sent", owed)
	}
	if status, raw := buyer.do("GET", "/api/payouts", nil, nil); status != http.StatusOK || strings.TrimSpace(raw) != "[]" {
		t.Errorf("the buyer's payouts: %d %s, want none", status, raw)
	}

	code := buyer.eticketOf(front, "valid").Code
	seller.must(http.StatusCreated, "POST", "/api/checkins", map[string]string{"code": code}, nil)
	sent := seller.payoutFor(front, "paid")
	if sent.TransferID == "" || sent.ID != owed.ID {
		t.Errorf("payout %+v after check-in, want payout %s paid by a transfer", sent, owed.ID)
	}

	postStripeEvent(t, s, refundedAtStripe(p.StripeID))
	buyer.eticketOf(front, "revoked")
	if back := seller.payoutFor(front, "reversed"); back.TransferID != sent.TransferID {
		t.Errorf("payout %+v, want the transfer %s reversed", back, sent.TransferID)
	}
	noDeadLetters(t, s)
}

func TestEachSellerOnboardsToAConnectedAccountOfTheirOwn(t *testing.T) {
	t.Parallel()
	s := marketWith(t, stack.Options{})
	ids := map[string]bool{}
	for _, name := range []string{"ann", "bob"} {
		seller := signUp(t, s, name)
		seller.must(http.StatusCreated, "POST", "/api/payouts/onboarding", nil, nil)
		var account struct {
			AccountID string `json:"accountId"`
		}
		seller.must(http.StatusOK, "GET", "/api/payouts/account", nil, &account)
		ids[account.AccountID] = true
	}
	if len(ids) != 2 {
		t.Errorf("two sellers onboarded to accounts %v, want two accounts", ids)
	}
}
