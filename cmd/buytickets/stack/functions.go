package stack

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/outbox"
	"github.com/buytickets/buytickets/functions/auth"
	"github.com/buytickets/buytickets/functions/etickets"
	"github.com/buytickets/buytickets/functions/expiration"
	"github.com/buytickets/buytickets/functions/notifications"
	"github.com/buytickets/buytickets/functions/orders"
	"github.com/buytickets/buytickets/functions/payments"
	"github.com/buytickets/buytickets/functions/payouts"
	"github.com/buytickets/buytickets/functions/tickets"
	"github.com/buytickets/buytickets/functions/web"
	"github.com/buytickets/buytickets/shared/launch"
	"github.com/buytickets/buytickets/shared/store"
	"github.com/buytickets/buytickets/shared/stripeapi"
)

// function says how the stack builds one function and which paths the
// ingress sends to it.
type function struct {
	name   string
	routes []string
	// stateless functions own no data, and get no store.
	stateless bool
	// member functions are on the event plane: they get their membership.
	member bool
	// frontend functions serve pages whose work is the API requests they
	// make through the router: the router's gate counts those, not the
	// pages.
	frontend bool
	build    func(s *Stack, env replicaEnv) (replica, error)
}

// replicaEnv is what one replica of a function is built on.
type replicaEnv struct {
	db     store.Store      // nil for a stateless function
	logger *slog.Logger     // tagged with the function and the replica
	events *eventing.Member // nil for a function off the event plane
}

// replica is one built instance of a function: its handler and its
// background work (an outbox relay), run until the stack stops.
type replica struct {
	handler http.Handler
	run     func(context.Context)
}

// served is the replica of f, a function New returned with err: its
// handler, and its Run when it has background work.
func served(f launch.Function, err error) (replica, error) {
	if err != nil {
		return replica{}, err
	}
	r := replica{handler: f.Handler()}
	if runner, ok := f.(interface{ Run(context.Context) }); ok {
		r.run = runner.Run
	}
	return r, nil
}

// functions is every function of the marketplace, in start order. Each one
// is built from a Config filled in code: one process cannot give each
// function its own environment.
var functions = []function{
	{
		name:   "auth",
		routes: []string{"/api/users"},
		member: true,
		build: func(s *Stack, env replicaEnv) (replica, error) {
			return served(auth.New(auth.Config{
				JWTKey:         string(s.jwtKey),
				CookieInsecure: !s.opts.SecureCookies,
				PasswordCost:   s.opts.PasswordCost,
				AdminEmails:    s.opts.AdminEmails,
				RateLimits:     onOff(s.opts.RateLimits),
			}, s.publisher(env)))
		},
	},
	{
		name:   "tickets",
		routes: []string{"/api/tickets"},
		member: true,
		build: func(s *Stack, env replicaEnv) (replica, error) {
			return served(tickets.New(tickets.Config{JWTKey: string(s.jwtKey)},
				s.publisher(env)))
		},
	},
	{
		name:   "payments",
		routes: []string{"/api/payments"},
		member: true,
		build: func(s *Stack, env replicaEnv) (replica, error) {
			return served(payments.New(s.stripe, payments.Deps{Deps: s.publisher(env), Calls: stripeapi.Calls{RedriveAfter: s.opts.RedriveAfter}}))
		},
	},
	{
		// No ingress route: only the embedded scheduler calls /tasks/expire,
		// on loopback, as the function requires without a token verifier.
		name:   "expiration",
		member: true,
		build: func(s *Stack, env replicaEnv) (replica, error) {
			return served(expiration.New(expiration.Config{ExpireURL: s.ServiceURL("expiration") + expiration.TasksPath},
				expiration.Deps{Store: env.db, Sink: s.sink, Outbox: s.outboxOptions(), Events: env.events, Logger: env.logger}))
		},
	},
	{
		name:   "orders",
		routes: []string{"/api/orders"},
		member: true,
		build: func(s *Stack, env replicaEnv) (replica, error) {
			return served(orders.New(orders.Config{JWTKey: string(s.jwtKey), ExpirationWindow: s.opts.ExpirationWindow},
				s.publisher(env)))
		},
	},
	{
		name:   "etickets",
		routes: []string{"/api/etickets", "/api/checkins"},
		member: true,
		build: func(s *Stack, env replicaEnv) (replica, error) {
			return served(etickets.New(etickets.Config{JWTKey: string(s.jwtKey), SigningKey: s.eticketKey},
				s.publisher(env)))
		},
	},
	{
		// Stripe Connect on the same Stripe as payments (stripe-mock in
		// the embedded default), with a Connect webhook secret of its own.
		name:   "payouts",
		routes: []string{"/api/payouts"},
		member: true,
		build: func(s *Stack, env replicaEnv) (replica, error) {
			return served(payouts.New(payouts.Config{
				JWTKey: string(s.jwtKey), StripeKey: s.stripe.StripeKey, StripeAPIBase: s.stripe.StripeAPIBase,
				StripeConnectWebhookSecret: s.connectWebhookSecret, PublicURL: s.url,
				FeePercent: payouts.DefaultFeePercent, Delay: s.opts.PayoutDelay,
			}, payouts.Deps{Deps: s.publisher(env), Calls: stripeapi.Calls{RedriveAfter: s.opts.RedriveAfter}}))
		},
	},
	{
		name:   "notifications",
		routes: []string{"/api/notifications"},
		member: true,
		build: func(s *Stack, env replicaEnv) (replica, error) {
			return served(notifications.New(notifications.Config{
				SMTPURL: s.smtpURL, MailFrom: s.opts.Mail.From, PublicURL: s.url, JWTKey: string(s.jwtKey),
			}, notifications.Deps{Store: env.db, Events: env.events, Logger: env.logger, SweepEvery: 10 * time.Minute}))
		},
	},
	{
		// The storefront: every path no API claims. It calls the API through
		// the router, as a browser would.
		name:      "web",
		routes:    []string{"/"},
		stateless: true,
		frontend:  true,
		build: func(s *Stack, env replicaEnv) (replica, error) {
			return served(web.New(web.Config{APIURL: s.url, CookieInsecure: !s.opts.SecureCookies}, web.Deps{Logger: env.logger}))
		},
	},
}

// functionRun is one function's replicas while they run.
type functionRun struct {
	cancel context.CancelFunc
	done   []<-chan struct{} // one per replica, closed once it has stopped
}

// stop cancels the replicas and waits until each has stopped.
func (r *functionRun) stop() {
	r.cancel()
	for _, done := range r.done {
		<-done
	}
}

// StartFunction starts the function name (Start starts every one; tests
// start one again after StopFunction): as many replicas as
// Options.Replicas says, on its store under the data folder, behind its
// service address and the router. Started again, it catches up as a
// Knative Service scaled back up does: the broker redelivers what it could
// not take meanwhile, and its outbox relay sends what was left unsent.
// Starting a running function does nothing; an unknown name is an error.
func (s *Stack) StartFunction(name string) error {
	fn, ok := lookup(name)
	if !ok {
		return fmt.Errorf("stack.StartFunction: no function %q in the stack", name)
	}
	s.functionsMu.Lock()
	defer s.functionsMu.Unlock()
	if s.running[name] != nil {
		return nil
	}
	if s.ctx.Err() != nil {
		return fmt.Errorf("stack.StartFunction %s: the stack is closed", name)
	}
	ctx, cancel := context.WithCancel(s.ctx)
	run := &functionRun{cancel: cancel}
	n := max(1, s.opts.Replicas[name])
	replicas := make([]*url.URL, 0, n)
	for i := range n {
		addr, done, err := s.startReplica(ctx, fn, i)
		if err != nil {
			run.stop()
			return fmt.Errorf("stack.StartFunction: %s replica %d: %w", name, i, err)
		}
		run.done = append(run.done, done)
		replicas = append(replicas, addr)
	}
	s.backends[name].set(replicas)
	s.running[name] = run
	return nil
}

// StopFunction takes every replica of the function name down, as an
// outage would, and returns once they have stopped: the router and the
// function's service address answer 503 with Retry-After at once, so the
// broker retries its deliveries by the Trigger's policy; requests in
// flight finish; its outbox relay and its scheduler stop, and its store is
// closed. Stopping a stopped function does nothing; an unknown name is an
// error.
func (s *Stack) StopFunction(name string) error {
	if _, ok := lookup(name); !ok {
		return fmt.Errorf("stack.StopFunction: no function %q in the stack", name)
	}
	s.functionsMu.Lock()
	defer s.functionsMu.Unlock()
	run := s.running[name]
	if run == nil {
		return nil
	}
	// Out of the rotation first, so no new request reaches a replica that
	// is shutting down.
	s.backends[name].set(nil)
	run.stop()
	delete(s.running, name)
	return nil
}

// lookup finds the function called name.
func lookup(name string) (function, bool) {
	i := slices.IndexFunc(functions, func(fn function) bool { return fn.name == name })
	if i < 0 {
		return function{}, false
	}
	return functions[i], true
}

// publisher is the footing of a publishing replica on env: its store,
// the broker, its membership of the event plane and its logger.
func (s *Stack) publisher(env replicaEnv) outbox.Deps {
	return outbox.Deps{Store: env.db, Sink: s.sink, Outbox: s.outboxOptions(), Events: env.events, Logger: env.logger}
}

// outboxOptions are the embedded default's: a ticker sweeps, since no
// PingSource runs here.
func (s *Stack) outboxOptions() outbox.Options {
	return outbox.Options{SweepEvery: 10 * time.Second}
}

// onOff is a switch as a setting writes it.
func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}
