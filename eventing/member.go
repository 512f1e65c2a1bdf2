package eventing

import (
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/buytickets/buytickets/eventing/identity"
	"github.com/buytickets/buytickets/eventing/manifest"
)

// BrokerName is the marketplace's one Broker (broker.yaml).
const BrokerName = "default"

// Plane returns the marketplace's event plane as its manifests declare it:
// the Triggers and PingSources of the Broker, and the identities they
// speak with. The one Plane is shared: callers read it and never change it.
func Plane() (*manifest.Plane, error) { return plane() }

//go:generate go run ./internal/planegen -broker default

// plane is the plane compiled into plane_gen.go when it was compiled from
// the manifests embedded here, as a test checks; only otherwise are they
// read. Reading them is YAML, which took more of a function's cold start
// than anything else it does.
var plane = sync.OnceValues(func() (*manifest.Plane, error) {
	if d, err := manifest.Digest(Manifests); err == nil && d == compiledDigest {
		return compiledPlane(), nil
	}
	p, err := manifest.Load(Manifests, BrokerName)
	if err != nil {
		return nil, fmt.Errorf("eventing.Plane: %w", err)
	}
	return p, nil
})

// Member is one function's place on the authenticated event plane (DESIGN
// §5, "Sender identity"): whose tokens its /events and outbox sweep
// accept, as the manifests name them, and the token it publishes with.
type Member struct {
	function string
	verifier *identity.Verifier
	tokens   identity.TokenSource
	plane    *manifest.Plane
}

// Join returns the membership of function, whose tokens verifier checks
// (its audience must be the one the function's Triggers name) and which
// publishes with tokens (nil for a function that publishes nothing).
func Join(function string, verifier *identity.Verifier, tokens identity.TokenSource) (*Member, error) {
	if verifier == nil {
		return nil, errors.New("eventing.Join: no token verifier (EVENTS_ISSUER, EVENTS_AUDIENCE)")
	}
	p, err := Plane()
	if err != nil {
		return nil, err
	}
	if want := p.Audience(function); verifier.Audience() != want {
		return nil, fmt.Errorf("eventing.Join: %s verifies tokens for audience %q, but its Triggers name %q (EVENTS_AUDIENCE)",
			function, verifier.Audience(), want)
	}
	return &Member{function: function, verifier: verifier, tokens: tokens, plane: p}, nil
}

// Events guards h, the function's /events: only the Triggers that deliver
// to it and the dead-letter replay get through; anyone else gets 401.
func (m *Member) Events(h http.Handler) http.Handler {
	return m.verifier.Require(m.plane.EventSenders(m.function)...)(h)
}

// Sweep guards h, the function's outbox sweep (or another scheduled
// job): only its PingSources get through.
func (m *Member) Sweep(h http.Handler) http.Handler {
	return m.verifier.Require(m.plane.SweepSenders(m.function)...)(h)
}

// Operators guards h, an operator's tool (the dead-letter listing and
// replay): only the operator identity's tokens get through.
func (m *Member) Operators(h http.Handler) http.Handler {
	return m.verifier.Require(m.plane.Operator())(h)
}

// Plane is the event plane the member belongs to.
func (m *Member) Plane() *manifest.Plane { return m.plane }

// Publishing is how the function's outbox presents itself to the broker:
// its token source and the broker's audience.
func (m *Member) Publishing() (identity.TokenSource, string) {
	return m.tokens, m.plane.BrokerAudience()
}

// Publishers maps the identity of each function that publishes (the
// producers of the catalog) to its source: the one it may publish as.
func Publishers(p *manifest.Plane) map[string]string {
	out := map[string]string{}
	for _, fn := range producers {
		out[p.Publisher(fn)] = Source(fn)
	}
	return out
}

// JoinCluster returns function's membership in production, from its
// settings: tokens verified against the cluster's issuer, and the
// SinkBinding's projected token presented to the broker.
func JoinCluster(function string, s identity.Settings) (*Member, error) {
	verifier, err := s.Verifier()
	if err != nil {
		return nil, err
	}
	return Join(function, verifier, s.Tokens())
}
