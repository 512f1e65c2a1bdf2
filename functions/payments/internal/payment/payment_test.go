package payment_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/buytickets/buytickets/functions/payments/internal/payment"
	"github.com/buytickets/buytickets/shared/apperr"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

const orderID = "0123456789abcdef01234567"

// ledger returns the ledger of an open order of "buyer" for 19.99 dollars,
// expiring 15 minutes after t0, changed by each of opts.
func ledger(opts ...func(*payment.Ledger)) *payment.Ledger {
	l := payment.NewLedger(orderID)
	o, err := payment.NewOrder(orderID, "buyer", 19.99, t0.Add(15*time.Minute))
	if err != nil {
		panic(err)
	}
	l.Order = &o
	for _, opt := range opts {
		opt(l)
	}
	return l
}

func withStatus(s payment.Status) func(*payment.Ledger) {
	return func(l *payment.Ledger) { l.Order.Status = s }
}

func withClaim(attempt int, state payment.ClaimState) func(*payment.Ledger) {
	return func(l *payment.Ledger) {
		l.Claim = payment.Claim{OrderID: orderID, Attempt: attempt, State: state, Amount: 1999, StartedAt: t0}
	}
}

func withPayment(stripeID string, reason payment.RefundReason) func(*payment.Ledger) {
	return func(l *payment.Ledger) {
		l.Payments = append(l.Payments, payment.Payment{
			ID: "pay-" + stripeID, OrderID: orderID, StripeID: stripeID, Method: payment.MethodCharge,
			Amount: 1999, Currency: payment.Currency, Refund: payment.Refund{Reason: reason},
		})
	}
}

func TestCentsOfRoundsToTheNearestCent(t *testing.T) {
	t.Parallel()
	for dollars, want := range map[float64]payment.Cents{
		19.99: 1999, 0.5: 50, 0.1 + 0.2: 30, 1_000_000: 100_000_000, 4.35: 435, 1.005: 100, 0: 0,
	} {
		if got := payment.CentsOf(dollars); got != want {
			t.Errorf("CentsOf(%v) = %d, want %d", dollars, got, want)
		}
	}
}

func TestNewOrderRefusesWhatOrdersCannotSend(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		id     string
		userID string
		price  float64
	}{
		{"no id", "", "buyer", 20},
		{"no buyer", orderID, "", 20},
		{"free", orderID, "buyer", 0},
		{"less than a cent", orderID, "buyer", 0.004},
		{"negative", orderID, "buyer", -1},
		{"not a number", orderID, "buyer", math.NaN()},
		{"infinite", orderID, "buyer", math.Inf(1)},
		{"beyond any charge", orderID, "buyer", 1e13},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := payment.NewOrder(tc.id, tc.userID, tc.price, t0); !errors.Is(err, payment.ErrInvalidOrder) {
				t.Errorf("NewOrder: %v, want ErrInvalidOrder", err)
			}
		})
	}
	o, err := payment.NewOrder(orderID, "buyer", 19.99, t0.In(time.FixedZone("X", 3600)))
	if err != nil || o.Amount != 1999 || o.Status != payment.Created || o.Version != 0 || o.ExpiresAt.Location() != time.UTC {
		t.Errorf("NewOrder = %+v, %v", o, err)
	}
}

func TestBeginRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		ledger *payment.Ledger
		buyer  string
		at     time.Time
		want   error
	}{
		{"unknown order", payment.NewLedger(orderID), "buyer", t0, payment.ErrOrderNotFound},
		{"another buyer", ledger(), "thief", t0, payment.ErrNotOwner},
		{"no buyer", ledger(), "", t0, payment.ErrNotOwner},
		{"cancelled", ledger(withStatus(payment.Cancelled)), "buyer", t0, payment.ErrCancelled},
		{"cancelled and paid", ledger(withStatus(payment.Cancelled), withPayment("ch_1", payment.ReasonCancelled)), "buyer", t0, payment.ErrCancelled},
		{"complete", ledger(withStatus(payment.Complete)), "buyer", t0, payment.ErrAlreadyPaid},
		{"paid", ledger(withPayment("ch_1", "")), "buyer", t0, payment.ErrAlreadyPaid},
		{"claim done", ledger(withClaim(1, payment.Done)), "buyer", t0, payment.ErrAlreadyPaid},
		{"charging", ledger(withClaim(1, payment.Charging)), "buyer", t0, payment.ErrInProgress},
		{"unresolved", ledger(withClaim(1, payment.Unresolved)), "buyer", t0, payment.ErrInProgress},
		{"charging and expired", ledger(withClaim(1, payment.Charging)), "buyer", t0.Add(time.Hour), payment.ErrInProgress},
		{"at expiry", ledger(), "buyer", t0.Add(15 * time.Minute), payment.ErrExpired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			before := *tc.ledger
			if _, err := tc.ledger.Begin(tc.buyer, "tok_visa", tc.at); !errors.Is(err, tc.want) {
				t.Errorf("Begin: %v, want %v", err, tc.want)
			}
			if tc.ledger.Claim != before.Claim {
				t.Errorf("a refused Begin changed the claim to %+v", tc.ledger.Claim)
			}
			if _, err := tc.ledger.Intent(tc.buyer, tc.at); !errors.Is(err, tc.want) {
				t.Errorf("Intent: %v, want %v", err, tc.want)
			}
		})
	}
}

func TestAttemptsAreNumberedAndKeyedPerOrder(t *testing.T) {
	t.Parallel()
	l := ledger()
	in, err := l.Intent("buyer", t0)
	if err != nil || in.Key != "intent-"+orderID+"-1" || in.Amount != 1999 || in.OrderID != orderID {
		t.Fatalf("Intent = %+v, %v", in, err)
	}
	c, err := l.Begin("buyer", "tok_visa", t0.Add(time.Minute))
	want := payment.Claim{OrderID: orderID, Attempt: 1, State: payment.Charging, Source: "tok_visa", Amount: 1999, StartedAt: t0.Add(time.Minute)}
	if err != nil || c != want || l.Claim != want || c.Key() != "charge-"+orderID+"-1" {
		t.Fatalf("Begin = %+v (%s), %v; want %+v", c, c.Key(), err, want)
	}
	if l.Release(2) || l.Claim.State != payment.Charging {
		t.Error("Release of another attempt changed the claim")
	}
	if !l.Release(1) || l.Claim.State != payment.Released || l.Claim.Source != "" {
		t.Errorf("after Release the claim is %+v, want released without its token", l.Claim)
	}
	if l.Release(1) {
		t.Error("a second Release reported a change")
	}
	if in, _ := l.Intent("buyer", t0); in.Key != "intent-"+orderID+"-2" {
		t.Errorf("intent key after a decline %q, want a new one", in.Key)
	}
	c, err = l.Begin("buyer", "tok_mastercard", t0)
	if err != nil || c.Attempt != 2 || c.Key() != "charge-"+orderID+"-2" {
		t.Errorf("second Begin = %+v, %v; want attempt 2", c, err)
	}
}

func TestRecord(t *testing.T) {
	t.Parallel()
	charge := payment.Payment{ID: "pay-new", StripeID: "ch_new", Method: payment.MethodCharge, Amount: 1999, Currency: "usd"}
	tests := []struct {
		name      string
		ledger    *payment.Ledger
		attempt   int
		new       bool
		accepted  bool
		reason    payment.RefundReason
		claim     payment.ClaimState
		payments  int
		stripeID  string
		wantError error
	}{
		{"the claimed charge", ledger(withClaim(1, payment.Charging)), 1, true, true, "", payment.Done, 1, "ch_new", nil},
		{"a PaymentIntent", ledger(), 0, true, true, "", "", 1, "ch_new", nil},
		{"recorded before", ledger(withClaim(1, payment.Charging), withPayment("ch_new", "")), 1, false, false, "", payment.Done, 1, "ch_new", nil},
		{"a claim no longer charging", ledger(withClaim(1, payment.Released)), 1, true, true, "", payment.Released, 1, "ch_new", nil},
		{"an older attempt", ledger(withClaim(2, payment.Charging)), 1, true, true, "", payment.Charging, 1, "ch_new", nil},
		{"for a cancelled order", ledger(withStatus(payment.Cancelled)), 0, true, true, payment.ReasonCancelled, "", 1, "ch_new", nil},
		{"a second payment", ledger(withPayment("pi_first", "")), 0, true, false, payment.ReasonDuplicate, "", 2, "ch_new", nil},
		{"after a duplicate only", ledger(withPayment("pi_dup", payment.ReasonDuplicate)), 0, true, true, "", "", 2, "ch_new", nil},
		{"for an unknown order", payment.NewLedger(orderID), 0, false, false, "", "", 0, "", payment.ErrOrderNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec, err := tc.ledger.Record(charge, tc.attempt, t0)
			if !errors.Is(err, tc.wantError) {
				t.Fatalf("Record: %v, want %v", err, tc.wantError)
			}
			if err != nil {
				return
			}
			p := rec.Payment
			if rec.New != tc.new || rec.Accepted != tc.accepted || p.Refund.Reason != tc.reason || p.StripeID != tc.stripeID || p.OrderID != orderID {
				t.Errorf("Record = %+v, want new %v, accepted %v, refund %q", rec, tc.new, tc.accepted, tc.reason)
			}
			if tc.new && (!p.CreatedAt.Equal(t0) || p.RefundDue() != (tc.reason != "") || (tc.reason != "" && !p.Refund.DueAt.Equal(t0))) {
				t.Errorf("new payment %+v", p)
			}
			if tc.ledger.Claim.State != tc.claim || len(tc.ledger.Payments) != tc.payments {
				t.Errorf("claim %s with %d payments, want %s with %d", tc.ledger.Claim.State, len(tc.ledger.Payments), tc.claim, tc.payments)
			}
		})
	}
}

func TestCancellationMakesPaymentsOwedOnce(t *testing.T) {
	t.Parallel()
	l := ledger(withPayment("ch_1", ""), withPayment("pi_2", payment.ReasonDuplicate))
	cancelled := *l.Order
	cancelled.Status, cancelled.Version = payment.Cancelled, 1
	if due := l.Mirror(cancelled, cancelled.Version, t0); due != 1 {
		t.Errorf("Mirror made %d refunds due, want the kept payment's", due)
	}
	if !l.Payments[0].RefundDue() || l.Payments[0].Refund.Reason != payment.ReasonCancelled || l.Payments[1].Refund.Reason != payment.ReasonDuplicate {
		t.Errorf("payments %+v", l.Payments)
	}
	if due := l.Mirror(cancelled, cancelled.Version, t0.Add(time.Minute)); due != 0 || !l.Payments[0].Refund.DueAt.Equal(t0) {
		t.Errorf("a second cancellation made %d due, refund %+v", due, l.Payments[0].Refund)
	}
	complete := cancelled
	complete.Status = payment.Complete
	if due := ledger(withPayment("ch_1", "")).Mirror(complete, complete.Version, t0); due != 0 {
		t.Errorf("completion made %d refunds due", due)
	}
}

func TestRefundedSettlesOnlyADueRefund(t *testing.T) {
	t.Parallel()
	l := ledger(withPayment("ch_1", ""), withPayment("pi_2", payment.ReasonDuplicate))
	if _, ok := l.Refunded("pay-ch_1", "re_1", t0); ok {
		t.Error("Refunded settled a payment nobody owes back")
	}
	p, ok := l.Refunded("pay-pi_2", "re_2", t0)
	if !ok || p.RefundDue() || p.Refund.StripeID != "re_2" || !p.Refund.At.Equal(t0) || !p.Refund.DueAt.IsZero() || p.RefundKey() != "refund-"+orderID+"-pay-pi_2" {
		t.Errorf("Refunded = %+v, %v", p, ok)
	}
	if _, ok := l.Refunded("pay-pi_2", "re_3", t0); ok || l.Payments[1].Refund.StripeID != "re_2" {
		t.Error("a second Refunded changed the refund")
	}
}

func TestARefundAtStripeUndoesTheSaleOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		held       payment.RefundReason // the payment's reason before Stripe tells of the refund
		stripeID   string
		wantOK     bool
		wantReason payment.RefundReason
	}{
		{"a kept payment is refunded at Stripe", "", "ch_1", true, payment.ReasonAtStripe},
		{"a payment owed back keeps its reason", payment.ReasonCancelled, "ch_1", true, payment.ReasonCancelled},
		{"a charge this ledger does not hold", "", "ch_other", false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := ledger(withPayment("ch_1", tc.held))
			p, ok := l.RefundedAtStripe(tc.stripeID, "re_1", t0)
			if ok != tc.wantOK {
				t.Fatalf("RefundedAtStripe reported %v, want %v", ok, tc.wantOK)
			}
			if !ok {
				return
			}
			if p.Refund.Reason != tc.wantReason || p.RefundDue() || p.Refund.StripeID != "re_1" || !p.Refund.At.Equal(t0) || l.Payments[0] != p {
				t.Errorf("RefundedAtStripe = %+v", p)
			}
			if _, again := l.RefundedAtStripe(tc.stripeID, "re_2", t0); again {
				t.Error("Stripe telling of the refund twice undid the sale twice")
			}
		})
	}
}

func TestStaleClaimIsAbandoned(t *testing.T) {
	t.Parallel()
	l := ledger(withClaim(1, payment.Charging))
	if l.Abandon(1, t0.Add(payment.IdempotencyWindow-time.Second)) {
		t.Error("a claim within Stripe's key window was abandoned")
	}
	if l.Abandon(2, t0.Add(payment.IdempotencyWindow)) {
		t.Error("another attempt was abandoned")
	}
	if !l.Abandon(1, t0.Add(payment.IdempotencyWindow)) || l.Claim.State != payment.Unresolved {
		t.Errorf("claim %+v, want unresolved", l.Claim)
	}
}

func TestParseCharge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, orderID, token string
		fields               []string
	}{
		{"valid", orderID, "tok_visa", nil},
		{"nothing", "", "", []string{"orderId", "token"}},
		{"blank order", " ", "tok_visa", []string{"orderId"}},
		{"blank token", orderID, "\t", []string{"token"}},
		{"token with a space", orderID, "tok visa", []string{"token"}},
		{"token with a control character", orderID, "tok\x00", []string{"token"}},
		{"token too long", orderID, string(make([]byte, payment.MaxTokenLen+1)), []string{"token"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := payment.ParseCharge(tc.orderID, tc.token)
			var fields apperr.Fields
			errors.As(err, &fields)
			var got []string
			for _, f := range fields {
				got = append(got, f.Field)
			}
			if len(got) != len(tc.fields) || (err == nil) != (tc.fields == nil) {
				t.Fatalf("ParseCharge: %v, want errors on %v", err, tc.fields)
			}
			for i := range got {
				if got[i] != tc.fields[i] {
					t.Errorf("errors on %v, want %v", got, tc.fields)
				}
			}
		})
	}
	if err := payment.ParseIntent(""); err == nil {
		t.Error("ParseIntent took no order id")
	}
}

func TestNewIDIsRandomHex(t *testing.T) {
	t.Parallel()
	a, b := payment.NewID(), payment.NewID()
	if a == b || len(a) != 24 {
		t.Errorf("NewID gave %q and %q", a, b)
	}
}

func TestAPaymentOfAnotherAmountOrCurrencyPaysNothingAndIsGivenBack(t *testing.T) {
	t.Parallel()
	for name, p := range map[string]payment.Payment{
		"50 JPY for a $19.99 order": {StripeID: "pi_jpy", Method: payment.MethodIntent, Amount: 50, Currency: "jpy"},
		"$0.50 for a $19.99 order":  {StripeID: "pi_cheap", Method: payment.MethodIntent, Amount: 50, Currency: "usd"},
		"19.99 in euros":            {StripeID: "pi_eur", Method: payment.MethodIntent, Amount: 1999, Currency: "eur"},
	} {
		l := ledger()
		rec, err := l.Record(p, 0, t0)
		if err != nil || !rec.New || rec.Accepted || rec.Payment.Refund.Reason != payment.ReasonMismatch || !rec.Payment.RefundDue() {
			t.Errorf("%s: Record = %+v, %v; want a new payment, not accepted, owed back as a mismatch", name, rec, err)
		}
		// The buyer can still pay the right amount.
		if _, err := l.Begin("buyer", "tok_visa", t0); err != nil {
			t.Errorf("%s: paying the right amount afterwards: %v", name, err)
		}
	}
	if rec, err := ledger().Record(payment.Payment{StripeID: "pi_ok", Method: payment.MethodIntent, Amount: 1999, Currency: "USD"}, 0, t0); err != nil || !rec.Accepted {
		t.Errorf("the order's amount in USD: %+v, %v; want accepted", rec, err)
	}
}
