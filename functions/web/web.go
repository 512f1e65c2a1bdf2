// Package web is the storefront: the browser UI of buyers and sellers,
// rendered on the server with html/template and served by the ingress at
// `/`.
//
// It owns no data. Each page calls the other functions' API at API_URL on
// the browser's behalf, forwarding the browser's cookies and passing back
// the cookies the API sets, as the browser itself would; an expired access
// token is refreshed with the refresh cookie before the user is asked to
// sign in again. Every page works without JavaScript: forms post to the web
// function, which redirects after a success, and the shop's search is a
// plain GET form. Our own scripts only tell the server the browser's time
// zone (event times are shown in UTC until they do), count down an
// order's time to pay, mount Stripe's Payment Element when
// STRIPE_PUBLISHABLE_KEY is set, print an e-ticket and show a paid order's
// e-ticket once it is issued, and scan an e-ticket's QR symbol with the
// camera at check-in where the browser can.
//
// New builds the function from its Config and Deps; Handler is its whole
// HTTP surface, which cmd/web serves alone and cmd/buytickets mounts with
// the others.
package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/buytickets/buytickets/functions/web/internal/api"
	"github.com/buytickets/buytickets/shared/httpx"
)

// Config is the web function's settings (DESIGN §7).
type Config struct {
	// APIURL is where the API is reached (API_URL), such as
	// "https://buytickets.dev": only its /api/ paths are called.
	APIURL string `env:"API_URL" required:"true"`
	// StripePublishableKey, when set, makes the order page take payment
	// with Stripe's Payment Element (STRIPE_PUBLISHABLE_KEY); when empty,
	// with a form of Stripe test cards, for stripe-mock.
	StripePublishableKey string `env:"STRIPE_PUBLISHABLE_KEY"`
	// CookieInsecure drops the Secure flag of the web function's own
	// cookie (COOKIE_INSECURE=true), for plain-HTTP loopback only.
	CookieInsecure bool `env:"COOKIE_INSECURE"`
	// PublicURL is the marketplace's public address (PUBLIC_URL), whose
	// origin the forms trust behind the ingress, which rewrites Host
	// (httpx.OriginOf); none when empty.
	PublicURL string `env:"PUBLIC_URL"`
	// PlatformFee is the platform's share of a sale, as payouts takes it
	// (PLATFORM_FEE_PERCENT): a seller's listings show what they receive
	// after it. Unset, it is payouts' default, 10 per cent.
	PlatformFee FeePercent `env:"PLATFORM_FEE_PERCENT"`
}

// Validate reports an API URL the function cannot call, or a public
// address that is not one.
func (c *Config) Validate() error {
	if _, err := api.New(c.APIURL, nil); err != nil {
		return errors.New("API_URL must be an http or https URL")
	}
	if _, err := httpx.OriginOf(c.PublicURL); err != nil {
		return err
	}
	if !c.PlatformFee.valid() {
		return errors.New("PLATFORM_FEE_PERCENT must be a whole number from 0 to 100")
	}
	return nil
}

// Deps are what the function runs on.
type Deps struct {
	// HTTPClient calls the API; one with a 60-second timeout when nil. It
	// must keep no cookies (no Jar).
	HTTPClient *http.Client
	// Now is the clock the countdown to an order's expiry starts from;
	// time.Now when nil.
	Now func() time.Time
	// Logger logs each request; when nil, the logger already in the
	// request's context (or slog's default) is used.
	Logger *slog.Logger
}

// Function is the web function, ready to serve.
type Function struct {
	api            *api.Client
	pages          *pages
	stripeKey      string
	cookieInsecure bool
	trusted        string // the origin of PUBLIC_URL; "" for none
	feePercent     int
	now            func() time.Time
	logger         *slog.Logger
}

// defaultTimeout bounds a call to the API, long enough for a payment that
// waits on Stripe.
const defaultTimeout = 60 * time.Second

// New returns the function for cfg on deps, or an error when a setting is
// unusable or the templates do not parse.
func New(cfg Config, deps Deps) (*Function, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("web.New: %w", err)
	}
	hc := deps.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: defaultTimeout}
	}
	client, err := api.New(cfg.APIURL, hc)
	if err != nil {
		return nil, fmt.Errorf("web.New: %w", err)
	}
	p, err := parsePages()
	if err != nil {
		return nil, fmt.Errorf("web.New: %w", err)
	}
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	trusted, _ := httpx.OriginOf(cfg.PublicURL) // Validate checked it
	return &Function{
		api:            client,
		pages:          p,
		stripeKey:      cfg.StripePublishableKey,
		cookieInsecure: cfg.CookieInsecure,
		trusted:        trusted,
		feePercent:     cfg.PlatformFee.Percent(),
		now:            now,
		logger:         deps.Logger,
	}, nil
}

// Handler returns the function's whole HTTP surface (routes.go).
func (f *Function) Handler() http.Handler { return f.routes() }
