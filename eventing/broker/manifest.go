package broker

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
// selects, where it delivers them and how it retries. It is read with small
// local structs rather than knative's types, which only config/validate
// pays to build; config/validate checks the same files with those types.
type Trigger struct {
	Name       string
	Broker     string
	Filter     map[string]string
	Subscriber Destination
	Delivery   Delivery
}

// Destination is a Knative Destination: a reference to an addressable
// (here, a Knative Service) with an optional path, or an absolute URI.
type Destination struct {
	Ref *Ref   `json:"ref,omitempty"`
	URI string `json:"uri,omitempty"`
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
	files, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, fmt.Errorf("broker.LoadTriggers: %w", err)
	}
	var objects []object
	for _, name := range files {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("broker.LoadTriggers: %w", err)
		}
		docs, err := decodeAll(b)
		if err != nil {
			return nil, fmt.Errorf("broker.LoadTriggers %s: %w", name, err)
		}
		objects = append(objects, docs...)
	}
	var brokerDelivery *deliverySpec
	found := false
	for _, o := range objects {
		if o.Kind == "Broker" && strings.HasPrefix(o.APIVersion, "eventing.knative.dev/") && o.Metadata.Name == broker {
			brokerDelivery, found = o.Spec.Delivery, true
		}
	}
	if !found {
		return nil, fmt.Errorf("broker.LoadTriggers: no Broker %q in the manifests", broker)
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
			return nil, fmt.Errorf("broker.LoadTriggers: trigger %s: %w", o.Metadata.Name, err)
		}
		t := Trigger{Name: o.Metadata.Name, Broker: broker, Subscriber: o.Spec.Subscriber, Delivery: d}
		if o.Spec.Filter != nil {
			t.Filter = o.Spec.Filter.Attributes
		}
		triggers = append(triggers, t)
	}
	return triggers, nil
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
