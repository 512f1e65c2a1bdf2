// Package manifest reads what the event plane's Knative manifests
// (eventing/*.yaml) say: which Triggers deliver which events to whom, with
// what retries; which PingSources sweep which outbox; and the identity
// each of them speaks with under Knative's authentication-oidc, so that a
// receiver knows whose tokens to accept. The embedded broker runs the same
// Triggers, and the functions trust the same identities, on one machine.
//
// It reads them with small local structs rather than knative's types,
// which only config/validate pays to build; config/validate checks the
// same files with those types, and that the identities here are the ones
// Knative derives.
package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/rickb777/date/period"
	"sigs.k8s.io/yaml"
)

// Trigger is what the broker needs of a Knative Trigger: which events it
// selects, where it delivers them and how it retries.
type Trigger struct {
	Name       string
	Namespace  string
	Broker     string
	Filter     map[string]string
	Subscriber Destination
	Delivery   Delivery
}

// Destination is a Knative Destination: a reference to an addressable
// (here, a Knative Service) with an optional path, or an absolute URI.
// Audience is the audience of the token the sender presents to it
// (authentication-oidc).
type Destination struct {
	Ref      *Ref   `json:"ref,omitempty"`
	URI      string `json:"uri,omitempty"`
	Audience string `json:"audience,omitempty"`
}

// Ref names a Kubernetes object.
type Ref struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	Namespace  string `json:"namespace,omitempty"`
}

// Delivery is a Knative DeliverySpec, parsed.
type Delivery struct {
	// Retry is how many times a failed delivery is retried; 0 means none.
	Retry int
	// Exponential doubles the delay on each retry; otherwise it grows linearly.
	Exponential bool
	// BackoffDelay is the base delay between retries.
	BackoffDelay time.Duration
	// Timeout bounds each attempt; 0 means the broker's default.
	Timeout time.Duration
	// DeadLetterSink is where events that exhausted their retries would go
	// on the cluster; the embedded broker keeps them in its own store.
	DeadLetterSink *Destination
}

// Matches reports whether the event's attributes (type, source, subject,
// extensions, as strings) satisfy every exact-match filter.
func (t Trigger) Matches(attrs map[string]string) bool {
	for k, v := range t.Filter {
		if got, ok := attrs[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// object is the part of a manifest the broker reads.
type object struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	Spec struct {
		Broker string `json:"broker"`
		Filter *struct {
			Attributes map[string]string `json:"attributes"`
		} `json:"filter"`
		Subscriber Destination   `json:"subscriber"`
		Sink       Destination   `json:"sink"`
		Schedule   string        `json:"schedule"`
		Delivery   *deliverySpec `json:"delivery"`
	} `json:"spec"`
}

type deliverySpec struct {
	Retry          *int         `json:"retry"`
	BackoffPolicy  string       `json:"backoffPolicy"`
	BackoffDelay   string       `json:"backoffDelay"`
	Timeout        string       `json:"timeout"`
	DeadLetterSink *Destination `json:"deadLetterSink"`
}

// LoadTriggers reads every Trigger of the named broker from the YAML files
// in fsys. Triggers without a delivery of their own take the Broker's, as
// Knative does.
func LoadTriggers(fsys fs.FS, broker string) ([]Trigger, error) {
	objects, err := readAll(fsys)
	if err != nil {
		return nil, fmt.Errorf("manifest.LoadTriggers: %w", err)
	}
	return triggersOf(objects, broker)
}

// triggersOf returns the Triggers of the named broker among objects.
func triggersOf(objects []object, broker string) ([]Trigger, error) {
	var brokerDelivery *deliverySpec
	found := false
	for _, o := range objects {
		if o.Kind == "Broker" && strings.HasPrefix(o.APIVersion, "eventing.knative.dev/") && o.Metadata.Name == broker {
			brokerDelivery, found = o.Spec.Delivery, true
		}
	}
	if !found {
		return nil, fmt.Errorf("manifest.LoadTriggers: no Broker %q in the manifests", broker)
	}
	var triggers []Trigger
	for _, o := range objects {
		if o.Kind != "Trigger" || o.Spec.Broker != broker {
			continue
		}
		spec := o.Spec.Delivery
		if spec == nil {
			spec = brokerDelivery
		}
		d, err := parseDelivery(spec)
		if err != nil {
			return nil, fmt.Errorf("manifest.LoadTriggers: trigger %s: %w", o.Metadata.Name, err)
		}
		t := Trigger{Name: o.Metadata.Name, Namespace: o.Metadata.Namespace, Broker: broker, Subscriber: o.Spec.Subscriber, Delivery: d}
		if o.Spec.Filter != nil {
			t.Filter = o.Spec.Filter.Attributes
		}
		triggers = append(triggers, t)
	}
	return triggers, nil
}

// readAll decodes every object of the YAML files in fsys.
func readAll(fsys fs.FS) ([]object, error) {
	files, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, err
	}
	var objects []object
	for _, name := range files {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		docs, err := decodeAll(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		objects = append(objects, docs...)
	}
	return objects, nil
}

// PingSource is what the marketplace needs of a Knative PingSource: the
// outbox sweep it calls on a schedule.
type PingSource struct {
	Name      string
	Namespace string
	Schedule  string
	Sink      Destination
}

// LoadPingSources reads every PingSource of the YAML files in fsys.
func LoadPingSources(fsys fs.FS) ([]PingSource, error) {
	objects, err := readAll(fsys)
	if err != nil {
		return nil, fmt.Errorf("manifest.LoadPingSources: %w", err)
	}
	return pingSourcesOf(objects), nil
}

// pingSourcesOf returns the PingSources among objects.
func pingSourcesOf(objects []object) []PingSource {
	var sources []PingSource
	for _, o := range objects {
		if o.Kind == "PingSource" && strings.HasPrefix(o.APIVersion, "sources.knative.dev/") {
			sources = append(sources, PingSource{Name: o.Metadata.Name, Namespace: o.Metadata.Namespace, Schedule: o.Spec.Schedule, Sink: o.Spec.Sink})
		}
	}
	return sources
}

// decodeAll splits a multi-document YAML file and decodes each document.
func decodeAll(b []byte) ([]object, error) {
	var out []object
	for _, doc := range splitDocuments(b) {
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		var o object
		if err := yaml.Unmarshal(doc, &o); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

// splitDocuments cuts a YAML stream at its "---" separator lines.
func splitDocuments(b []byte) [][]byte {
	var docs [][]byte
	var cur bytes.Buffer
	for _, line := range bytes.SplitAfter(b, []byte("\n")) {
		if bytes.HasPrefix(line, []byte("---")) && len(bytes.TrimSpace(line[3:])) == 0 {
			docs = append(docs, bytes.Clone(cur.Bytes()))
			cur.Reset()
			continue
		}
		cur.Write(line)
	}
	return append(docs, cur.Bytes())
}

func parseDelivery(spec *deliverySpec) (Delivery, error) {
	var d Delivery
	if spec == nil {
		return d, nil
	}
	if spec.Retry != nil {
		d.Retry = *spec.Retry
	}
	d.Exponential = spec.BackoffPolicy == "" || spec.BackoffPolicy == "exponential"
	if spec.BackoffPolicy != "" && spec.BackoffPolicy != "exponential" && spec.BackoffPolicy != "linear" {
		return d, fmt.Errorf("unknown backoffPolicy %q", spec.BackoffPolicy)
	}
	var err error
	if d.BackoffDelay, err = isoDuration(spec.BackoffDelay); err != nil {
		return d, fmt.Errorf("backoffDelay: %w", err)
	}
	if d.Timeout, err = isoDuration(spec.Timeout); err != nil {
		return d, fmt.Errorf("timeout: %w", err)
	}
	d.DeadLetterSink = spec.DeadLetterSink
	return d, nil
}

// isoDuration parses an ISO 8601 duration ("PT0.2S") as Knative does.
func isoDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	p, err := period.Parse(s)
	if err != nil {
		return 0, err
	}
	d, _ := p.Duration()
	if d < 0 {
		return 0, errors.New("negative duration")
	}
	return d, nil
}

// Backoff is how long to wait before retry n (1 for the first retry), as
// Knative computes it: exponential doubles from BackoffDelay (delay·2^(n-1)),
// linear grows by it (delay·(n-1)).
func (d Delivery) Backoff(n int) time.Duration {
	if n < 1 {
		return 0
	}
	if d.Exponential {
		return d.BackoffDelay << (n - 1)
	}
	return d.BackoffDelay * time.Duration(n-1)
}
