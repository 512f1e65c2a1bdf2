// Package stack is the embedded default: the whole marketplace in one
// process. Each function runs as one or more replicas, each on its own
// loopback port with its own SQLite file under the data folder, behind a
// router that keeps the production ingress's path rules and spreads requests
// across replicas as a Knative Service does.
//
// main starts it for `make run`; end-to-end tests start it with options.
package stack

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/broker"
	"github.com/buytickets/buytickets/eventing/identity"
	"github.com/buytickets/buytickets/eventing/manifest"
	"github.com/buytickets/buytickets/functions/payments"
	"github.com/buytickets/buytickets/shared/logging"
	"github.com/buytickets/buytickets/shared/server"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/store/sqlite"
)

// Options choose how the stack runs. The zero value of every field but
// DataDir has a working default.
type Options struct {
	// Addr is where the router listens: ":8080" for make run, "127.0.0.1:0" in tests.
	Addr string
	// DataDir holds one SQLite file per function and the generated keys
	// (jwt.key, events.key, eticket.key).
	DataDir string
	// JWTKey signs access tokens; when empty, a key generated once into
	// DataDir is used, so sessions survive restarts.
	JWTKey []byte
	// SecureCookies marks the session cookies Secure, for a stack served
	// over HTTPS; plain-HTTP loopback needs them without (COOKIE_INSECURE).
	SecureCookies bool
	// Replicas is the number of replicas per function name; 1 when absent.
	Replicas map[string]int
	// RateLimits keeps auth's budget of sign-ins and sign-ups per client
	// address (RATE_LIMITS=on, make run's default); tests and benchmarks
	// that sign many users up from one host leave it off. The per-account
	// limit on wrong passwords holds either way.
	RateLimits bool
	// APIConcurrency is how many API requests the router lets run at once,
	// queueing the rest (gate): 2 × GOMAXPROCS when zero, no bound when
	// negative.
	APIConcurrency int
	// AdminEmails are the accounts that are admins (ADMIN_EMAILS).
	AdminEmails []string
	// PasswordCost is scrypt's N; 0 keeps the production cost. Tests lower it.
	PasswordCost int
	// Logger receives every function's logs; slog's default when nil.
	Logger *slog.Logger
	// Chaos makes the embedded broker duplicate, delay and reorder deliveries.
	Chaos broker.Chaos
	// BackoffScale multiplies the broker's retry delays; 1 when zero.
	BackoffScale float64
	// ExpirationWindow is how long an order holds its ticket; 15 minutes when zero.
	ExpirationWindow time.Duration
	// Stripe is the Stripe API the payments function talks to. With no
	// StripeKey, the stack starts stripe-mock from PATH (make tools) and
	// makes up test keys; StripeAPIBase, when set, points at a Stripe
	// stand-in of the caller's instead.
	Stripe StripeOptions
	// RedriveAfter is how old an unfinished charge must be before payments'
	// sweep re-sends it; payments' default when zero.
	RedriveAfter time.Duration
	// PayoutDelay is how long after a sale its payout falls due unless its
	// e-ticket is checked in first; payouts' default (72h) when zero.
	PayoutDelay time.Duration
	// Mail is where notifications sends its emails: mailpit, started by
	// the stack, unless a relay is given.
	Mail MailOptions
	// OpenStore, when set, opens the store of the function named name in
	// place of its SQLite file under DataDir: a benchmark runs the stack
	// on the Firestore emulator with it. Each replica opens its own.
	OpenStore func(ctx context.Context, name string) (store.Store, error)
}

// Stack is a running marketplace.
type Stack struct {
	opts   Options
	jwtKey []byte
	// eventKey signs and checks every token of the event plane: the
	// broker's deliveries, the functions' publishing, as the cluster's
	// issuer does in production.
	eventKey *identity.Key
	// eticketKey is the Ed25519 seed that signs e-ticket codes
	// (ETICKET_SIGNING_KEY), generated once into DataDir so that codes
	// already issued stay valid across restarts.
	eticketKey string
	plane      *manifest.Plane
	logger     *slog.Logger
	url        string
	ctx        context.Context // the stack's lifetime
	cancel     context.CancelFunc
	wg         sync.WaitGroup
	mu         sync.Mutex
	errs       []error
	addrs      map[string]string // every address the stack listens on, by what serves it
	backends   map[string]*backend
	sink       string // the broker's ingress: every function's K_SINK

	functionsMu sync.Mutex
	running     map[string]*functionRun // by name, while started

	brokerMu sync.Mutex
	broker   *brokerRun

	stripe     payments.Config
	stripeMock *stripeMock
	// connectWebhookSecret verifies Stripe Connect's events at payouts'
	// webhook (STRIPE_CONNECT_WEBHOOK_SECRET), generated once into DataDir.
	connectWebhookSecret string

	smtpURL string
	mailpit *mailpit
}

// StripeOptions choose the Stripe account payments and payouts use.
type StripeOptions struct {
	Key, PublishableKey, WebhookSecret, APIBase string
	// ConnectWebhookSecret verifies the Connect events payouts takes;
	// generated into DataDir when empty.
	ConnectWebhookSecret string
}

// Start starts every function and the router, and returns once all of them
// accept connections. Cancelling ctx, or calling Close, stops them.
func Start(ctx context.Context, opts Options) (*Stack, error) {
	if opts.DataDir == "" {
		return nil, errors.New("stack.Start: no data folder")
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.Default()
	}
	ctx, cancel := context.WithCancel(logging.WithLogger(ctx, logger))
	s := &Stack{
		opts: opts, logger: logger, ctx: ctx, cancel: cancel,
		backends: map[string]*backend{}, running: map[string]*functionRun{}, addrs: map[string]string{},
	}
	if err := s.start(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("stack.Start: %w", err)
	}
	return s, nil
}

func (s *Stack) start(ctx context.Context) error {
	key, err := s.loadJWTKey()
	if err != nil {
		return err
	}
	s.jwtKey = key
	if s.eventKey, err = s.loadEventKey(); err != nil {
		return err
	}
	if s.eticketKey, err = s.loadSecret("eticket.key", ""); err != nil {
		return err
	}
	if s.plane, err = eventing.Plane(); err != nil {
		return err
	}
	if err := s.setUpStripe(ctx); err != nil {
		return err
	}
	if err := s.setUpMail(ctx); err != nil {
		return err
	}
	// Every address first: functions need the broker's and the router's
	// (web calls the API through it), the broker theirs.
	var lc net.ListenConfig
	router, err := lc.Listen(ctx, "tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("router: %w", err)
	}
	s.url = "http://" + hostPort(router.Addr())
	for _, fn := range functions {
		b, err := s.listenBackend(ctx, fn.name)
		if err != nil {
			return err
		}
		s.backends[fn.name] = b
	}
	if err := s.StartBroker(); err != nil {
		return err
	}
	for _, fn := range functions {
		if err := s.StartFunction(fn.name); err != nil {
			return err
		}
	}
	s.serve(ctx, "router", router, s.router(), nil)
	return nil
}

// listenBackend opens a function's service address: the one loopback
// address that spreads requests over its replicas, as a Knative Service's
// cluster-local address does. The broker delivers to it.
func (s *Stack) listenBackend(ctx context.Context, name string) (*backend, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("%s service: %w", name, err)
	}
	b := &backend{name: name, addr: &url.URL{Scheme: "http", Host: ln.Addr().String()}}
	s.serve(ctx, name+" service", ln, s.service(b), nil)
	return b, nil
}

// startReplica opens the function's store, builds it and serves it on a
// free loopback port until ctx ends. done is closed once it has stopped
// and closed its store.
func (s *Stack) startReplica(ctx context.Context, fn function, i int) (addr *url.URL, done <-chan struct{}, err error) {
	var owned []store.Store
	var db store.Store
	if !fn.stateless {
		open := s.opts.OpenStore
		if open == nil {
			open = func(ctx context.Context, name string) (store.Store, error) {
				return sqlite.Open(ctx, filepath.Join(s.opts.DataDir, name+".db"))
			}
		}
		file, err := open(ctx, fn.name)
		if err != nil {
			return nil, nil, err
		}
		db, owned = file, []store.Store{file}
	}
	closeAll := func() {
		for _, o := range owned {
			o.Close()
		}
	}
	logger := s.logger.With(slog.String("function", fn.name), slog.Int("replica", i))
	env := replicaEnv{db: db, logger: logger}
	if fn.member {
		env.events, err = s.member(fn.name)
	}
	var r replica
	if err == nil {
		r, err = fn.build(s, env)
	}
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		closeAll()
		return nil, nil, err
	}
	rctx := logging.WithLogger(ctx, logger)
	done = s.serve(rctx, fmt.Sprintf("%s/%d", fn.name, i), ln, r.handler, r.run, owned...)
	return &url.URL{Scheme: "http", Host: ln.Addr().String()}, done, nil
}

// serve runs h on ln, and run (a function's background work, such as its
// outbox relay) beside it, until ctx ends; then it closes what they own,
// and closes the channel it returns.
func (s *Stack) serve(ctx context.Context, name string, ln net.Listener, h http.Handler, run func(context.Context), owned ...store.Store) <-chan struct{} {
	done := make(chan struct{})
	forget := s.listening(name, ln)
	s.wg.Go(func() {
		defer close(done)
		defer forget()
		err := server.ServeListenerRunning(ctx, ln, h, run)
		for _, db := range owned {
			err = errors.Join(err, db.Close())
		}
		if err != nil {
			s.mu.Lock()
			s.errs = append(s.errs, fmt.Errorf("%s: %w", name, err))
			s.mu.Unlock()
		}
	})
	return done
}

// listening records that name listens on ln, until the returned func is called.
func (s *Stack) listening(name string, ln net.Listener) (forget func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addrs[name] = ln.Addr().String()
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.addrs, name)
	}
}

// Listeners are the addresses the stack listens on right now, by what
// serves each: the router, the broker's ingress, each function's service
// address and each of its replicas.
func (s *Stack) Listeners() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.addrs)
}

// URL is the router's address, such as "http://127.0.0.1:8080".
func (s *Stack) URL() string { return s.url }

// ServiceURL is the address of one function's service, as the broker
// reaches it: requests to it are spread over the function's replicas.
func (s *Stack) ServiceURL(function string) string {
	if b, ok := s.backends[function]; ok {
		return b.addr.String()
	}
	return ""
}

// DataDir is the folder of the stack's files.
func (s *Stack) DataDir() string { return s.opts.DataDir }

// BrokerURL is the broker's ingress, every function's K_SINK.
func (s *Stack) BrokerURL() string { return s.sink }

// Close stops every function, the broker and the router and waits for them.
func (s *Stack) Close() error {
	s.cancel()
	s.StopBroker()
	s.wg.Wait()
	if s.stripeMock != nil {
		s.stripeMock.stop()
	}
	if s.mailpit != nil {
		s.mailpit.stop()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return errors.Join(s.errs...)
}

// Wait blocks until the stack has stopped (its context was cancelled) and
// returns what stopped it.
func (s *Stack) Wait() error { return s.Close() }

// loadJWTKey returns the configured key, or the one kept in DataDir,
// generating it on first start.
func (s *Stack) loadJWTKey() ([]byte, error) {
	if len(s.opts.JWTKey) > 0 {
		return s.opts.JWTKey, nil
	}
	encoded, err := s.loadSecret("jwt.key", "")
	if err != nil {
		return nil, err
	}
	key, err := base64.RawURLEncoding.DecodeString(encoded)
	if err != nil || len(key) < 32 {
		return nil, fmt.Errorf("%s holds no valid key; delete it to generate a new one", filepath.Join(s.opts.DataDir, "jwt.key"))
	}
	return key, nil
}

// loadEventKey returns the event plane's signing key kept in DataDir,
// generating it on first start.
func (s *Stack) loadEventKey() (*identity.Key, error) {
	encoded, err := s.loadSecret("events.key", "")
	if err != nil {
		return nil, err
	}
	seed, err := base64.RawURLEncoding.DecodeString(encoded)
	if err == nil {
		var key *identity.Key
		if key, err = identity.NewKey(seed); err == nil {
			return key, nil
		}
	}
	return nil, fmt.Errorf("%s holds no valid key; delete it to generate a new one", filepath.Join(s.opts.DataDir, "events.key"))
}

// member is function's membership of the event plane: tokens of the
// stack's key, as the cluster's issuer signs them in production.
func (s *Stack) member(function string) (*eventing.Member, error) {
	return eventing.Join(function, s.eventKey.Verifier(s.plane.Audience(function)), s.eventKey.Signer(s.plane.Publisher(function)))
}

// loadSecret returns the secret kept in DataDir under name, generating it
// (prefix and 32 random bytes, base64) on first start, so that sessions and
// signatures outlive restarts.
func (s *Stack) loadSecret(name, prefix string) (string, error) {
	if err := os.MkdirAll(s.opts.DataDir, 0o700); err != nil {
		return "", fmt.Errorf("data folder: %w", err)
	}
	path := filepath.Join(s.opts.DataDir, name)
	if b, err := os.ReadFile(path); err == nil {
		return strings.TrimPrefix(strings.TrimSpace(string(b)), prefix), nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	raw := make([]byte, 32)
	rand.Read(raw)
	secret := base64.RawURLEncoding.EncodeToString(raw)
	// O_EXCL: two stacks starting at once on one folder agree on one secret.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		time.Sleep(50 * time.Millisecond)
		return s.loadSecret(name, prefix)
	}
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	defer f.Close()
	if _, err := f.WriteString(prefix + secret + "\n"); err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return secret, nil
}

func hostPort(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if ok && tcp.IP.IsUnspecified() {
		return fmt.Sprintf("localhost:%d", tcp.Port)
	}
	return addr.String()
}
