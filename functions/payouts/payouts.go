// Package payouts is the payouts function: it pays sellers their share of
// each sale through Stripe Connect (DESIGN §3, §5). A seller onboards an
// Express connected account (POST /api/payouts/onboarding answers the link
// to Stripe's onboarding); every completed order (order.completed) owes its
// seller a payout of the price less the platform's fee
// (PLATFORM_FEE_PERCENT), due PAYOUT_DELAY after the sale, or at once when
// the buyer's e-ticket is checked in (eticket.checkedin). A payout due is
// released by a Stripe Transfer to the seller's account, tied to the sale's
// charge (payment.created) as its source_transaction, and published as
// payout.released. A refund (payment.refunded) cancels a payout not yet
// sent and reverses one sent.
//
// A release claims the payout in one transaction, sends the transfer after
// commit with the idempotency key payout-<id>, and records the outcome in a
// second transaction with its payout.released. A claim whose outcome was
// never recorded (Stripe unreachable, a crash between transfer and record)
// is re-driven by the sweep with the same key, which Stripe answers with
// the one transfer it made, so a seller is paid once across retries,
// replicas and crashes. A seller without a ready account waits
// (awaiting_onboarding) until Stripe's account.updated says it can receive
// payouts.
//
// New builds the function from its Config and Deps; Handler is its whole
// HTTP and CloudEvents surface; Run relays the outbox and releases payouts
// as they fall due. The sweep (POST /payouts/sweep, from a PingSource in
// production, and a ticker in Run when Deps.Outbox.SweepEvery is set)
// releases what a scaled-to-zero function could not.
package payouts

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/buytickets/buytickets/eventing/outbox"
	"github.com/buytickets/buytickets/functions/payouts/internal/gateway"
	payoutsstore "github.com/buytickets/buytickets/functions/payouts/internal/store"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
	"github.com/buytickets/buytickets/shared/dispatch"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/stripeapi"
)

// The defaults of the settings (DESIGN §7).
const (
	// DefaultFeePercent is the platform's share of a sale.
	DefaultFeePercent = 10
	// DefaultDelay is how long after a sale its payout falls due when its
	// e-ticket is not checked in first.
	DefaultDelay = 72 * time.Hour
)

// Config is the payouts function's settings, from the environment
// (DESIGN §7). The Stripe key and secret are never logged or returned.
type Config struct {
	// JWTKey is the HS256 secret that access tokens are verified with
	// (JWT_KEY), at least 32 bytes.
	JWTKey string `env:"JWT_KEY" required:"true"`
	// StripeKey is the platform's secret API key (STRIPE_KEY), sk_… or rk_….
	StripeKey string `env:"STRIPE_KEY" required:"true"`
	// StripeConnectWebhookSecret is the signing secret of the Connect
	// webhook endpoint (STRIPE_CONNECT_WEBHOOK_SECRET), whsec_… at Stripe.
	StripeConnectWebhookSecret string `env:"STRIPE_CONNECT_WEBHOOK_SECRET" required:"true"`
	// StripeAPIBase is the base URL of Stripe's API (STRIPE_API_BASE):
	// empty for Stripe itself.
	StripeAPIBase string `env:"STRIPE_API_BASE"`
	// PublicURL is where the web UI is (PUBLIC_URL): Stripe sends a seller
	// back to its /payouts page after onboarding.
	PublicURL string `env:"PUBLIC_URL" default:"https://buytickets.dev"`
	// FeePercent is the platform's fee in whole per cent of the price
	// (PLATFORM_FEE_PERCENT), 0 to 100. Set in code, 0 means no fee.
	FeePercent int `env:"PLATFORM_FEE_PERCENT" default:"10"`
	// Delay is how long after a sale its payout falls due
	// (PAYOUT_DELAY), unless the e-ticket is checked in first;
	// DefaultDelay when zero.
	Delay time.Duration `env:"PAYOUT_DELAY" default:"72h"`
}

// Validate reports unusable settings, naming them but never their values.
func (c *Config) Validate() error {
	if err := sharedauth.CheckKey(c.JWTKey); err != nil {
		return err
	}
	if !strings.HasPrefix(c.StripeKey, "sk_") && !strings.HasPrefix(c.StripeKey, "rk_") {
		return errors.New("STRIPE_KEY must be a secret key (sk_ or rk_)")
	}
	if c.StripeConnectWebhookSecret == "" {
		return errors.New("STRIPE_CONNECT_WEBHOOK_SECRET must not be empty")
	}
	if _, ok := httpx.HTTPURL(c.StripeAPIBase); c.StripeAPIBase != "" && !ok {
		return errors.New("STRIPE_API_BASE must be an http(s) URL")
	}
	if _, ok := httpx.HTTPURL(c.PublicURL); !ok {
		return errors.New("PUBLIC_URL must be an http(s) URL")
	}
	if c.FeePercent < 0 || c.FeePercent > 100 {
		return errors.New("PLATFORM_FEE_PERCENT must be a whole number from 0 to 100")
	}
	if c.Delay < 0 {
		return errors.New("PAYOUT_DELAY must not be negative")
	}
	return nil
}

// Deps are what the function runs on: the footing of a publisher
// (outbox.Deps; its Outbox.SweepEvery also makes Run sweep payouts on a
// ticker, as the embedded default does, where 0 leaves that to the
// PingSource), and how it calls Stripe.
type Deps struct {
	outbox.Deps
	stripeapi.Calls
}

// Function is the payouts function, ready to serve.
type Function struct {
	ft            outbox.Footing
	store         *payoutsstore.Store
	stripe        *gateway.Gateway
	webhookSecret string
	publicURL     string
	feePercent    int
	delay         time.Duration
	sweepEvery    time.Duration
	redriveAfter  time.Duration
	wake          *dispatch.Waker   // wakes Run to release what fell due
	inflight      dispatch.InFlight // the payouts this process is releasing or reversing
}

// New returns the function for cfg on deps, or an error when a setting is
// unusable or the store or the sink is missing.
func New(cfg Config, deps Deps) (*Function, error) {
	// The origin its pages trust is where Stripe sends the seller back.
	deps.PublicURL = cfg.PublicURL
	ft, err := deps.Start(cfg.Validate, cfg.JWTKey)
	if err != nil {
		return nil, fmt.Errorf("payouts.New: %w", err)
	}
	delay := cfg.Delay
	if delay == 0 {
		delay = DefaultDelay
	}
	return &Function{
		ft:            ft,
		store:         payoutsstore.New(ft.DB, ft.Box, ft.Now),
		stripe:        gateway.New(gateway.Config{Key: cfg.StripeKey, URL: cfg.StripeAPIBase, HTTPClient: deps.HTTPClient}),
		webhookSecret: cfg.StripeConnectWebhookSecret,
		publicURL:     strings.TrimRight(cfg.PublicURL, "/"),
		feePercent:    cfg.FeePercent,
		delay:         delay,
		sweepEvery:    deps.Outbox.SweepEvery,
		redriveAfter:  deps.Redrive(),
		wake:          dispatch.NewWaker(),
	}, nil
}

// Handler returns the function's whole HTTP surface (routes.go).
func (f *Function) Handler() http.Handler { return f.routes() }

// Run relays the outbox's events and releases payouts as they fall due
// until ctx ends, and sweeps every Deps.Outbox.SweepEvery if that is set.
func (f *Function) Run(ctx context.Context) {
	f.ft.Relay(ctx, f.runReleases)
}
