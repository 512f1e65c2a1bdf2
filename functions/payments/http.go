package payments

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/buytickets/buytickets/functions/payments/internal/gateway"
	"github.com/buytickets/buytickets/functions/payments/internal/payment"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/logging"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/stripeapi"
)

// chargeRequest is the body of POST /api/payments.
type chargeRequest struct {
	OrderID string `json:"orderId"`
	Token   string `json:"token"`
}

// paymentResponse is a payment as the API answers it (DESIGN §3).
type paymentResponse struct {
	ID       string `json:"id"`
	OrderID  string `json:"orderId"`
	StripeID string `json:"stripeId"`
}

// intentRequest is the body of POST /api/payments/intents.
type intentRequest struct {
	OrderID string `json:"orderId"`
}

// intentResponse is what Stripe.js needs to confirm a PaymentIntent.
type intentResponse struct {
	ClientSecret   string `json:"clientSecret"`
	PublishableKey string `json:"publishableKey"`
}

// handleCharge charges the signed-in buyer's order with a Stripe token: 201
// with the payment; 404 for an unknown order, 401 for anyone but its buyer,
// 400 for an order cancelled, expired or paid, 409 while another attempt
// is under way, 402 for a declined card, 503 when Stripe cannot be reached.
func (f *Function) handleCharge() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in chargeRequest
		if err := httpx.Decode(w, r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		if err := payment.ParseCharge(in.OrderID, in.Token); err != nil {
			httpx.Error(w, r, err)
			return
		}
		buyer, _ := sharedauth.FromContext(r.Context())
		claim, err := f.claim(r.Context(), in.OrderID, buyer.ID, in.Token)
		if errors.Is(err, payment.ErrInProgress) {
			// An attempt left without an outcome (Stripe timed out) is
			// finished now, with its own request, rather than at the next
			// sweep: the buyer learns its outcome.
			claim, err = f.stuckClaim(r.Context(), in.OrderID, buyer.ID, err)
		}
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		// The order is claimed: finish the attempt even if the buyer goes
		// away, rather than leave it to the sweep.
		p, err := f.charge(context.WithoutCancel(r.Context()), claim)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		httpx.JSON(w, http.StatusCreated, paymentResponse{ID: p.ID, OrderID: p.OrderID, StripeID: p.StripeID})
	})
}

// handleIntent creates, or finds again, the PaymentIntent the signed-in
// buyer pays their order with in the browser: 201 with its client secret
// and the publishable key; the refusals of handleCharge but 402. The
// payment is recorded when Stripe's webhook reports it succeeded.
func (f *Function) handleIntent() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in intentRequest
		if err := httpx.Decode(w, r, &in); err != nil {
			httpx.Error(w, r, err)
			return
		}
		if err := payment.ParseIntent(in.OrderID); err != nil {
			httpx.Error(w, r, err)
			return
		}
		buyer, _ := sharedauth.FromContext(r.Context())
		req, err := f.intentFor(r.Context(), in.OrderID, buyer.ID)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		pi, err := f.stripe.CreateIntent(r.Context(), req)
		if err != nil {
			httpx.Error(w, r, fmt.Errorf("gateway.CreateIntent: %w", err))
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		httpx.JSON(w, http.StatusCreated, intentResponse{ClientSecret: pi.ClientSecret, PublishableKey: f.publishableKey})
	})
}

// handleWebhook takes an event Stripe posts, verified by its signature:
// 200 once it took effect, or for an event taken before or of no interest;
// 400 for a bad or stale signature or an unreadable event, which Stripe
// then retries (for days) while the cause is fixed.
func (f *Function) handleWebhook() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ev, err := f.verifyWebhook(w, r)
		if err != nil {
			logging.FromContext(r.Context()).WarnContext(r.Context(), "Stripe webhook refused", slog.Any("error", err))
			httpx.Error(w, r, err)
			return
		}
		if err := f.takeStripeEvent(r.Context(), ev); err != nil {
			httpx.Error(w, r, err)
			return
		}
		httpx.JSON(w, http.StatusOK, struct{}{})
	})
}

// handleSweep answers the PingSource at SweepPath: it re-drives the claims
// and settles the refunds left over, whatever the request carries, and
// answers 200 with the counts, or 503 when some of the work failed (the
// next sweep tries it again).
func (f *Function) handleSweep() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, err := f.sweep(r.Context())
		if err != nil {
			logging.FromContext(r.Context()).WarnContext(r.Context(), "payments sweep incomplete",
				slog.Any("result", res), slog.Any("error", err))
			w.Header().Set("Retry-After", httpx.RetryAfterSeconds)
			httpx.JSON(w, http.StatusServiceUnavailable, httpx.ErrorBody{Errors: []httpx.ErrorItem{{Message: "Payments sweep incomplete"}}})
			return
		}
		httpx.JSON(w, http.StatusOK, res)
	})
}

// verifyWebhook reads the Stripe event of r, at most
// stripeapi.MaxWebhookBytes of JSON, and checks its signature, its age and
// its API version (gateway.ReadEvent).
func (f *Function) verifyWebhook(w http.ResponseWriter, r *http.Request) (gateway.Event, error) {
	payload, err := stripeapi.WebhookBody(w, r)
	if err != nil {
		return gateway.Event{}, err
	}
	return gateway.ReadEvent(payload, r.Header.Get("Stripe-Signature"), f.webhookSecret)
}

// claim claims orderID for a charge of token by buyerID: the attempt to
// send to Stripe, or the refusal of payment.Ledger.Begin.
func (f *Function) claim(ctx context.Context, orderID, buyerID, token string) (payment.Claim, error) {
	if !store.ValidID(orderID) {
		return payment.Claim{}, payment.ErrOrderNotFound
	}
	var c payment.Claim
	_, err := f.store.Update(ctx, orderID, func(l *payment.Ledger) ([]event.Event, error) {
		var err error
		c, err = l.Begin(buyerID, token, f.ft.Now())
		return nil, err
	})
	if err != nil {
		return payment.Claim{}, fmt.Errorf("store.Update: %w", err)
	}
	return c, nil
}

// stuckClaim returns the claim of buyerID's order when it is an attempt
// still charging that started RedriveAfter ago or more, and has not
// outlived Stripe's idempotency window: charging it again sends Stripe the
// very same request and key, which Stripe answers with its first outcome.
// Otherwise it returns inProgress, the refusal the buyer had.
func (f *Function) stuckClaim(ctx context.Context, orderID, buyerID string, inProgress error) (payment.Claim, error) {
	l, err := f.store.Ledger(ctx, orderID)
	if err != nil {
		return payment.Claim{}, fmt.Errorf("store.Ledger: %w", err)
	}
	c, now := l.Claim, f.ft.Now()
	if l.Order == nil || l.Order.UserID != buyerID || c.State != payment.Charging || now.Sub(c.StartedAt) < f.redriveAfter || c.Stale(now) {
		return payment.Claim{}, inProgress
	}
	return c, nil
}

// intentFor returns the PaymentIntent buyerID pays orderID with, or the
// refusal of payment.Ledger.Intent.
func (f *Function) intentFor(ctx context.Context, orderID, buyerID string) (payment.IntentRequest, error) {
	if !store.ValidID(orderID) {
		return payment.IntentRequest{}, payment.ErrOrderNotFound
	}
	l, err := f.store.Ledger(ctx, orderID)
	if err != nil {
		return payment.IntentRequest{}, fmt.Errorf("store.Ledger: %w", err)
	}
	return l.Intent(buyerID, f.ft.Now())
}
