// Package expiration is the expiration function: an order reserves its
// ticket for a window, and when the window passes with the order still
// open, expiration tells orders so with expiration.completed, which
// cancels the order and frees the ticket (DESIGN §3, §5).
//
// On order.created it schedules a task at the order's expiresAt that calls
// its own POST /tasks/expire; on order.cancelled or order.completed it
// cancels that task. Each receiver records the order's expiry and the
// scheduling in the transaction of the event's receipt, so a duplicate
// delivery schedules nothing more and an order closed before its creation
// arrived is never scheduled. The task's call emits expiration.completed
// through the outbox, once per order, and only for an order still open.
//
// Two schedulers serve it. In production (Deps.Scheduler set: Cloud Tasks)
// the intent to schedule or cancel is relayed to the scheduler after
// commit (shared/scheduler/relay), and /tasks/expire, routed publicly so
// Cloud Tasks can reach it, takes only calls bearing an OIDC token of the
// invoker service account for its audience (Deps.Verifier). On the
// embedded default (no Deps.Scheduler) the tasks are documents of the
// function's own store, written in the receipt's transaction and called by
// Run (shared/scheduler/embedded), and /tasks/expire takes only calls made
// on the loopback interface.
//
// New builds the function from its Config and Deps; Handler is its whole
// HTTP and CloudEvents surface, and Run relays the outbox and drives the
// scheduler. cmd/expiration serves it alone and cmd/buytickets mounts it
// with the others.
package expiration

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"google.golang.org/api/idtoken"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/outbox"
	expirationstore "github.com/buytickets/buytickets/functions/expiration/internal/store"
	"github.com/buytickets/buytickets/shared/httpx"
	"github.com/buytickets/buytickets/shared/scheduler"
	"github.com/buytickets/buytickets/shared/scheduler/embedded"
	"github.com/buytickets/buytickets/shared/scheduler/relay"
	"github.com/buytickets/buytickets/shared/store"
)

// TasksPath is where the function takes its tasks' calls.
const TasksPath = "/tasks/expire"

// Config is the expiration function's settings, from the environment
// (DESIGN §7).
type Config struct {
	// ExpireURL is the URL of this function's POST /tasks/expire as the
	// scheduler reaches it (EXPIRE_URL): the public URL in production, the
	// function's loopback address on the embedded default.
	ExpireURL string `env:"EXPIRE_URL" required:"true"`
	// Audience is the audience a task's OIDC token must name
	// (EXPIRE_AUDIENCE); ExpireURL when empty, which is also what Cloud
	// Tasks uses when the task names none.
	Audience string `env:"EXPIRE_AUDIENCE"`
	// InvokerEmail is the service account whose tokens Cloud Tasks calls
	// with (TASKS_INVOKER_EMAIL); required when tokens are verified.
	InvokerEmail string `env:"TASKS_INVOKER_EMAIL"`
}

// Validate reports an EXPIRE_URL that is not an absolute http(s) URL.
func (c *Config) Validate() error {
	if _, ok := httpx.HTTPURL(c.ExpireURL); !ok {
		return errors.New("EXPIRE_URL must be an absolute http(s) URL")
	}
	return nil
}

// Verifier checks an OIDC ID token's signature, expiry and audience and
// returns its claims; *idtoken.Validator, which checks Google's tokens
// against Google's keys, is one.
type Verifier interface {
	Validate(ctx context.Context, token, audience string) (*idtoken.Payload, error)
}

// Deps are what the function runs on.
type Deps struct {
	// Store keeps the expiries, the outbox, the receipts of events and the
	// scheduler's tasks or intents; required.
	Store store.Store
	// Sink is where the outbox relay sends events (K_SINK): the broker;
	// required.
	Sink string
	// Outbox tunes the relay; its zero value is the production setting.
	Outbox outbox.Options
	// Events is the function's membership of the event plane: whose
	// tokens its /events and sweeps accept, and its own for the broker;
	// required.
	Events *eventing.Member
	// Scheduler, when set, is where tasks are scheduled (Cloud Tasks in
	// production), through intents recorded in Store and relayed after
	// commit. When nil, the embedded scheduler keeps the tasks in Store and
	// Run calls them.
	Scheduler scheduler.Scheduler
	// Relay tunes the relay to Scheduler.
	Relay relay.Options
	// Tasks tunes the embedded scheduler; its BaseURL is ExpireURL.
	Tasks embedded.Options
	// Verifier, when set, checks the OIDC token of every call of
	// /tasks/expire (production). When nil, /tasks/expire takes only calls
	// made on the loopback interface, directly or through a loopback proxy
	// (the embedded default).
	Verifier Verifier
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger logs each request, the relays and the scheduler; when nil, the
	// logger already in the request's or Run's context (or slog's default)
	// is used.
	Logger *slog.Logger
}

// tasks is how the function schedules: within the receipt's transaction.
type tasks interface {
	ScheduleTx(tx store.Tx, t scheduler.Task) error
	CancelTx(tx store.Tx, name string) error
	Notify()
	Run(ctx context.Context)
}

var (
	_ tasks = (*embedded.Scheduler)(nil)
	_ tasks = (*relay.Relay)(nil)
)

// Function is the expiration function, ready to serve.
type Function struct {
	pub        outbox.Publisher
	store      *expirationstore.Store
	tasks      tasks
	taskURL    string                                                  // what a task calls
	sweepTasks func(context.Context) (applied, deleted int, err error) // nil on the embedded scheduler
	verifier   Verifier
	audience   string
	invoker    string
	now        func() time.Time
	logger     *slog.Logger
}

// New returns the function for cfg on deps, or an error when a setting is
// unusable or the store or the sink is missing.
func New(cfg Config, deps Deps) (*Function, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("expiration.New: %w", err)
	}
	if deps.Verifier != nil && cfg.InvokerEmail == "" {
		return nil, errors.New("expiration.New: TASKS_INVOKER_EMAIL is required to verify task tokens")
	}
	pub, err := outbox.Join(deps.Store, deps.Sink, deps.Outbox, deps.Events)
	if err != nil {
		return nil, fmt.Errorf("expiration.New: %w", err)
	}
	f := &Function{
		pub:      pub,
		store:    expirationstore.New(pub.DB, pub.Box),
		verifier: deps.Verifier,
		audience: cmp.Or(cfg.Audience, cfg.ExpireURL),
		invoker:  cfg.InvokerEmail,
		now:      deps.Now,
		logger:   deps.Logger,
	}
	if f.now == nil {
		f.now = time.Now
	}
	if err := f.setScheduler(cfg, deps); err != nil {
		return nil, fmt.Errorf("expiration.New: %w", err)
	}
	return f, nil
}

// setScheduler picks the relay to deps.Scheduler, whose tasks call
// ExpireURL, or the embedded scheduler, whose tasks call ExpireURL's path
// on whatever ExpireURL is when they fire.
func (f *Function) setScheduler(cfg Config, deps Deps) error {
	if deps.Scheduler != nil {
		r, err := relay.New(deps.Store, deps.Scheduler, deps.Relay)
		if err != nil {
			return err
		}
		f.tasks, f.taskURL, f.sweepTasks = r, cfg.ExpireURL, r.Sweep
		return nil
	}
	opts := deps.Tasks
	opts.BaseURL = cfg.ExpireURL
	s, err := embedded.New(deps.Store, opts)
	if err != nil {
		return err
	}
	u, _ := httpx.HTTPURL(cfg.ExpireURL) // Validate took it
	f.tasks, f.taskURL = s, u.RequestURI()
	return nil
}

// Handler returns the function's whole HTTP surface (routes.go).
func (f *Function) Handler() http.Handler { return f.routes() }

// Run relays the outbox's events to the sink, and drives the scheduler
// (the embedded scheduler's calls, or the relay of intents), until ctx
// ends.
func (f *Function) Run(ctx context.Context) {
	f.pub.Relay(ctx, f.logger, f.tasks.Run)
}
