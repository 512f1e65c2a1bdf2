package stack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/buytickets/buytickets/functions/payments"
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
// on free loopback ports and waits until it answers. A port is only known
// to be free until it is closed, so when stripe-mock exits because another
// process took one first, it is started again on other ports.
func startStripeMock(ctx context.Context) (*stripeMock, error) {
	bin, err := exec.LookPath("stripe-mock")
	if err != nil {
		return nil, errors.New("stripe-mock is not on PATH: run `make tools` (make run puts tools/bin on PATH), or set STRIPE_KEY to use Stripe's test mode")
	}
	for attempt := 1; ; attempt++ {
		m, err := startStripeMockOnce(ctx, bin)
		if errors.Is(err, errStripeMockExited) && attempt < 3 {
			continue
		}
		if err != nil {
			return nil, err
		}
		if m.url, m.front, err = serveStripeTestMode(m.url); err != nil {
			m.stop()
			return nil, err
		}
		return m, nil
	}
}

var errStripeMockExited = errors.New("stripe-mock exited")

func startStripeMockOnce(ctx context.Context, bin string) (*stripeMock, error) {
	httpPort, err := freePort()
	if err != nil {
		return nil, err
	}
	httpsPort, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-http-addr", fmt.Sprintf("127.0.0.1:%d", httpPort), "-https-addr", fmt.Sprintf("127.0.0.1:%d", httpsPort))
	// It also listens on PORT when that is set, which is the router's.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PORT=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start stripe-mock: %w", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	m := &stripeMock{url: fmt.Sprintf("http://127.0.0.1:%d", httpPort), cmd: cmd, exited: exited}
	client := &http.Client{Timeout: time.Second}
	deadline := time.After(30 * time.Second)
	for {
		if resp, err := client.Get(m.url + "/v1/charges"); err == nil {
			resp.Body.Close()
			return m, nil
		}
		select {
		case <-exited:
			return nil, fmt.Errorf("%w: %s", errStripeMockExited, strings.TrimSpace(output.String()))
		case <-deadline:
			m.stop()
			return nil, errors.New("stripe-mock did not answer within 30s")
		case <-ctx.Done():
			m.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (m *stripeMock) stop() {
	if m.front != nil {
		m.front.Close()
	}
	syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
	<-m.exited
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
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
	return nil
}
