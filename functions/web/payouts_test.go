package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/buytickets/buytickets/functions/web"
)

// Recorded from the embedded stack's payouts, with stripe-mock's onboarding
// link.
const (
	onboardingLink = "https://sangeekp-15t6ai--manage-mydev.dev.stripe.me/setup/s/acct_1PgafTB7WZ01zgkW/MerI6itPZo2K"
	othersResale   = `{"id":"7b1ac9c1ed0b795642dd598f","title":"T2","price":12.49,"userId":"f35bbc050a75c55289bc74ce","status":"available","version":0,"createdAt":"2026-11-26T20:33:25.024Z","faceValue":30,"resaleOf":"` + eticketCode + `"}`
	accountOff     = `{"accountId":"acct_1PgafTB7WZ01zgkW","payoutsEnabled":false}`
	accountOn      = `{"accountId":"acct_1PgafTB7WZ01zgkW","payoutsEnabled":true}`
	noAccount      = `{"errors":[{"message":"Not found"}]}`
	payoutsJSON    = `[` +
		`{"id":"p1","orderId":"a22ec358fc6d339761d31998","amount":2700,"fee":300,"currency":"usd","status":"pending","releaseAt":"2026-11-29T20:34:01Z","reason":"awaiting_onboarding"},` +
		`{"id":"p2","orderId":"b33fd469ad7e44a872e42aa9","amount":1215,"fee":135,"currency":"usd","status":"pending","releaseAt":"2026-11-29T20:30:00Z"},` +
		`{"id":"p3","orderId":"c44ae57abe8f55b983f53bba","amount":100000,"fee":11112,"currency":"usd","status":"paid","releaseAt":"2026-11-29T20:20:00Z","transferId":"tr_1"},` +
		`{"id":"p4","orderId":"d55bf68bcf9066c094064ccb","amount":45,"fee":5,"currency":"usd","status":"reversed","releaseAt":"2026-11-29T20:10:00Z","transferId":"tr_2"}]`
)

func TestGetPaidShowsEachAccountStateAndItsButton(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		account answer
		wants   []string
	}{
		{"never onboarded", answer{status: 404, body: noAccount}, []string{
			`data-account="not-connected"`, `Not connected:`, `<button type="submit">Start onboarding</button>`}},
		{"onboarding unfinished", answer{body: accountOff}, []string{
			`data-account="onboarding-unfinished"`, `Onboarding unfinished:`, `<button type="submit">Continue onboarding</button>`}},
		{"payouts enabled", answer{body: accountOn}, []string{
			`data-account="payouts-enabled"`, `Payouts enabled:`, `Update your details with Stripe</button>`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := &recordedAPI{answers: map[string]answer{"GET /api/payouts/account": tc.account, "GET /api/payouts": {body: `[]`}}}
			s := newStorefront(t, a, "", time.Time{})
			resp := s.get("/payouts", signedInCookies...)
			page := body(t, resp)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, want 200:\n%s", resp.StatusCode, page)
			}
			mustContain(t, page, append(tc.wants,
				`<title>Get paid · Buytickets</title>`, `<a href="/payouts">Get paid</a>`,
				`<form method="post" action="/payouts/onboarding" data-onboarding-form>`,
				`<p class="empty" data-empty>No payouts yet.`)...)
			if strings.Contains(page, "data-onboarding-expired") {
				t.Errorf("the page says the link expired on a plain visit")
			}
		})
	}
}

func TestGetPaidListsPayoutsInDollarsWithTheirReasonInWords(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{answers: map[string]answer{"GET /api/payouts/account": {body: accountOff}, "GET /api/payouts": {body: payoutsJSON}}}
	s := newStorefront(t, a, "", time.Time{})
	page := body(t, s.get("/payouts", signedInCookies...))
	mustContain(t, page,
		`<li class="payout card" data-payout-order="a22ec358fc6d339761d31998">`,
		`data-status="pending">Pending</span>`,
		`You receive <strong class="price" data-receive>$27.00</strong>`,
		`<dd class="price" data-sale>$30.00</dd>`,
		`<dd class="price" data-fee>$3.00</dd>`,
		`<p class="note" data-detail>Waiting for you to finish onboarding with Stripe.</p>`,
		`data-detail>Due on <time datetime="2026-11-29T20:30:00Z">29 Nov 2026, 20:30:00 UTC</time>, or sooner once its e-ticket is checked in.</p>`,
		`data-receive>$1,000.00</strong>`, `data-fee>$111.12</dd>`, `data-sale>$1,111.12</dd>`,
		`data-status="paid">Paid</span>`, `data-detail>Sent to your Stripe account.</p>`,
		`data-status="reversed">Reversed</span>`, `data-receive>$0.45</strong>`, `the transfer was taken back`)
}

func TestGetPaidAfterAnExpiredLinkOffersToContinue(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{answers: map[string]answer{"GET /api/payouts/account": {body: accountOff}, "GET /api/payouts": {body: `[]`}}}
	s := newStorefront(t, a, "", time.Time{})
	page := body(t, s.get("/payouts?refresh=1", signedInCookies...))
	mustContain(t, page, `data-onboarding-expired>Your onboarding link expired or was already used.`, `Continue onboarding</button>`)
}

func TestGetPaidSendsASignedOutVisitorToSignIn(t *testing.T) {
	t.Parallel()
	s := newStorefront(t, &recordedAPI{}, "", time.Time{})
	resp := s.get("/payouts")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/auth/signin?next=%2Fpayouts" {
		t.Errorf("got %d to %q, want 303 to sign in and back", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestOnboardingSendsTheBrowserToStripesLink(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{answers: map[string]answer{"POST /api/payouts/onboarding": {status: 201, body: `{"url":"` + onboardingLink + `"}`}}}
	s := newStorefront(t, a, "", time.Time{})
	resp := s.post("/payouts/onboarding", url.Values{}, signedInCookies...)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != onboardingLink {
		t.Errorf("got %d to %q, want 303 to the onboarding link", resp.StatusCode, resp.Header.Get("Location"))
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' https://*.stripe.com https://*.stripe.me;") {
		t.Errorf("the policy %q does not let the form's answer go on to Stripe", csp)
	}
}

func TestOnboardingFollowsNoLinkButStripesHTTPSOne(t *testing.T) {
	t.Parallel()
	for _, link := range []string{
		"http://connect.stripe.com/setup/s/x",
		"https://evil.example/setup",
		"https://stripe.com.evil.example/setup",
		"https://evilstripe.com/setup",
		"https://user:pw@connect.stripe.com/setup",
		"https://connect.stripe.com:8443/setup",
		"//connect.stripe.com/setup",
		"/auth/signout",
		"javascript:alert(1)",
		"",
	} {
		a := &recordedAPI{answers: map[string]answer{"POST /api/payouts/onboarding": {status: 201, body: `{"url":` + jsonString(link) + `}`}}}
		s := newStorefront(t, a, "", time.Time{})
		resp := s.post("/payouts/onboarding", url.Values{}, signedInCookies...)
		if resp.StatusCode != http.StatusInternalServerError || resp.Header.Get("Location") != "" {
			t.Errorf("link %q: got %d to %q, want 500 and no redirect", link, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
}

func TestOnboardingSignedOutGoesToSignInAndBackToGetPaid(t *testing.T) {
	t.Parallel()
	a := &recordedAPI{answers: map[string]answer{"POST /api/payouts/onboarding": {status: 401, body: notAuthBody}}}
	s := newStorefront(t, a, "", time.Time{})
	resp := s.post("/payouts/onboarding", url.Values{})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/auth/signin?next=%2Fpayouts" {
		t.Errorf("got %d to %q, want 303 to sign in and back to /payouts", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestMyListingsSaysWhatTheSellerReceivesAfterTheFee(t *testing.T) {
	t.Parallel()
	// 13.50 less 10% is 12.15; 12.49 less 10% (1.249, rounded down) is 11.25.
	mine := `[{"id":"0c1b48307f5f9e3575f1e271","title":"T3","price":13.5,"userId":"d98cdccb72b00e66b5c5ddb0","status":"available","version":0,"createdAt":"2026-11-26T20:33:25.099Z"},` +
		`{"id":"7b1ac9c1ed0b795642dd598f","title":"T2","price":12.49,"userId":"d98cdccb72b00e66b5c5ddb0","status":"available","version":0,"createdAt":"2026-11-26T20:33:25.024Z","faceValue":30,"resaleOf":"` + eticketCode + `"}]`
	a := &recordedAPI{answers: map[string]answer{"GET /api/tickets": {body: mine}}}
	s := newStorefront(t, a, "", time.Time{})
	mustContain(t, body(t, s.get("/listings", signedInCookies...)),
		`<span class="price">$13.50</span>`, `data-receive>You receive $12.15 after the 10% fee</span>`,
		`<span class="price">$12.49</span>`, `data-receive>You receive $11.25 after the 10% fee</span>`)

	// The buyer sees the one price, without the seller's share or the
	// face value.
	a.answers["GET /api/tickets/7b1ac9c1ed0b795642dd598f"] = answer{body: othersResale}
	page := body(t, s.get("/tickets/7b1ac9c1ed0b795642dd598f", signedInCookies...))
	mustContain(t, page, `<p class="price-large">$12.49</p>`)
	if strings.Contains(page, "You receive") || strings.Contains(page, "$30.00") {
		t.Errorf("the buyer's page shows the seller's share or the face value:\n%s", page)
	}
}

func TestTheFeeFollowsPlatformFeePercent(t *testing.T) {
	t.Parallel()
	srv := &recordedAPI{answers: map[string]answer{"GET /api/tickets": {body: `[{"id":"0c1b48307f5f9e3575f1e271","title":"T3","price":13.5,"userId":"d98cdccb72b00e66b5c5ddb0","status":"available","version":0,"createdAt":"2026-11-26T20:33:25.099Z"}]`}}}
	for percent, want := range map[int]string{0: "You receive $13.50 after the 0% fee", 15: "You receive $11.48 after the 15% fee"} {
		s := newStorefrontWith(t, srv, web.Config{PlatformFee: web.PercentFee(percent)})
		mustContain(t, body(t, s.get("/listings", signedInCookies...)), want)
	}
	var fee web.FeePercent
	for _, bad := range []string{"-1", "101", "ten", "1.5"} {
		if err := fee.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("PLATFORM_FEE_PERCENT=%s is accepted", bad)
		}
	}
	if err := fee.UnmarshalText([]byte("0")); err != nil || fee.Percent() != 0 {
		t.Errorf("PLATFORM_FEE_PERCENT=0 reads as %d, %v", fee.Percent(), err)
	}
	if got := (web.FeePercent{}).Percent(); got != 10 {
		t.Errorf("an unset fee is %d per cent, want payouts' default 10", got)
	}
}

// calledWith reports whether a made the call.
func calledWith(a *recordedAPI, call string) bool { return slices.Contains(a.made(), call) }
