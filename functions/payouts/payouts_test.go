package payouts_test

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/buytickets/buytickets/eventing/banlist/banlisttest"
	"github.com/buytickets/buytickets/functions/payouts/internal/payout"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/storetest"
	"github.com/buytickets/buytickets/shared/stripeapi/stripetest"
	"github.com/buytickets/buytickets/shared/testenv"
)

func TestOnboardingCreatesOneExpressAccountAndAnswersANewLinkEachTime(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	if _, code := f.account("seller"); code != http.StatusNotFound {
		t.Fatalf("account before onboarding: %d, want 404", code)
	}
	f.onboard("seller")
	f.onboard("seller")
	accounts := f.stripe.Requests("/v1/accounts")
	if len(accounts) != 1 {
		t.Fatalf("%d accounts created, want 1", len(accounts))
	}
	if c := accounts[0]; c.Form.Get("type") != "express" || c.Form.Get("metadata[userId]") != "seller" || c.Key != "account-seller" {
		t.Errorf("account created with %v key %q; want express, metadata userId seller, key account-seller", c.Form, c.Key)
	}
	links := f.stripe.Requests("/v1/account_links")
	a, code := f.account("seller")
	if len(links) != 2 || code != http.StatusOK || a.AccountID == "" || a.PayoutsEnabled {
		t.Fatalf("%d links, account %+v (%d); want 2 links to one account not yet enabled", len(links), a, code)
	}
	for _, l := range links {
		if l.Form.Get("account") != a.AccountID || l.Form.Get("return_url") != testPublicURL+"/payouts" ||
			l.Form.Get("refresh_url") != testPublicURL+"/payouts?refresh=1" || l.Form.Get("type") != "account_onboarding" {
			t.Errorf("link %v, want onboarding of %s back to the web UI's /payouts", l.Form, a.AccountID)
		}
	}
	wantError(t, f.user("").Post("/api/payouts/onboarding", ""), http.StatusUnauthorized, "Not authorized", "")
	wantError(t, f.user("").Get("/api/payouts"), http.StatusUnauthorized, "Not authorized", "")
}

func TestACompletedSaleOwesTheSellerOnePendingPayoutWhateverTheDeliveries(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		order []string // "completed", "paid"
	}{
		{"in order", []string{"paid", "completed"}},
		{"completed first", []string{"completed", "paid"}},
		{"each twice", []string{"paid", "completed", "completed", "paid"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFn(t)
			f.ready("seller")
			orderID := payout.NewID()
			done, charged := completed(t, orderID, "seller", 19.99), paid(t, orderID, "ch_"+orderID)
			for _, step := range tc.order {
				if step == "paid" {
					f.MustDeliver(charged)
				} else {
					f.MustDeliver(done)
				}
			}
			p := f.payoutOf("seller", orderID)
			if p.Status != "pending" || p.Amount != 1800 || p.Fee != 199 || p.Currency != "usd" ||
				!p.ReleaseAt.Equal(t0.Add(delay)) || p.Reason != "" || p.TransferID != "" {
				t.Errorf("payout %+v; want pending 1800 (fee 199) usd, due %v, waiting for nothing", p, t0.Add(delay))
			}
			if n := storetest.Count(t, f.db, "payouts"); n != 1 {
				t.Errorf("%d payouts stored, want 1", n)
			}
			if got := f.payouts("buyer"); len(got) != 0 {
				t.Errorf("the buyer sees payouts %+v", got)
			}
		})
	}
}

func TestACheckInReleasesThePayoutWithOneTransferFromTheSalesCharge(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	acct := f.ready("seller")
	orderID := f.sale("seller", 20, "ch_sale")
	if p := f.payoutOf("seller", orderID); p.Status != "pending" {
		t.Fatalf("payout %+v before check-in, want pending", p)
	}
	f.MustDeliver(checkedIn(t, orderID, t0))
	var p payoutBody
	testenv.Eventually(t, eventually, "the payout paid", func() bool {
		p = f.payoutOf("seller", orderID)
		return p.Status == "paid"
	})
	transfers := f.stripe.Requests("/v1/transfers")
	if len(transfers) != 1 {
		t.Fatalf("%d transfers, want 1", len(transfers))
	}
	tr := transfers[0]
	want := map[string]string{
		"amount": "1800", "currency": "usd", "destination": acct, "source_transaction": "ch_sale",
		"metadata[payoutId]": p.ID, "metadata[orderId]": orderID,
	}
	for k, v := range want {
		if tr.Form.Get(k) != v {
			t.Errorf("transfer %s = %q, want %q", k, tr.Form.Get(k), v)
		}
	}
	if tr.Key != "payout-"+p.ID || p.TransferID == "" {
		t.Errorf("transfer key %q, transfer id %q; want payout-%s and an id", tr.Key, p.TransferID, p.ID)
	}
	testenv.Eventually(t, eventually, "payout.released sent", func() bool { return len(f.released(orderID)) == 1 })
	if ev := f.released(orderID)[0]; ev.Amount != 1800 || ev.Fee != 200 || ev.SellerID != "seller" || ev.TransferID != p.TransferID || ev.ID != p.ID {
		t.Errorf("payout.released %+v, want 1800 and fee 200 to seller by %s", ev, p.TransferID)
	}
	// A check-in of a sale not known yet is too early: order.completed first.
	if code := f.Deliver(checkedIn(t, payout.NewID(), t0)); code != http.StatusConflict {
		t.Errorf("a check-in before its sale: %d, want 409", code)
	}
}

func TestAPaymentIntentsPayoutIsPaidFromItsLatestCharge(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	// stripe-mock's PaymentIntents have no charge: answer as Stripe does
	// once the buyer has paid.
	f.stripe.Answer(func(c stripetest.Call) bool {
		return c.Method == http.MethodGet && c.Path == "/v1/payment_intents/pi_sale"
	},
		http.StatusOK, `{"id":"pi_sale","object":"payment_intent","latest_charge":"ch_of_pi_sale"}`)
	f.ready("seller")
	orderID := f.sale("seller", 20, "pi_sale")
	f.MustDeliver(checkedIn(t, orderID, t0))
	testenv.Eventually(t, eventually, "the payout paid", func() bool { return f.payoutOf("seller", orderID).Status == "paid" })
	tr := f.stripe.Requests("/v1/transfers")
	if len(tr) != 1 || tr[0].Form.Get("source_transaction") != "ch_of_pi_sale" {
		t.Errorf("transfers %+v, want one from the PaymentIntent's charge", tr)
	}
}

func TestConcurrentReleasesOnReplicasMakeOneTransfer(t *testing.T) {
	t.Parallel()
	first := newFn(t, withoutRun)
	replicas := []*fn{first, newFn(t, sharing(first), withoutRun), newFn(t, sharing(first), withoutRun)}
	first.ready("seller")
	orderID := first.sale("seller", 20, "ch_sale")
	first.MustDeliver(checkedIn(t, orderID, t0))
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			if _, code := replicas[i%len(replicas)].sweep(); code != http.StatusOK {
				t.Errorf("sweep %d: %d", i, code)
			}
		})
	}
	wg.Wait()
	if n := len(first.stripe.Requests("/v1/transfers")); n != 1 {
		t.Errorf("%d transfers sent, want 1", n)
	}
	if p := first.payoutOf("seller", orderID); p.Status != "paid" {
		t.Errorf("payout %+v, want paid", p)
	}
}

func TestATransferWhoseOutcomeWasLostIsRedrivenWithTheSameKey(t *testing.T) {
	t.Parallel()
	crashed := newFn(t, withoutRun)
	crashed.ready("seller")
	orderID := crashed.sale("seller", 20, "ch_sale")
	crashed.MustDeliver(checkedIn(t, orderID, t0))
	// Stripe makes the transfer, but its answer never comes back.
	crashed.stripe.AnswerAfterActing(anyTransfer, http.StatusBadGateway, `{"error":{"type":"api_error"}}`)
	if _, code := crashed.sweep(); code != http.StatusServiceUnavailable {
		t.Fatalf("sweep while Stripe's answers are lost: %d, want 503", code)
	}
	if l := crashed.ledger(orderID); !l.Payout.Claimed() || l.Payout.Status != payout.Pending {
		t.Fatalf("payout %+v, want pending and claimed", l.Payout)
	}
	crashed.stripe.Clear()

	// Another process, later: too fresh a claim is left alone, an old one
	// re-driven.
	restarted := newFn(t, sharing(crashed), withoutRun)
	if res, _ := restarted.sweep(); res.Redriven != 0 {
		t.Fatalf("a fresh claim was re-driven: %+v", res)
	}
	restarted.clock.Advance(3 * time.Minute)
	if res, code := restarted.sweep(); code != http.StatusOK || res.Redriven != 1 || res.Released != 1 {
		t.Fatalf("sweep: %d %+v, want the claim re-driven and released", code, res)
	}
	p := restarted.payoutOf("seller", orderID)
	if keys := restarted.stripe.Keys("/v1/transfers"); len(keys) != 1 || keys[0] != "payout-"+p.ID || p.Status != "paid" {
		t.Errorf("transfer keys %q, payout %+v; want every send under payout-%s, paid", keys, p, p.ID)
	}
	if res, _ := restarted.sweep(); res != (restarted.sweepZero()) {
		t.Errorf("a sweep after: %+v, want nothing to do", res)
	}
}

func TestARefundCancelsAPayoutNotSentAndReversesOneSent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		releaseFirst  bool
		refundCharge  string // "" for the sale's own
		status        string
		reversals     int
		transfersSent int
	}{
		{"before release", false, "", "cancelled", 0, 0},
		{"after release", true, "", "reversed", 1, 1},
		{"of a duplicate payment", false, "pi_duplicate", "pending", 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFn(t)
			f.ready("seller")
			orderID := f.sale("seller", 20, "ch_sale")
			if tc.releaseFirst {
				f.MustDeliver(checkedIn(t, orderID, t0))
				testenv.Eventually(t, eventually, "paid", func() bool { return f.payoutOf("seller", orderID).Status == "paid" })
			}
			charge := tc.refundCharge
			if charge == "" {
				charge = "ch_sale"
			}
			f.MustDeliver(refunded(t, orderID, charge))
			f.MustDeliver(refunded(t, orderID, charge))
			testenv.Eventually(t, eventually, "the payout "+tc.status, func() bool { return f.payoutOf("seller", orderID).Status == tc.status })
			f.sweep()
			reversals := f.stripe.Keys("/v1/transfers/")
			if len(reversals) != tc.reversals || len(f.stripe.Keys("/v1/transfers")) != tc.transfersSent+tc.reversals {
				t.Errorf("reversal keys %q, want %d", reversals, tc.reversals)
			}
			if tc.reversals == 1 {
				p := f.payoutOf("seller", orderID)
				if reversals[0] != "payout-reversal-"+p.ID || f.stripe.Requests("/v1/transfers/")[0].Path != "/v1/transfers/"+p.TransferID+"/reversals" {
					t.Errorf("reversal %q of %+v", reversals[0], f.stripe.Requests("/v1/transfers/"))
				}
			}
			// The sale is refunded before its check-in comes: nothing is sent.
			f.MustDeliver(checkedIn(t, orderID, t0))
			f.sweep()
			if n := len(f.stripe.Requests("/v1/transfers")) - len(f.stripe.Requests("/v1/transfers/")); tc.status == "cancelled" && n != 0 {
				t.Errorf("%d transfers of a cancelled payout", n)
			}
		})
	}
}

func TestASellerNotOnboardedWaitsThenIsPaidOnceStripeEnablesTheAccount(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	orderID := f.sale("seller", 20, "ch_sale")
	f.MustDeliver(checkedIn(t, orderID, t0))
	f.sweep()
	if p := f.payoutOf("seller", orderID); p.Status != "pending" || p.Reason != payout.AwaitingOnboarding {
		t.Fatalf("payout %+v, want pending awaiting_onboarding", p)
	}
	f.onboard("seller")
	a, _ := f.account("seller")
	f.mustWebhook(accountUpdated("evt_details", a.AccountID, "seller", false, time.Now().Add(-time.Minute)))
	f.sweep()
	if p := f.payoutOf("seller", orderID); p.Status != "pending" || p.Reason != payout.AwaitingOnboarding {
		t.Fatalf("payout %+v with payouts not enabled, want still awaiting onboarding", p)
	}
	f.mustWebhook(accountUpdated("evt_enabled", a.AccountID, "seller", true, time.Now()))
	// An older update delivered late changes nothing.
	f.mustWebhook(accountUpdated("evt_late", a.AccountID, "seller", false, time.Now().Add(-time.Hour)))
	testenv.Eventually(t, eventually, "the payout paid", func() bool { return f.payoutOf("seller", orderID).Status == "paid" })
	if a, _ := f.account("seller"); !a.PayoutsEnabled {
		t.Errorf("account %+v, want payouts enabled", a)
	}
	if tr := f.stripe.Requests("/v1/transfers"); len(tr) != 1 || tr[0].Form.Get("destination") != a.AccountID {
		t.Errorf("transfers %+v, want one to %s", tr, a.AccountID)
	}
}

func TestTheWebhookRefusesWhatStripeDidNotSign(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	body := accountUpdated("evt_forged", "acct_x", "seller", true, time.Now())
	for _, tc := range []struct {
		name     string
		secret   string
		signedAt time.Time
	}{
		{"unsigned", "", time.Now()},
		{"another secret", "whsec_other", time.Now()},
		{"signed long ago", testWebhookSecret, time.Now().Add(-time.Hour)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, f.postWebhook(body, tc.secret, tc.signedAt), http.StatusBadRequest, "Invalid Stripe signature", "")
		})
	}
	if res := f.postWebhook(body, testWebhookSecret, time.Now()); res.Code != http.StatusOK {
		t.Errorf("an update of no seller's account: %d %s, want 200 and ignored", res.Code, res.Body)
	}
	if n := storetest.Count(t, f.db, "accounts"); n != 0 {
		t.Errorf("%d accounts stored", n)
	}
}

func TestPayoutLifeOnEveryDriver(t *testing.T) {
	t.Parallel()
	storetest.EachStore(t, "payouts", func(t *testing.T, db store.Store) {
		f := newFn(t, withStore(db))
		seller := "seller-" + payout.NewID()
		f.ready(seller)
		var orders []string
		for i := range 3 {
			orders = append(orders, f.sale(seller, 10+float64(i), "ch_"+strconv.Itoa(i)+payout.NewID()))
			f.clock.Advance(time.Second)
		}
		list := f.payouts(seller)
		if len(list) != 3 || list[0].OrderID != orders[2] || list[2].OrderID != orders[0] {
			t.Fatalf("payouts %+v, want 3 newest first", list)
		}
		f.clock.Advance(delay)
		if res, code := f.sweep(); code != http.StatusOK || res.Released+len(f.stripe.Requests("/v1/transfers")) < 3 {
			t.Fatalf("sweep after the delay: %d %+v", code, res)
		}
		testenv.Eventually(t, eventually, "every payout paid", func() bool {
			for _, p := range f.payouts(seller) {
				if p.Status != "paid" {
					return false
				}
			}
			return true
		})
		f.MustDeliver(refunded(t, orders[1], f.ledger(orders[1]).ChargeID))
		testenv.Eventually(t, eventually, "the refunded sale's payout reversed", func() bool {
			return f.payoutOf(seller, orders[1]).Status == "reversed"
		})
	})
}

func TestTheAPIRefusesABannedUser(t *testing.T) {
	t.Parallel()
	f := newFn(t)
	banlisttest.Test(t, banlisttest.Function{Receiver: f.Receiver, Ask: func(tb testing.TB, userID string) httpxtest.Response {
		u := f.user(userID)
		u.TB = tb
		return u.Get("/api/payouts")
	}})
}
