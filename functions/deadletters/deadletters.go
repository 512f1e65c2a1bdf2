// Package deadletters is the dead-letter sink of the Knative Broker: the
// Service the Broker's delivery.deadLetterSink names, where an event goes
// once a subscriber has refused it outright or failed it past its retries.
//
// It keeps each such event with the subscriber's answer, one dead letter per
// event and failed subscriber, and lets an operator list them and replay one
// to the subscriber that failed it. The embedded broker keeps its own dead
// letters; this function is the same for production.
//
// Every route but the health check asks who is calling (DESIGN §5, "Sender
// identity"): the Broker hands over dead letters with its Triggers'
// tokens; the listing and the replay take the operator identity's token
// (kubectl create token operator -n buytickets --audience
// buytickets/deadletters). A replay goes only to a subscriber the Triggers
// name, with the function's own token for that subscriber's audience, so
// the function relays nothing to an address a dead letter makes up. The
// Service is also cluster-local with no ingress route.
package deadletters

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/identity"
	dlstore "github.com/buytickets/buytickets/functions/deadletters/internal/store"
	"github.com/buytickets/buytickets/shared/store"
)

// DefaultReplayTimeout bounds a replay's request to the subscriber when the
// Config sets none: the delivery timeout of the Broker (eventing/broker.yaml).
const DefaultReplayTimeout = 30 * time.Second

// Config is the dead-letter function's settings. It reads nothing from the
// environment; its zero value is the default.
type Config struct {
	// ReplayTimeout bounds one replay's request to the subscriber;
	// DefaultReplayTimeout when zero.
	ReplayTimeout time.Duration
}

// Validate reports a negative replay timeout.
func (c *Config) Validate() error {
	if c.ReplayTimeout < 0 {
		return errors.New("deadletters replay timeout must not be negative")
	}
	return nil
}

// Deps are what the function runs on.
type Deps struct {
	// Store keeps the dead letters; required.
	Store store.Store
	// Client sends replays to subscribers; a client with no timeout of its
	// own when nil, since ReplayTimeout bounds each replay.
	Client *http.Client
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Logger logs each request; when nil, the logger already in the
	// request's context (or slog's default) is used.
	Logger *slog.Logger
	// Events is the function's membership of the event plane: whose tokens
	// its routes accept; required.
	Events *eventing.Member
	// Resolve returns the address of a function the Triggers deliver to;
	// the plane's cluster address (http://NAME.NAMESPACE.svc.cluster.local)
	// when nil.
	Resolve func(function string) *url.URL
	// ReplayTokens returns what a replay to function presents: a token of
	// the function's replay identity for function's audience (in
	// production, the service-account token projected for it); required.
	ReplayTokens func(function string) identity.TokenSource
}

// Function is the dead-letter function, ready to serve.
type Function struct {
	store         *dlstore.Store
	client        *http.Client
	replayTimeout time.Duration
	now           func() time.Time
	logger        *slog.Logger
	events        *eventing.Member
	resolve       func(function string) *url.URL
	replayTokens  func(function string) identity.TokenSource
	// stored counts the dead letters stored, by event type.
	stored metric.Int64Counter
}

// New returns the function for cfg on deps, or an error when a setting is
// unusable or the store is missing.
func New(cfg Config, deps Deps) (*Function, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("deadletters.New: %w", err)
	}
	if deps.Store == nil {
		return nil, errors.New("deadletters.New: no store")
	}
	if deps.Events == nil || deps.ReplayTokens == nil {
		return nil, errors.New("deadletters.New: no event plane membership or replay tokens (Deps.Events, Deps.ReplayTokens)")
	}
	plane := deps.Events.Plane()
	resolve := deps.Resolve
	if resolve == nil {
		resolve = plane.ClusterAddress
	}

	stored, err := eventing.DeadLetterCounter()
	if err != nil {
		return nil, fmt.Errorf("deadletters.New: %w", err)
	}
	f := &Function{
		stored:        stored,
		store:         dlstore.New(deps.Store),
		client:        deps.Client,
		replayTimeout: cfg.ReplayTimeout,
		now:           deps.Now,
		logger:        deps.Logger,
		events:        deps.Events,
		resolve:       resolve,
		replayTokens:  deps.ReplayTokens,
	}
	if f.client == nil {
		f.client = &http.Client{}
	}
	if f.replayTimeout == 0 {
		f.replayTimeout = DefaultReplayTimeout
	}
	if f.now == nil {
		f.now = time.Now
	}
	return f, nil
}

// Handler returns the function's whole HTTP surface (routes.go).
func (f *Function) Handler() http.Handler { return f.routes() }
