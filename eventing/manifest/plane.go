package manifest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"slices"
	"strings"
)

// Plane is the event plane the manifests declare around one Broker: its
// Triggers and the PingSources that sweep the functions' outboxes.
type Plane struct {
	Namespace   string
	Broker      string
	Triggers    []Trigger
	PingSources []PingSource
}

// Load reads the plane of the named Broker from the YAML files in fsys
// (eventing.Manifests for the marketplace's).
func Load(fsys fs.FS, broker string) (*Plane, error) {
	objects, err := readAll(fsys)
	if err != nil {
		return nil, fmt.Errorf("manifest.Load: %w", err)
	}
	triggers, err := triggersOf(objects, broker)
	if err != nil {
		return nil, err
	}
	p := &Plane{Broker: broker, Triggers: triggers, PingSources: pingSourcesOf(objects)}
	for _, o := range objects {
		if o.Kind == "Broker" && o.Metadata.Name == broker {
			p.Namespace = o.Metadata.Namespace
		}
	}
	return p, nil
}

// BrokerAudience is the audience of the tokens the Broker's ingress accepts.
func (p *Plane) BrokerAudience() string { return BrokerAudience(p.Namespace, p.Broker) }

// Publisher is the identity a function publishes with: its own service
// account, named as the function (config/validate checks each Service's).
func (p *Plane) Publisher(function string) string { return ServiceAccount(p.Namespace, function) }

// PublisherFunction returns the function whose identity subject is, and
// false for a subject that is no function's service account.
func (p *Plane) PublisherFunction(subject string) (string, bool) {
	name, ok := strings.CutPrefix(subject, ServiceAccount(p.Namespace, ""))
	return name, ok && name != "" && !strings.Contains(name, ":")
}

// Replayer is the identity the deadletters function replays events with.
func (p *Plane) Replayer() string { return ServiceAccount(p.Namespace, "deadletters") }

// Audience is the audience of the tokens presented to function: the one
// its Triggers, PingSources or the dead-letter sink name for it (config/validate checks that
// they agree with each other and with the function's EVENTS_AUDIENCE), or
// "" when none names one.
func (p *Plane) Audience(function string) string {
	for _, t := range p.Triggers {
		if delivers(t.Subscriber, function) && t.Subscriber.Audience != "" {
			return t.Subscriber.Audience
		}
	}
	for _, s := range p.PingSources {
		if delivers(s.Sink, function) && s.Sink.Audience != "" {
			return s.Sink.Audience
		}
	}
	for _, t := range p.Triggers {
		if sink := t.Delivery.DeadLetterSink; sink != nil && delivers(*sink, function) && sink.Audience != "" {
			return sink.Audience
		}
	}
	return ""
}

// EventSenders are the identities whose tokens function's /events
// accepts: the Triggers that deliver to it, the deadletters function's
// replay, and, for the Broker's dead-letter sink, every Trigger.
func (p *Plane) EventSenders(function string) []string {
	var senders []string
	for _, t := range p.Triggers {
		sink := t.Delivery.DeadLetterSink
		if delivers(t.Subscriber, function) || sink != nil && delivers(*sink, function) {
			senders = append(senders, t.Identity())
		}
	}
	senders = append(senders, p.Replayer())
	slices.Sort(senders)
	return slices.Compact(senders)
}

// SweepSenders are the identities whose tokens function's outbox sweep
// accepts: the PingSources whose sink it is.
func (p *Plane) SweepSenders(function string) []string {
	var senders []string
	for _, s := range p.PingSources {
		if delivers(s.Sink, function) {
			senders = append(senders, s.Identity())
		}
	}
	return senders
}

// delivers reports whether d is the Knative Service function.
func delivers(d Destination, function string) bool {
	return d.Ref != nil && d.Ref.Kind == "Service" && d.Ref.Name == function
}

// Operator is the identity of the people who list and replay dead letters.
func (p *Plane) Operator() string { return ServiceAccount(p.Namespace, "operator") }

// Subscriber is a function a Trigger delivers to, at a path.
type Subscriber struct {
	Function string
	Path     string
}

// Subscribers are the destinations the Triggers name: each function and
// path the broker delivers to, once.
func (p *Plane) Subscribers() []Subscriber {
	var out []Subscriber
	for _, t := range p.Triggers {
		if t.Subscriber.Ref == nil || t.Subscriber.Ref.Kind != "Service" {
			continue
		}
		s := Subscriber{Function: t.Subscriber.Ref.Name, Path: t.Subscriber.URI}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// ClusterAddress is the address Knative resolves a Knative Service of the
// plane's namespace to: http://NAME.NAMESPACE.svc.cluster.local.
func (p *Plane) ClusterAddress(function string) *url.URL {
	return &url.URL{Scheme: "http", Host: function + "." + p.Namespace + ".svc.cluster.local"}
}

// Digest is the SHA-256, in hex, of the YAML files in fsys: their names
// and contents, in name order. A plane compiled into a binary records the
// digest of the manifests it was read from, so the binary can tell
// whether the manifests it embeds are still those.
func Digest(fsys fs.FS) (string, error) {
	files, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return "", fmt.Errorf("manifest.Digest: %w", err)
	}
	h := sha256.New()
	for _, name := range files {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return "", fmt.Errorf("manifest.Digest: %w", err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00", name, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
