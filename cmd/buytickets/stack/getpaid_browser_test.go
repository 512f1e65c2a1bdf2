package stack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
)

// The Get paid page and resale in the browser: a seller onboards to Stripe
// Connect and sees what a sale pays them, and a buyer resells their
// e-ticket at no more than they paid and takes it off sale again. Every
// page is checked with axe-core.

// stripeStandIn is the page the browser is shown in place of Stripe's
// onboarding: the test has no network, and what is tested is that the
// browser is sent there.
const stripeStandIn = `<!doctype html><html lang="en"><head><title>Stripe onboarding</title></head>` +
	`<body><main><h1>Stripe onboarding (stand-in)</h1></main></body></html>`

// standInForStripe answers every request the visitor's tab makes to
// Stripe's domains with stripeStandIn, and returns the URLs requested.
func (v *visitor) standInForStripe() func() []string {
	v.t.Helper()
	var mu sync.Mutex
	var seen []string
	patterns := []*fetch.RequestPattern{{URLPattern: "https://*.stripe.me/*"}, {URLPattern: "https://*.stripe.com/*"}}
	ctx, cancel := context.WithTimeout(v.ctx, actionTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: patterns}); err != nil {
		v.t.Fatalf("%s: intercept Stripe: %v", v.name, err)
	}
	go func() {
		for ev, err := range chromedp.Events(v.ctx, fetch.RequestPaused) {
			if err != nil {
				return
			}
			mu.Lock()
			seen = append(seen, ev.Request.URL)
			mu.Unlock()
			_, _ = chromedp.Call(v.ctx, fetch.FulfillRequest, fetch.FulfillRequestParams{
				RequestID: ev.RequestID, ResponseCode: http.StatusOK, Body: []byte(stripeStandIn),
				ResponseHeaders: []*fetch.HeaderEntry{{Name: "Content-Type", Value: "text/html; charset=utf-8"}},
			})
		}
	}()
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

func TestBrowserGetPaidOnboardsTheSellerAndShowsThePendingPayout(t *testing.T) {
	t.Parallel()
	s := storefront(t, 0)
	b := newBrowser(t, s.URL())
	seller, buyer := b.visitor("seller", true), b.visitor("buyer", true)
	_, order := sellAndOrder(seller, buyer, "Harbour Lights, balcony", "30")

	seller.open("/listings", "my-listings")
	if got := seller.text("[data-receive]"); got != "You receive $27.00 after the 10% fee" {
		t.Errorf("My listings says %q, want You receive $27.00 after the 10%% fee", got)
	}
	seller.accessible("my-listings")

	seller.press(`header nav a[href="/payouts"]`, "get-paid")
	if seller.path() != "/payouts" || seller.text("h1") != "Get paid" || seller.attr("[data-account]", "data-account") != "not-connected" {
		t.Fatalf("Get paid shows %s %q, account %q", seller.path(), seller.text("h1"), seller.attr("[data-account]", "data-account"))
	}
	if !seller.has("[data-empty]") {
		t.Errorf("a seller paid for nothing sees %q", seller.text("main"))
	}
	seller.accessible("get-paid")

	// Start onboarding: the browser is sent to the link payouts answered,
	// stripe-mock's, which the test answers in Stripe's place.
	requested := seller.standInForStripe()
	if status := seller.press("[data-onboarding-form] button[type=submit]", "onboarding"); status != http.StatusOK {
		t.Fatalf("onboarding landed on %d", status)
	}
	href := eval[string](seller, `location.href`)
	u, err := url.Parse(href)
	if err != nil || u.Scheme != "https" || !strings.HasSuffix(u.Host, ".stripe.me") || !strings.HasPrefix(u.Path, "/setup/") ||
		seller.text("h1") != "Stripe onboarding (stand-in)" {
		t.Fatalf("onboarding sent the browser to %q (%q), want stripe-mock's account link", href, seller.text("h1"))
	}
	if got := requested(); len(got) == 0 || got[0] != href {
		t.Errorf("the tab asked Stripe's domains for %q, want the onboarding link first", got)
	}

	// Stripe sends the seller back: to /payouts when done, to
	// /payouts?refresh=1 when the link has expired.
	seller.open("/payouts?refresh=1", "onboarding-expired")
	if !seller.has("[data-onboarding-expired]") || seller.attr("[data-account]", "data-account") != "onboarding-unfinished" {
		t.Errorf("the refresh URL shows %q", seller.text("main"))
	}
	seller.accessible("onboarding-expired")
	seller.open("/payouts", "onboarding-unfinished")
	if got := seller.text("[data-onboarding-form] button"); got != "Continue onboarding" {
		t.Errorf("an unfinished onboarding offers %q, want Continue onboarding", got)
	}
	seller.accessible("onboarding-unfinished")

	var account struct {
		AccountID string `json:"accountId"`
	}
	if err := json.Unmarshal([]byte(seller.fetchText("/api/payouts/account")), &account); err != nil || account.AccountID == "" {
		t.Fatalf("the seller's account: %v %+v", err, account)
	}
	postConnectEvent(t, s, payoutsEnabled(account.AccountID))
	seller.until("/payouts", "payouts-enabled", "payouts are enabled", func() bool {
		return seller.attr("[data-account]", "data-account") == "payouts-enabled"
	})
	seller.accessible("payouts-enabled")

	// The buyer pays: the seller sees what the sale owes them.
	buyer.payForETicket(order)
	item := fmt.Sprintf("[data-payout-order=%q]", order)
	seller.until("/payouts", "payout-pending", "the sale's payout is listed", func() bool { return seller.has(item) })
	if got := seller.attr(item+" [data-status]", "data-status"); got != "pending" || seller.text(item+" [data-status]") != "Pending" {
		t.Errorf("the payout is %q %q, want pending", got, seller.text(item+" [data-status]"))
	}
	if sale, fee, receive := seller.text(item+" [data-sale]"), seller.text(item+" [data-fee]"), seller.text(item+" [data-receive]"); sale != "$30.00" || fee != "$3.00" || receive != "$27.00" {
		t.Errorf("the payout shows sale %q, fee %q, receive %q, want $30.00, $3.00, $27.00", sale, fee, receive)
	}
	if got := seller.text(item + " [data-detail]"); !strings.HasPrefix(got, "Due on ") && !strings.HasPrefix(got, "Waiting for the buyer's payment") {
		t.Errorf("the pending payout says %q", got)
	}
	seller.accessible("payout-pending")
}

// resellAt posts price with the Resell form of the e-ticket page the
// visitor shows, once tickets has heard of the e-ticket (until then it
// answers that they hold none), and returns the status.
func (v *visitor) resellAt(code, price, step string) int64 {
	v.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		v.fill("#field-price", price)
		status := v.press("[data-resell-form] button[type=submit]", step)
		if v.text("[data-form-error]") != "You hold no e-ticket with this code" {
			return status
		}
		if time.Now().After(deadline) {
			v.t.Fatalf("%s: tickets never heard of e-ticket %s", v.name, code)
		}
		time.Sleep(200 * time.Millisecond)
		v.open("/etickets/"+code, "eticket")
	}
}

func TestBrowserResaleAtFaceValueListsTheETicketAndStopResellingRestoresIt(t *testing.T) {
	t.Parallel()
	s := storefront(t, 0)
	b := newBrowser(t, s.URL())
	seller, buyer := b.visitor("seller", true), b.visitor("buyer", true)
	_, order := sellAndOrder(seller, buyer, "Night Owls, row F", "30")
	code := buyer.payForETicket(order)

	buyer.open("/etickets", "my-tickets")
	buyer.press(fmt.Sprintf("[data-code=%q] [data-resell-link]", code), "resell")
	if buyer.path() != "/etickets/"+code || !buyer.has("[data-resell-form]") {
		t.Fatalf("Resell landed on %s %q", buyer.path(), buyer.text("main"))
	}
	if got := buyer.text("[data-face-value]"); got != "You can resell for at most $30.00, what you paid." {
		t.Errorf("the Resell form says %q", got)
	}
	if got := buyer.attr("#field-price", "max"); got != "30.00" {
		t.Errorf("the price's maximum is %q, want 30.00", got)
	}
	buyer.accessible("resell")

	if status := buyer.resellAt(code, "30.01", "resell-above-face-value"); status != http.StatusBadRequest {
		t.Errorf("a resale above face value answered %d, want 400", status)
	}
	if got := buyer.text(`[data-error-for="price"]`); got != "Resale price cannot exceed face value ($30.00)" {
		t.Errorf("above face value the price says %q", got)
	}
	buyer.accessible("resell-above-face-value")

	buyer.resellAt(code, "30", "listed")
	if buyer.path() != "/etickets/"+code || buyer.text("[data-resale-listed]") != "Listed for resale" || buyer.text("[data-listing-price]") != "$30.00" {
		t.Fatalf("at face value the page shows %s %q", buyer.path(), buyer.text("main"))
	}
	if got := buyer.text("[data-receive]"); got != "You receive $27.00 after the 10% fee, once it sells." {
		t.Errorf("the listing says %q", got)
	}
	buyer.until("/etickets/"+code, "eticket-listed", "the e-ticket shows listed", func() bool {
		return buyer.attr("[data-eticket] [data-status]", "data-status") == "listed"
	})
	if got := buyer.text("[data-eticket] [data-status]"); got != "Listed for resale" {
		t.Errorf("the listed e-ticket's status reads %q", got)
	}
	buyer.accessible("eticket-listed")

	// The seller's door refuses it in words while it is on sale.
	seller.open("/checkin", "checkin")
	if status, answer := seller.checkIn(code, "checkin-listed"); status != http.StatusBadRequest || answer != "listed" ||
		seller.text("[data-answer-heading]") != "Listed for resale" {
		t.Errorf("checking in a listed e-ticket answered %d %q %q", status, answer, seller.text("[data-answer-heading]"))
	}
	seller.accessible("checkin-listed")

	buyer.press("[data-unlist-form] button[type=submit]", "stopped-reselling")
	if !buyer.has("[data-resell-form]") || buyer.has("[data-resale-listed]") {
		t.Errorf("after Stop reselling the page shows %q", buyer.text("main"))
	}
	buyer.until("/etickets/"+code, "eticket-restored", "the e-ticket is valid again", func() bool {
		return buyer.attr("[data-eticket] [data-status]", "data-status") == "valid"
	})
	buyer.accessible("eticket-restored")
}
