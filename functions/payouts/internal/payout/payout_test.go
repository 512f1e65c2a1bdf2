package payout_test

import (
	"testing"
	"time"

	"github.com/buytickets/buytickets/functions/payouts/internal/payout"
)

func TestTheFeeIsRoundedDownSoTheSellerKeepsTheFraction(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		price       payout.Cents
		percent     int
		amount, fee payout.Cents
	}{
		{"whole cents", 2000, 10, 1800, 200},
		{"a fraction of a cent goes to the seller", 55, 10, 50, 5},
		{"the cheapest ticket", 50, 10, 45, 5},
		{"an odd price", 1999, 10, 1800, 199},
		{"just under a whole fee cent", 19, 5, 19, 0},
		{"the dearest ticket", 99999999, 10, 90000000, 9999999},
		{"no fee", 1234, 0, 1234, 0},
		{"all fee", 1234, 100, 0, 1234},
		{"an uneven percentage", 1001, 7, 931, 70},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			amount, fee := payout.Split(tc.price, tc.percent)
			if amount != tc.amount || fee != tc.fee || amount+fee != tc.price {
				t.Errorf("Split(%d, %d) = %d, %d; want %d, %d summing to the price", tc.price, tc.percent, amount, fee, tc.amount, tc.fee)
			}
		})
	}
}

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func sold(l *payout.Ledger) *payout.Ledger {
	l.Sell(payout.Sale{OrderID: "o1", SellerID: "s1", Price: 2000, SoldAt: t0}, "p1", 10, 72*time.Hour)
	return l
}

func TestARefundCancelsOrReversesOnlyThePaymentTheSaleKept(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		steps       func(l *payout.Ledger)
		status      payout.Status
		reverseDue  bool
		wantPayout  bool
		releaseable bool
	}{
		{"refund before release cancels", func(l *payout.Ledger) { sold(l); l.Charged("ch_1"); l.RefundCharge("ch_1") }, payout.Cancelled, false, true, false},
		{"refund before the sale: born cancelled", func(l *payout.Ledger) { l.Charged("ch_1"); l.RefundCharge("ch_1"); sold(l) }, payout.Cancelled, false, true, false},
		{"refund before the charge is known", func(l *payout.Ledger) { sold(l); l.RefundCharge("ch_1"); l.Charged("ch_1") }, payout.Cancelled, false, true, false},
		{"a duplicate's refund changes nothing", func(l *payout.Ledger) { sold(l); l.Charged("ch_1"); l.RefundCharge("pi_dup") }, payout.Pending, false, true, true},
		{"refund after release is owed back", func(l *payout.Ledger) {
			sold(l)
			l.Charged("ch_1")
			tr := l.Claim("acct_1", t0.Add(72*time.Hour))
			l.Transferred(tr, "tr_1", t0.Add(72*time.Hour))
			l.RefundCharge("ch_1")
		}, payout.Paid, true, true, false},
		{"refund during release is owed back once recorded", func(l *payout.Ledger) {
			sold(l)
			l.Charged("ch_1")
			tr := l.Claim("acct_1", t0.Add(72*time.Hour))
			l.RefundCharge("ch_1")
			l.Transferred(tr, "tr_1", t0.Add(72*time.Hour))
		}, payout.Paid, true, true, false},
		{"refund during a refused release cancels", func(l *payout.Ledger) {
			sold(l)
			l.Charged("ch_1")
			tr := l.Claim("acct_1", t0.Add(72*time.Hour))
			l.RefundCharge("ch_1")
			l.TransferRefused(tr, t0.Add(72*time.Hour))
		}, payout.Cancelled, false, true, false},
		{"a refund of an order never sold", func(l *payout.Ledger) { l.Charged("ch_1"); l.RefundCharge("ch_1") }, "", false, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l := &payout.Ledger{OrderID: "o1"}
			tc.steps(l)
			if (l.Payout != nil) != tc.wantPayout {
				t.Fatalf("payout %+v, want one: %v", l.Payout, tc.wantPayout)
			}
			if l.Payout == nil {
				return
			}
			if l.Payout.Status != tc.status || l.ReversalDue() != tc.reverseDue || l.Releasable(t0.Add(100*time.Hour)) != tc.releaseable {
				t.Errorf("payout %+v reversal due %v releasable %v, want %s, %v, %v", l.Payout, l.ReversalDue(),
					l.Releasable(t0.Add(100*time.Hour)), tc.status, tc.reverseDue, tc.releaseable)
			}
		})
	}
}

func TestAPayoutFallsDueAfterTheDelayOrAtCheckIn(t *testing.T) {
	t.Parallel()
	l := sold(&payout.Ledger{OrderID: "o1"})
	if l.Releasable(t0.Add(80*time.Hour)) || l.Reason() != payout.AwaitingPayment {
		t.Fatalf("releasable without its charge, reason %q", l.Reason())
	}
	l.Charged("ch_1")
	if l.Releasable(t0.Add(71*time.Hour)) || !l.Releasable(t0.Add(72*time.Hour)) {
		t.Error("not due exactly at the sale plus the delay")
	}
	l.CheckedIn(t0.Add(time.Hour))
	if !l.Releasable(t0.Add(time.Hour)) {
		t.Error("not due at check-in")
	}
	l.CheckedIn(t0.Add(2 * time.Hour))
	if !l.Payout.ReleaseAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("a later check-in moved the release to %v", l.Payout.ReleaseAt)
	}
	tr := l.Claim("acct_1", t0.Add(time.Hour))
	if tr.Key != "payout-p1" || tr.Amount != 1800 || tr.Source != "ch_1" || tr.Destination != "acct_1" || l.Releasable(t0.Add(time.Hour)) {
		t.Errorf("claimed %+v; want payout-p1 of 1800 from ch_1 to acct_1, and no second claim", tr)
	}
	l.TransferRefused(tr, t0.Add(time.Hour))
	if l.Reason() != payout.TransferRefused || l.Releasable(t0.Add(time.Hour+time.Minute)) || !l.Releasable(t0.Add(2*time.Hour)) {
		t.Errorf("after a refusal: reason %q; want a retry an hour later", l.Reason())
	}
	if tr := l.Claim("acct_1", t0.Add(2*time.Hour)); tr.Key != "payout-p1-1" {
		t.Errorf("the retry's key is %q, want payout-p1-1", tr.Key)
	}
}
