// Package stripeapi provides the Stripe backend every function that calls
// Stripe (payments, payouts) is built on: which Stripe, through which HTTP
// client, with how many retries under the same idempotency key, and with
// stripe-go's own logging and telemetry off.
package stripeapi

import (
	"net/http"
	"time"

	"github.com/stripe/stripe-go/v76"
)

// DefaultRetries is how many times a request that failed on the network,
// or that Stripe answered 409 or 503, is retried with the same idempotency
// key before the failure is reported.
const DefaultRetries = 2

// DefaultTimeout bounds one HTTP request to Stripe when Config.HTTPClient
// is nil.
const DefaultTimeout = 20 * time.Second

// DefaultRedriveAfter is how old a claim of a Stripe request without a
// recorded outcome must be before a sweep re-drives it when
// Calls.RedriveAfter is zero: longer than a request can take with its
// retries, so that a sweep leaves the requests still under way to their
// own handlers.
const DefaultRedriveAfter = 2 * time.Minute

// Calls are what a function that calls Stripe runs on besides its
// settings: the HTTP client, and how long a claimed call is left to the
// request that made it.
type Calls struct {
	// HTTPClient sends the requests to Stripe; one with DefaultTimeout
	// when nil.
	HTTPClient *http.Client
	// RedriveAfter is how old a claim without a recorded outcome must be
	// before the function's sweep re-drives it; DefaultRedriveAfter when
	// zero.
	RedriveAfter time.Duration
}

// Redrive returns c.RedriveAfter, or DefaultRedriveAfter when that is not
// positive.
func (c Calls) Redrive() time.Duration {
	if c.RedriveAfter <= 0 {
		return DefaultRedriveAfter
	}
	return c.RedriveAfter
}

// Config says which Stripe a function talks to and how.
type Config struct {
	// Key is the secret API key (STRIPE_KEY).
	Key string
	// URL is the API's base URL; Stripe's (https://api.stripe.com) when
	// empty, stripe-mock's in the embedded default and tests.
	URL string
	// HTTPClient sends the requests; one with DefaultTimeout when nil.
	HTTPClient *http.Client
	// Retries is how many times a retryable failure is retried with the
	// same key: DefaultRetries when 0, none when negative.
	Retries int
}

// Backend returns the backend of the Stripe API cfg names; a client of
// stripe-go's (charge.Client, transfer.Client…) takes it with cfg.Key.
func Backend(cfg Config) stripe.Backend {
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: DefaultTimeout}
	}
	retries := int64(cfg.Retries)
	switch {
	case cfg.Retries == 0:
		retries = DefaultRetries
	case cfg.Retries < 0:
		retries = 0
	}
	backend := &stripe.BackendConfig{
		HTTPClient:        client,
		MaxNetworkRetries: stripe.Int64(retries),
		EnableTelemetry:   stripe.Bool(false),
		// stripe-go's own logging would print Stripe's errors, which can
		// describe a card; the functions log what they need themselves.
		LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull},
	}
	if cfg.URL != "" {
		backend.URL = stripe.String(cfg.URL)
	}
	return stripe.GetBackendWithConfig(stripe.APIBackend, backend)
}
