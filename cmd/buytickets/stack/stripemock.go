package stack

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/buytickets/buytickets/functions/payments"
	"github.com/buytickets/buytickets/shared/procgroup"
)

// stripeMock is stripe-mock running as a child of the stack, behind the
// Stripe test mode's declines: the embedded default's stand-in for the
// Stripe API when no Stripe key is given.
type stripeMock struct {
	url    string // the test mode's, in front of stripe-mock
	cmd    *exec.Cmd
	exited chan struct{} // closed once the process has been waited for
	front  *http.Server
}

// startStripeMock starts stripe-mock (built into tools/bin by make tools)
// on loopback ports the kernel picks, learns from its output where it
// listens, and puts the Stripe test mode's declines in front of it. Ports
// picked beforehand could be taken by another listener before stripe-mock
// binds them, and the stack would then be talking to that listener.
func startStripeMock(ctx context.Context) (*stripeMock, error) {
	bin, err := exec.LookPath("stripe-mock")
	if err != nil {
		return nil, errors.New("stripe-mock is not on PATH: run `make tools` (make run puts tools/bin on PATH), or set STRIPE_KEY to use Stripe's test mode")
	}
	cmd := exec.Command(bin, "-http-addr", "127.0.0.1:0", "-https-addr", "127.0.0.1:0")
	// It also listens on PORT when that is set, which is the router's.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PORT=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start stripe-mock: %w", err)
	}
	cmd.Stderr = cmd.Stdout
	procgroup.Set(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start stripe-mock: %w", err)
	}
	m := &stripeMock{cmd: cmd, exited: make(chan struct{})}
	listening := make(chan string, 1)
	var output []string // what it said before exiting, read once exited is closed
	go func() {
		// Reads its output for as long as it runs, so it never blocks on
		// a full pipe.
		lines := bufio.NewScanner(out)
		for lines.Scan() {
			if addr, ok := strings.CutPrefix(lines.Text(), "Listening for HTTP at address: "); ok {
				select {
				case listening <- addr:
				default: // told once already
				}
			} else if len(output) < 20 {
				output = append(output, lines.Text())
			}
		}
		cmd.Wait()
		close(m.exited)
	}()
	select {
	case addr := <-listening:
		m.url = "http://" + addr
	case <-m.exited:
		return nil, fmt.Errorf("stripe-mock exited before listening: %s", strings.Join(output, "\n"))
	case <-time.After(30 * time.Second):
		m.stop()
		return nil, errors.New("stripe-mock did not listen within 30s")
	case <-ctx.Done():
		m.stop()
		return nil, ctx.Err()
	}
	if m.url, m.front, err = serveStripeTestMode(m.url); err != nil {
		m.stop()
		return nil, err
	}
	return m, nil
}

func (m *stripeMock) stop() {
	if m.front != nil {
		m.front.Close()
	}
	procgroup.Kill(m.cmd)
	<-m.exited
}

// setUpStripe settles the Stripe account of payments: the caller's, or
// stripe-mock with made-up test keys and a webhook secret kept in DataDir.
func (s *Stack) setUpStripe(ctx context.Context) error {
	o := s.opts.Stripe
	cfg := payments.Config{
		JWTKey: string(s.jwtKey), StripeKey: o.Key, StripePublishableKey: o.PublishableKey,
		StripeWebhookSecret: o.WebhookSecret, StripeAPIBase: o.APIBase,
	}
	if cfg.StripeWebhookSecret == "" {
		secret, err := s.loadSecret("stripe-webhook.secret", "whsec_")
		if err != nil {
			return err
		}
		cfg.StripeWebhookSecret = "whsec_" + secret
	}
	if cfg.StripeKey == "" {
		// stripe-mock checks only the keys' form.
		cfg.StripeKey, cfg.StripePublishableKey = "sk_test_embedded", "pk_test_embedded"
		if cfg.StripeAPIBase == "" {
			m, err := startStripeMock(ctx)
			if err != nil {
				return err
			}
			s.stripeMock, cfg.StripeAPIBase = m, m.url
		}
	}
	s.stripe = cfg
	s.connectWebhookSecret = o.ConnectWebhookSecret
	if s.connectWebhookSecret == "" {
		secret, err := s.loadSecret("stripe-connect-webhook.secret", "whsec_")
		if err != nil {
			return err
		}
		s.connectWebhookSecret = "whsec_" + secret
	}
	return nil
}
