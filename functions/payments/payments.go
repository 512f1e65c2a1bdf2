// Package payments is the payments function: buyers pay for their orders
// with Stripe, either by a Charge of a token (POST /api/payments) or by a
// PaymentIntent they confirm in the browser with Stripe.js (POST
// /api/payments/intents, then Stripe's webhook), and a payment for an order
// that was cancelled is given back (DESIGN §3, §5).
//
// Payments keeps a replica of every order, fed by order.created,
// order.cancelled and order.completed in version order. A charge first
// claims the order in one transaction (a concurrent attempt gets 409
// "Payment in progress"), then calls Stripe after commit with the
// idempotency key charge-<orderId>-<attempt>, then records the payment with
// its payment.created in a second transaction. A declined card releases the
// claim, so the next attempt has a new key. A claim whose outcome was never
// recorded (Stripe unreachable, or a crash between charge and record) is
// re-driven by the sweep with the same key, which Stripe answers with the
// original result, so nobody is charged twice. Whenever payments holds a
// successful payment for an order it knows as cancelled, in whichever order
// the two arrived, it refunds the payment and emits payment.refunded.
//
// New builds the function from its Config and Deps; Handler is its whole
// HTTP and CloudEvents surface. Run relays the outbox and settles refunds
// as they fall due; the sweep (POST /payments/sweep, from a PingSource in
// production, and a ticker in Run when Deps.Outbox.SweepEvery is set)
// re-drives the claims and the refunds left over. cmd/payments serves it
// alone and cmd/buytickets mounts it with the others.
package payments

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/buytickets/buytickets/eventing/outbox"
	"github.com/buytickets/buytickets/functions/payments/internal/gateway"
	paymentsstore "github.com/buytickets/buytickets/functions/payments/internal/store"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
	"github.com/buytickets/buytickets/shared/dispatch"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/stripeapi"
	"github.com/buytickets/buytickets/shared/tracing"
)

// Config is the payments function's settings, from the environment
// (DESIGN §7). The Stripe keys and secret are never logged or returned,
// except the publishable key, which is meant for browsers.
type Config struct {
	// JWTKey is the HS256 secret that access tokens are verified with
	// (JWT_KEY), at least 32 bytes.
	JWTKey string `env:"JWT_KEY" required:"true"`
	// StripeKey is Stripe's secret API key (STRIPE_KEY), sk_… or rk_….
	StripeKey string `env:"STRIPE_KEY" required:"true"`
	// StripePublishableKey is the key Stripe.js runs with in the buyer's
	// browser (STRIPE_PUBLISHABLE_KEY), pk_…; POST /api/payments/intents
	// answers it.
	StripePublishableKey string `env:"STRIPE_PUBLISHABLE_KEY" required:"true"`
	// StripeWebhookSecret is the signing secret of the webhook endpoint
	// (STRIPE_WEBHOOK_SECRET), whsec_… at Stripe; events not signed with it
	// are refused.
	StripeWebhookSecret string `env:"STRIPE_WEBHOOK_SECRET" required:"true"`
	// StripeAPIBase is the base URL of Stripe's API (STRIPE_API_BASE):
	// empty for Stripe itself, stripe-mock's URL in the embedded default.
	StripeAPIBase string `env:"STRIPE_API_BASE"`
}

// Validate reports a JWT key too short to verify with, Stripe keys swapped
// or of the wrong kind (a secret key as the publishable one would reach
// browsers), and an API base that is no http(s) URL, naming the settings but
// never their values.
func (c *Config) Validate() error {
	if err := sharedauth.CheckKey(c.JWTKey); err != nil {
		return err
	}
	if !strings.HasPrefix(c.StripeKey, "sk_") && !strings.HasPrefix(c.StripeKey, "rk_") {
		return errors.New("STRIPE_KEY must be a secret key (sk_ or rk_)")
	}
	if !strings.HasPrefix(c.StripePublishableKey, "pk_") {
		return errors.New("STRIPE_PUBLISHABLE_KEY must be a publishable key (pk_)")
	}
	if c.StripeWebhookSecret == "" {
		return errors.New("STRIPE_WEBHOOK_SECRET must not be empty")
	}
	if _, ok := httpx.HTTPURL(c.StripeAPIBase); c.StripeAPIBase != "" && !ok {
		return errors.New("STRIPE_API_BASE must be an http(s) URL")
	}
	return nil
}

// Deps are what the function runs on: the footing of a publisher
// (outbox.Deps; its Outbox.SweepEvery also makes Run sweep claims and refunds on a
// ticker, as the embedded default does, where 0 leaves that to the
// PingSource), and how it calls Stripe.
type Deps struct {
	outbox.Deps
	stripeapi.Calls
}

// Function is the payments function, ready to serve.
type Function struct {
	ft             outbox.Footing
	store          *paymentsstore.Store
	stripe         *gateway.Gateway
	publishableKey string
	webhookSecret  string
	sweepEvery     time.Duration
	redriveAfter   time.Duration
	refunds        *dispatch.Waker   // wakes Run to settle the refunds due
	inflight       dispatch.InFlight // the refunds being made
	// failures counts the payments Stripe refused or left unknown, by
	// method (charge, intent) and reason (gateway.Reason).
	failures metric.Int64Counter
}

// New returns the function for cfg on deps, or an error when a setting is
// unusable or the store or the sink is missing.
func New(cfg Config, deps Deps) (*Function, error) {
	ft, err := deps.Start(cfg.Validate, cfg.JWTKey)
	if err != nil {
		return nil, fmt.Errorf("payments.New: %w", err)
	}
	failures, err := tracing.Meter().Int64Counter("buytickets.payments.failed", metric.WithUnit("{payment}"),
		metric.WithDescription("Payments that failed, by method and reason."))
	if err != nil {
		return nil, fmt.Errorf("payments.New: %w", err)
	}
	return &Function{
		failures:       failures,
		ft:             ft,
		store:          paymentsstore.New(ft.DB, ft.Box),
		stripe:         gateway.New(gateway.Config{Key: cfg.StripeKey, URL: cfg.StripeAPIBase, HTTPClient: deps.HTTPClient}),
		publishableKey: cfg.StripePublishableKey,
		webhookSecret:  cfg.StripeWebhookSecret,
		sweepEvery:     deps.Outbox.SweepEvery,
		redriveAfter:   deps.Redrive(),
		refunds:        dispatch.NewWaker(),
	}, nil
}

// Handler returns the function's whole HTTP surface (routes.go).
func (f *Function) Handler() http.Handler { return f.routes() }

// Run relays the outbox's events to the sink and settles refunds as they
// fall due until ctx ends, and sweeps every Deps.Outbox.SweepEvery if that
// is set. What is left when ctx ends waits for the next run or sweep.
func (f *Function) Run(ctx context.Context) {
	f.ft.Relay(ctx, f.runRefunds)
}
