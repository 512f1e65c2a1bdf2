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
	"github.com/buytickets/buytickets/functions/etickets/qrtest"
	"github.com/buytickets/buytickets/shared/testenv"
)

// eticket is GET /api/etickets/{code}'s answer (DESIGN §3).
type eticket struct {
	Code    string `json:"code"`
	OrderID string `json:"orderId"`
	Title   string `json:"title"`
	Status  string `json:"status"`
}

// paid has the buyer pay order o with tok_visa, once payments knows it,
// and returns the payment.
func (u *user) paid(o order) payment {
	u.t.Helper()
	var p payment
	eventually(u.t, "payments knows order "+o.ID, func() bool {
		status, raw := u.do("POST", "/api/payments", map[string]string{"orderId": o.ID, "token": "tok_visa"}, &p)
		if status != http.StatusNotFound && status != http.StatusCreated {
			u.t.Fatalf("POST /api/payments = %d %s", status, raw)
		}
		return status == http.StatusCreated
	})
	return p
}

// eticketOf waits until the e-ticket of order o is in the buyer's list
// with status, and returns it.
func (u *user) eticketOf(o order, status string) eticket {
	u.t.Helper()
	var found eticket
	eventually(u.t, "the buyer holds a "+status+" e-ticket for order "+o.ID, func() bool {
		var list []eticket
		u.must(http.StatusOK, "GET", "/api/etickets", nil, &list)
		i := slices.IndexFunc(list, func(e eticket) bool { return e.OrderID == o.ID })
		if i >= 0 {
			found = list[i]
		}
		return i >= 0 && found.Status == status
	})
	return found
}

// qr fetches the QR symbol of code and returns what it reads.
func (u *user) qr(code string) string {
	u.t.Helper()
	resp, raw := u.send("GET", "/api/etickets/"+code+"/qr.svg", nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/svg+xml" {
		u.t.Fatalf("qr.svg answered %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return qrtest.Decode(u.t, string(raw))
}

// refundedAtStripe is the charge.refunded Stripe posts once a charge is
// given back in full from its dashboard.
func refundedAtStripe(chargeID string) []byte {
	b, _ := json.Marshal(map[string]any{
		"id": "evt_refund_" + chargeID, "object": "event", "api_version": stripe.APIVersion, "created": time.Now().Unix(),
		"type": "charge.refunded", "livemode": false, "pending_webhooks": 1,
		"data": map[string]any{"object": map[string]any{
			"id": chargeID, "object": "charge", "amount": 3000, "currency": "usd", "refunded": true,
			"refunds": map[string]any{"object": "list", "data": []map[string]any{{"id": "re_" + chargeID, "object": "refund"}}},
		}},
	})
	return b
}

// subjects waits until address has received n emails and returns their
// subjects, sorted, each sent to address alone.
func subjects(t *testing.T, mail testenv.Mailpit, address string, n int) []string {
	t.Helper()
	var got []testenv.MailSummary
	eventually(t, "emails to "+address, func() bool {
		got = mail.To(t, address)
		return len(got) >= n
	})
	var out []string
	for _, m := range got {
		if len(m.To) != 1 || m.To[0].Address != address {
			t.Errorf("email %q to %v, want to %s alone", m.Subject, m.To, address)
		}
		out = append(out, m.Subject)
	}
	slices.Sort(out)
	return out
}

func TestPaidOrderGivesTheBuyerAnETicketTheSellerChecksInAndEmailsBoth(t *testing.T) {
	t.Parallel()
	inOrderAndInChaos(t, func(t *testing.T, s *stack.Stack) {
		mail := testenv.Mailpit{API: s.MailURL()}
		seller, buyer, _, front := ordered(t, s, "Front row", 30)
		stranger := signUp(t, s, "stranger")

		buyer.paid(front)
		e := buyer.eticketOf(front, "valid")
		if e.Title != "Front row" {
			t.Errorf("e-ticket %+v, want one for Front row", e)
		}
		if read := buyer.qr(e.Code); read != e.Code {
			t.Errorf("the QR symbol reads %q, want the code %q", read, e.Code)
		}

		// At the door.
		anonymous := &user{t: t, base: s.URL(), http: &http.Client{Timeout: 30 * time.Second}}
		checkIn := map[string]string{"code": e.Code}
		if status, raw := anonymous.do("POST", "/api/checkins", checkIn, nil); status != http.StatusUnauthorized {
			t.Errorf("a check-in signed out answered %d %s, want 401", status, raw)
		}
		if status, raw := stranger.do("POST", "/api/checkins", checkIn, nil); status != http.StatusUnauthorized && status != http.StatusForbidden {
			t.Errorf("a stranger's check-in answered %d %s, want 401 or 403", status, raw)
		}
		seller.must(http.StatusCreated, "POST", "/api/checkins", checkIn, nil)
		if status, raw := seller.do("POST", "/api/checkins", checkIn, nil); status != http.StatusConflict || !strings.HasPrefix(errorMessage(raw), "Already checked in at ") {
			t.Errorf("a second check-in answered %d %s, want 409 Already checked in at …", status, raw)
		}
		buyer.eticketOf(front, "used")

		// A second sale, refunded at Stripe by support.
		balcony := buyer.order(seller.sell("Balcony", 30).ID)
		p := buyer.paid(balcony)
		code := buyer.eticketOf(balcony, "valid").Code
		postStripeEvent(t, s, refundedAtStripe(p.StripeID))
		buyer.eticketOf(balcony, "revoked")
		if status, raw := seller.do("POST", "/api/checkins", map[string]string{"code": code}, nil); status != http.StatusBadRequest {
			t.Errorf("checking in a revoked e-ticket answered %d %s, want 400", status, raw)
		}

		wantBuyer := []string{"Your e-ticket: Balcony", "Your e-ticket: Front row", "Your refund for Balcony"}
		wantSeller := []string{"Your ticket sold: Balcony", "Your ticket sold: Front row"}
		if got := subjects(t, mail, buyer.email, len(wantBuyer)); !slices.Equal(got, wantBuyer) {
			t.Errorf("the buyer received %q, want %q", got, wantBuyer)
		}
		if got := subjects(t, mail, seller.email, len(wantSeller)); !slices.Equal(got, wantSeller) {
			t.Errorf("the seller received %q, want %q", got, wantSeller)
		}
		confirmation := mail.To(t, buyer.email)
		i := slices.IndexFunc(confirmation, func(m testenv.MailSummary) bool { return m.Subject == "Your e-ticket: Front row" })
		if m := mail.Read(t, confirmation[i].ID); !strings.Contains(m.Text, e.Code) || len(m.Inline) != 1 {
			t.Errorf("the confirmation has %d inline images and text %q, want the code and its QR image", len(m.Inline), m.Text)
		}

		// Redeliveries have had their time: still one email per cause.
		time.Sleep(time.Second)
		if n := len(mail.To(t, buyer.email)) + len(mail.To(t, seller.email)); n != len(wantBuyer)+len(wantSeller) {
			t.Errorf("%d emails in all, want %d", n, len(wantBuyer)+len(wantSeller))
		}
		if got := subjects(t, mail, stranger.email, 0); len(got) != 0 {
			t.Errorf("the stranger received %q", got)
		}
		noDeadLetters(t, s)
	})
}
