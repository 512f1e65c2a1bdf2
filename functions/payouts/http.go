package payouts

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/buytickets/buytickets/functions/payouts/internal/gateway"
	"github.com/buytickets/buytickets/functions/payouts/internal/payout"
	"github.com/buytickets/buytickets/shared/apperr"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/logging"
	"github.com/buytickets/buytickets/shared/paging"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/stripeapi"
)

// onboardingResponse is the answer of POST /api/payouts/onboarding.
type onboardingResponse struct {
	URL string `json:"url"`
}

// handleOnboarding creates the signed-in seller's Express connected
// account on their first call, and answers 201 with the URL of a new
// Account Link that onboards it; Stripe sends the seller back to the web
// UI's /payouts. 503 when Stripe cannot be reached.
func (f *Function) handleOnboarding() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := sharedauth.FromContext(r.Context())
		a, err := f.store.Account(r.Context(), u.ID)
		if errors.Is(err, payout.ErrNotFound) {
			a, err = f.createAccount(r, u.ID)
		}
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		back := f.publicURL + "/payouts"
		link, err := f.stripe.OnboardingLink(r.Context(), a.AccountID, back, back+"?refresh=1")
		if err != nil {
			httpx.Error(w, r, fmt.Errorf("gateway.OnboardingLink: %w", err))
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		httpx.JSON(w, http.StatusCreated, onboardingResponse{URL: link})
	})
}

// createAccount creates the connected account of userID at Stripe and
// keeps it, or the one a concurrent first call kept.
func (f *Function) createAccount(r *http.Request, userID string) (*payout.Account, error) {
	accountID, err := f.stripe.CreateAccount(r.Context(), userID)
	if err != nil {
		return nil, fmt.Errorf("gateway.CreateAccount: %w", err)
	}
	a, err := f.store.AddAccount(r.Context(), payout.Account{UserID: userID, AccountID: accountID, CreatedAt: f.ft.Now()})
	if err != nil {
		return nil, fmt.Errorf("store.AddAccount: %w", err)
	}
	return a, nil
}

// accountResponse is a seller's connected account as the API shows it.
type accountResponse struct {
	AccountID      string `json:"accountId"`
	PayoutsEnabled bool   `json:"payoutsEnabled"`
}

// handleAccount answers the signed-in seller's connected account, or 404
// before their first onboarding.
func (f *Function) handleAccount() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := sharedauth.FromContext(r.Context())
		a, err := f.store.Account(r.Context(), u.ID)
		if err != nil {
			httpx.Error(w, r, fmt.Errorf("store.Account: %w", err))
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		httpx.JSON(w, http.StatusOK, accountResponse{AccountID: a.AccountID, PayoutsEnabled: a.PayoutsEnabled})
	})
}

// payoutResponse is a payout as the API shows it (DESIGN §3): amounts in
// cents, as the payment events carry them.
type payoutResponse struct {
	ID         string     `json:"id"`
	OrderID    string     `json:"orderId"`
	Amount     int64      `json:"amount"`
	Fee        int64      `json:"fee"`
	Currency   string     `json:"currency"`
	Status     string     `json:"status"`
	ReleaseAt  httpx.Time `json:"releaseAt"`
	TransferID string     `json:"transferId,omitempty"`
	Reason     string     `json:"reason,omitempty"`
}

func responseOf(l *payout.Ledger) payoutResponse {
	p := l.Payout
	return payoutResponse{
		ID: p.ID, OrderID: p.OrderID, Amount: int64(p.Amount), Fee: int64(p.Fee), Currency: payout.Currency,
		Status: string(p.Status), ReleaseAt: httpx.TimeOf(p.ReleaseAt), TransferID: p.TransferID, Reason: l.Reason(),
	}
}

// listing is the page GET /api/payouts accepts: ?after names an order.
var listing = paging.Rule{
	DefaultLimit: 100, MaxLimit: 100, ValidAfter: store.ValidID,
	BadAfter: apperr.Field("after", "After must be the order id of a payout of the previous page"),
}

// handleList answers a page of the signed-in seller's payouts, newest
// first, with a Link rel="next" header when more follow.
func (f *Function) handleList() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := sharedauth.FromContext(r.Context())
		page, bad := listing.Query(r.URL.Query())
		if bad != nil {
			httpx.Error(w, r, bad)
			return
		}
		held, more, err := f.store.OfSeller(r.Context(), u.ID, page.Limit, page.After)
		if err != nil {
			httpx.Error(w, r, fmt.Errorf("store.OfSeller: %w", err))
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		httpx.Page(w, held, responseOf, more, func(last *payout.Ledger) string {
			return paging.NextLink("/api/payouts", page.Limit, last.OrderID)
		})
	})
}

// handleWebhook takes Stripe Connect's events, verified with the Connect
// webhook secret: account.updated records whether the seller's account can
// receive payouts, and, when it can, releases what waited for it. 400 for
// a bad signature or event; other types are answered 200 and ignored.
func (f *Function) handleWebhook() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		logger := logging.FromContext(r.Context())
		ev, err := f.verifyWebhook(w, r)
		if err != nil {
			logger.WarnContext(r.Context(), "Stripe webhook refused", slog.Any("error", err))
			httpx.Error(w, r, err)
			return
		}
		if a := ev.Account; a != nil {
			_, requeued, err := f.store.UpdateAccount(r.Context(), a.AccountID, a.PayoutsEnabled, a.At)
			switch {
			case errors.Is(err, payout.ErrNotFound):
				logger.WarnContext(r.Context(), "account.updated of no seller's account, ignored", slog.String("account", a.AccountID))
			case err != nil:
				httpx.Error(w, r, fmt.Errorf("store.UpdateAccount: %w", err))
				return
			case requeued > 0:
				f.wake.Notify()
			}
		}
		httpx.JSON(w, http.StatusOK, struct{}{})
	})
}

// verifyWebhook reads the Stripe event of r, at most
// stripeapi.MaxWebhookBytes of JSON, and checks it (gateway.ReadEvent).
func (f *Function) verifyWebhook(w http.ResponseWriter, r *http.Request) (gateway.Event, error) {
	payload, err := stripeapi.WebhookBody(w, r)
	if err != nil {
		return gateway.Event{}, err
	}
	return gateway.ReadEvent(payload, r.Header.Get("Stripe-Signature"), f.webhookSecret)
}

// handleSweep answers the PingSource at SweepPath: it releases, re-drives
// and reverses what is due, and answers 200 with the counts, or 503 when
// some of the work failed (the next sweep tries it again).
func (f *Function) handleSweep() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, err := f.sweep(r.Context())
		if err != nil {
			logging.FromContext(r.Context()).WarnContext(r.Context(), "payouts sweep incomplete", slog.Any("result", res), slog.Any("error", err))
			w.Header().Set("Retry-After", httpx.RetryAfterSeconds)
			httpx.JSON(w, http.StatusServiceUnavailable, httpx.ErrorBody{Errors: []httpx.ErrorItem{{Message: "Payouts sweep incomplete"}}})
			return
		}
		httpx.JSON(w, http.StatusOK, res)
	})
}
