// Package notifications is the notifications function: it writes to the
// marketplace's users when something happens to them (DESIGN §5): the
// buyer's e-ticket when it is issued, the seller's sale, the buyer's expired
// reservation and refund.
//
// It keeps a replica of users' email addresses (user.registered, and the
// buyer's on order.completed) and of who bought each order. An event that
// causes an email queues it in the transaction that records the event's
// receipt, under an id made of its kind and cause, so a cause gets one email
// however often the event is delivered. After commit a sender claims each
// queued email, hands it to the SMTP relay (SMTP_URL) and marks it sent,
// trying again with backoff while the relay fails or the address is not yet
// known, and giving up after a week. A crash between the relay's answer
// and the mark sends the email again, with the same Message-ID.
//
// New builds the function from its Config and Deps; Handler is its whole
// HTTP surface; Run sends queued emails for as long as the function serves.
package notifications

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/functions/notifications/internal/sender"
	notificationsstore "github.com/buytickets/buytickets/functions/notifications/internal/store"
	sharedauth "github.com/buytickets/buytickets/shared/auth"
	"github.com/buytickets/buytickets/shared/dispatch"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/logging"
	"github.com/buytickets/buytickets/shared/store"
)

// DefaultMailFrom is the sender of emails when MAIL_FROM is not set.
const DefaultMailFrom = "Buytickets <tickets@buytickets.dev>"

// Config is the notifications function's settings, from the environment
// (DESIGN §7).
type Config struct {
	// SMTPURL is the relay emails are handed to (SMTP_URL):
	// smtp://[user:password@]host[:port] or smtps://….
	SMTPURL string `env:"SMTP_URL" required:"true"`
	// MailFrom is the sender of every email (MAIL_FROM); DefaultMailFrom
	// when empty.
	MailFrom string `env:"MAIL_FROM"`
	// PublicURL is where users reach the marketplace (PUBLIC_URL): the
	// links in emails start with it.
	PublicURL string `env:"PUBLIC_URL" default:"https://buytickets.dev"`
	// JWTKey is the marketplace's shared secret (JWT_KEY), from which the
	// key of unsubscribe links is derived.
	JWTKey string `env:"JWT_KEY" required:"true"`
}

// Validate reports an unusable setting, naming it but not its value.
func (c *Config) Validate() error {
	if err := sharedauth.CheckKey(c.JWTKey); err != nil {
		return err
	}
	if _, err := sender.ParseURL(c.SMTPURL); err != nil {
		return err
	}
	if _, err := sender.New(sender.Relay{}, cmp.Or(c.MailFrom, DefaultMailFrom)); err != nil {
		return errors.New("MAIL_FROM must be an email address, such as Buytickets <tickets@buytickets.dev>")
	}
	if _, ok := httpx.HTTPURL(c.PublicURL); !ok {
		return errors.New("PUBLIC_URL must be an http(s) URL")
	}
	return nil
}

// Deps are what the function runs on.
type Deps struct {
	// Store keeps users, orders, opt-outs, queued emails and the receipts
	// of events; required.
	Store store.Store
	// Events is the function's place on the event plane: whose deliveries
	// and sweeps it takes; required.
	Events *eventing.Member
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger logs; when nil, the logger already in the request's or Run's
	// context is used.
	Logger *slog.Logger
	// SweepEvery, when above zero, deletes finished emails and old
	// receipts on a ticker, where no PingSource posts to the sweep (the
	// embedded default).
	SweepEvery time.Duration
}

// Function is the notifications function, ready to serve.
type Function struct {
	store      *notificationsstore.Store
	db         store.Store
	events     *eventing.Member
	sender     *sender.Sender
	public     *url.URL
	unsubKey   []byte
	now        func() time.Time
	logger     *slog.Logger
	wake       *dispatch.Waker
	sweepEvery time.Duration
}

// New returns the function for cfg on deps, or an error when a setting is
// unusable or a dependency is missing.
func New(cfg Config, deps Deps) (*Function, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("notifications.New: %w", err)
	}
	if deps.Store == nil || deps.Events == nil {
		return nil, errors.New("notifications.New: a store and an event plane membership are required (Deps.Store, Deps.Events)")
	}
	relay, _ := sender.ParseURL(cfg.SMTPURL) // Validate checked it
	s, _ := sender.New(relay, cmp.Or(cfg.MailFrom, DefaultMailFrom))
	public, _ := httpx.HTTPURL(strings.TrimSuffix(cfg.PublicURL, "/"))
	now := deps.Now
	if now == nil {
		now = time.Now
	}
	return &Function{
		store: notificationsstore.New(deps.Store), db: deps.Store, events: deps.Events, sender: s,
		public: public, unsubKey: unsubscribeKey(cfg.JWTKey), now: now, logger: deps.Logger,
		wake: dispatch.NewWaker(), sweepEvery: deps.SweepEvery,
	}, nil
}

// unsubscribeKey derives from the shared secret the key that signs
// unsubscribe links, so a link's signature reveals nothing of JWT_KEY.
func unsubscribeKey(jwtKey string) []byte {
	mac := hmac.New(sha256.New, []byte(jwtKey))
	mac.Write([]byte("buytickets notifications unsubscribe"))
	return mac.Sum(nil)
}

// Handler returns the function's whole HTTP surface (routes.go).
func (f *Function) Handler() http.Handler { return f.routes() }

// Run sends queued emails until ctx ends (send.go); emails still queued
// then wait for the next Run or sweep.
func (f *Function) Run(ctx context.Context) {
	f.loop().Run(logging.WithLogger(ctx, f.logger))
}
