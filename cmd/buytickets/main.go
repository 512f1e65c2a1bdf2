// Command buytickets runs the whole marketplace in one process, with
// embedded defaults and no cloud account: `make run`.
package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/buytickets/buytickets/cmd/buytickets/stack"
	"github.com/buytickets/buytickets/shared/config"
	"github.com/buytickets/buytickets/shared/launch"
	"github.com/buytickets/buytickets/shared/logging"
)

// Config is what the whole stack reads from the environment (DESIGN §7);
// each function's own settings are built by the stack.
type Config struct {
	// Settings are PORT and LOG_LEVEL, as every command reads them.
	launch.Settings
	// BindAddr is the address the router listens on: loopback unless the
	// marketplace is meant to serve the network (0.0.0.0).
	BindAddr string `env:"BIND_ADDR" default:"127.0.0.1"`
	// CookieInsecure drops the session cookies' Secure flag, as plain-HTTP
	// loopback needs; false when the stack is served over HTTPS.
	CookieInsecure   bool          `env:"COOKIE_INSECURE" default:"true"`
	DataDir          string        `env:"DATA_DIR" default:"./.data"`
	AdminEmails      []string      `env:"ADMIN_EMAILS"`
	RateLimits       string        `env:"RATE_LIMITS" default:"on"`
	PayoutDelay      time.Duration `env:"PAYOUT_DELAY" default:"72h"`
	JWTKey           string        `env:"JWT_KEY"`
	ExpirationWindow time.Duration `env:"ORDER_EXPIRATION_WINDOW" default:"15m"`
	// Without STRIPE_KEY, payments talks to stripe-mock, started by the stack.
	StripeKey            string `env:"STRIPE_KEY"`
	StripePublishableKey string `env:"STRIPE_PUBLISHABLE_KEY"`
	StripeWebhookSecret  string `env:"STRIPE_WEBHOOK_SECRET"`
	StripeAPIBase        string `env:"STRIPE_API_BASE"`
	// Without SMTP_URL, notifications sends to mailpit, started by the
	// stack with its web UI on MAIL_UI_ADDR.
	SMTPURL    string `env:"SMTP_URL"`
	MailFrom   string `env:"MAIL_FROM"`
	MailUIAddr string `env:"MAIL_UI_ADDR" default:"127.0.0.1:8025"`
}

func main() {
	run := realMain
	if len(os.Args) > 1 && os.Args[1] == "deadletters" {
		run = func(ctx context.Context) error { return deadLetters(ctx, os.Args[2:], os.Stdout) }
	}
	launch.Main("buytickets", run)
}

func realMain(ctx context.Context) error {
	var cfg Config
	if err := config.FromEnv(&cfg); err != nil {
		return err
	}
	if cfg.LogFormat == "" && logging.IsTerminal(os.Stderr) {
		// make run in a terminal: a person reads it.
		cfg.LogFormat = logging.Text
	}
	logger, err := cfg.Logger(os.Stderr)
	if err != nil {
		return err
	}
	stopTracing, err := cfg.Tracing(ctx, "buytickets", logger)
	if err != nil {
		return err
	}
	defer stopTracing()
	stack.TuneGC()
	s, err := stack.Start(ctx, stack.Options{
		Addr:        net.JoinHostPort(cfg.BindAddr, cfg.Port),
		DataDir:     cfg.DataDir,
		JWTKey:      []byte(cfg.JWTKey),
		AdminEmails: cfg.AdminEmails,
		RateLimits:  cfg.RateLimits != "off",
		PayoutDelay: cfg.PayoutDelay,
		Logger:      logger,

		SecureCookies:    !cfg.CookieInsecure,
		ExpirationWindow: cfg.ExpirationWindow,
		Stripe: stack.StripeOptions{
			Key: cfg.StripeKey, PublishableKey: cfg.StripePublishableKey,
			WebhookSecret: cfg.StripeWebhookSecret, APIBase: cfg.StripeAPIBase,
		},
		Mail: stack.MailOptions{SMTPURL: cfg.SMTPURL, From: cfg.MailFrom, UIAddr: cfg.MailUIAddr},
	})
	if err != nil {
		return err
	}
	fmt.Printf("Buytickets is running on %s (data in %s). Press Ctrl-C to stop.\n", s.URL(), cfg.DataDir)
	if mail := s.MailURL(); mail != "" {
		fmt.Printf("Its emails arrive in the mailbox at %s.\n", mail)
	}
	<-ctx.Done()
	fmt.Println("Stopping…")
	return s.Close()
}
