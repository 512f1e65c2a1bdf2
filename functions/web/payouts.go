package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/buytickets/buytickets/functions/web/internal/api"
)

// The states of a seller's Stripe connected account on the Get paid page.
const (
	accountNone       = "not-connected"
	accountUnfinished = "onboarding-unfinished"
	accountEnabled    = "payouts-enabled"
)

// payoutsPage is the content of the Get paid page.
type payoutsPage struct {
	// Account is one of the account constants.
	Account string
	// Expired is set when Stripe sent the seller back because the
	// onboarding link had expired or was used (its refresh URL).
	Expired bool
	Payouts []payoutView
}

// payoutView is a payout as the Get paid page shows it, in dollars.
type payoutView struct {
	api.Payout
	// Sale is the price the buyer paid, Fee the platform's share and
	// Receive what the seller is paid.
	Sale, Fee, Receive string
	StatusLabel        string
	// Detail says in words why a payout waits, or what became of it.
	Detail string
	// Due is set on a pending payout that waits only for its release.
	Due bool
}

// payoutStatusLabels name a payout's status on the page.
var payoutStatusLabels = map[string]string{
	api.PayoutPending:   "Pending",
	api.PayoutPaid:      "Paid",
	api.PayoutCancelled: "Cancelled",
	api.PayoutReversed:  "Reversed",
}

// payoutDetails say why a pending payout waits, by its reason, or what
// became of one that no longer does, by its status.
var payoutDetails = map[string]string{
	api.AwaitingOnboarding: "Waiting for you to finish onboarding with Stripe.",
	api.AwaitingPayment:    "Waiting for the buyer's payment to be confirmed.",
	api.TransferRefused:    "Stripe refused the transfer to your account; it will be tried again.",
	api.PayoutPaid:         "Sent to your Stripe account.",
	api.PayoutCancelled:    "The sale was refunded before it was paid out.",
	api.PayoutReversed:     "The sale was refunded after it was paid out, so the transfer was taken back.",
}

func viewPayout(p api.Payout) payoutView {
	v := payoutView{Payout: p, Sale: money(api.Price(p.Amount + p.Fee)), Fee: money(api.Price(p.Fee)),
		Receive: money(api.Price(p.Amount)), StatusLabel: payoutStatusLabels[p.Status]}
	if v.StatusLabel == "" {
		v.StatusLabel = p.Status
	}
	switch {
	case p.Status == api.PayoutPending && p.Reason == "":
		v.Due = true
	case p.Status == api.PayoutPending:
		v.Detail = payoutDetails[p.Reason]
	default:
		v.Detail = payoutDetails[p.Status]
	}
	return v
}

// handlePayouts shows the Get paid page: the state of the signed-in
// seller's Stripe account, the button that starts or continues onboarding,
// and their payouts. Stripe sends the seller back here when onboarding is
// done, and to ?refresh=1 when its link has expired.
func (f *Function) handlePayouts() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := f.visit(w, r)
		if _, ok := v.requireUser(); !ok {
			return
		}
		content := payoutsPage{Account: accountUnfinished, Expired: r.URL.Query().Get("refresh") != ""}
		a, err := f.api.PayoutAccount(v.ctx(), v.session)
		switch {
		case api.StatusOf(err) == http.StatusNotFound:
			content.Account = accountNone
		case err != nil:
			v.fail(err)
			return
		case a.PayoutsEnabled:
			content.Account = accountEnabled
		}
		ps, err := f.api.Payouts(v.ctx(), v.session)
		if err != nil {
			v.fail(err)
			return
		}
		for _, p := range ps {
			content.Payouts = append(content.Payouts, viewPayout(p))
		}
		v.render(http.StatusOK, "payouts", page{Title: "Get paid", Content: content})
	})
}

// handleOnboarding asks payouts for a Stripe onboarding link for the
// signed-in seller and sends the browser there.
//
// The browser sends no address: the form posts nothing, and the only
// place the browser can be sent is the URL payouts answered over our own
// call to the API. Even so that URL is checked (stripeURL) before it is
// followed, so that a fault or a compromise behind the API cannot turn
// this page into a redirect to any site.
func (f *Function) handleOnboarding() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v := f.visit(w, r)
		v.back = "/payouts"
		link, err := f.api.StartOnboarding(v.ctx(), v.session)
		if err == nil && !stripeURL(link) {
			err = errors.New("payouts answered an onboarding link that is not Stripe's https URL")
		}
		if err != nil {
			v.fail(err)
			return
		}
		v.redirect(link, "")
	})
}

// stripeDomains are where an onboarding link may send the browser:
// Stripe's own domains (stripe-mock's link is on stripe.me). The page's
// Content-Security-Policy lets its form go there too.
var stripeDomains = []string{"stripe.com", "stripe.me"}

// stripeURL reports whether raw is an absolute https URL on a host under
// one of stripeDomains, on the default port, with no user name or
// password in it.
func stripeURL(raw string) bool {
	if strings.ContainsAny(raw, "\\\r\n\t ") {
		return false
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.User != nil || u.Opaque != "" || u.Port() != "" {
		return false
	}
	host := strings.ToLower(u.Hostname())
	for _, d := range stripeDomains {
		if strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}
