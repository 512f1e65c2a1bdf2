package validate_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/buytickets/buytickets/config/validate"
)

// objectRef is a reference to another object, as Destinations and sinks
// write it.
type objectRef struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	Namespace  string `json:"namespace"`
}

// refsIn collects every {apiVersion, kind, name} object below v: the refs
// of subscribers, sinks and dead-letter sinks.
func refsIn(v any, out *[]objectRef) {
	switch x := v.(type) {
	case map[string]any:
		if ref, ok := x["ref"].(map[string]any); ok {
			b, _ := json.Marshal(ref)
			var r objectRef
			if json.Unmarshal(b, &r) == nil && r.Kind != "" && r.Name != "" {
				*out = append(*out, r)
			}
		}
		for _, e := range x {
			refsIn(e, out)
		}
	case []any:
		for _, e := range x {
			refsIn(e, out)
		}
	}
}

// TestEveryReferenceNamesAnObjectThatIsDeployed keeps the cluster from
// holding a Trigger, PingSource or Broker whose subscriber, sink or
// dead-letter sink does not exist: Knative would leave it never ready.
func TestEveryReferenceNamesAnObjectThatIsDeployed(t *testing.T) {
	t.Parallel()
	deployed := map[string]bool{}
	type source struct {
		doc  string
		refs []objectRef
		ns   string
	}
	var sources []source
	for _, f := range repoManifests(t) {
		for _, doc := range f.docs {
			if !doc.IsObject() {
				continue
			}
			deployed[fmt.Sprintf("%s/%s/%s/%s", doc.APIVersion, doc.Kind, doc.Namespace, doc.Name)] = true
			if doc.Kind == "Namespace" {
				continue
			}
			var body map[string]any
			if err := json.Unmarshal(doc.JSON, &body); err != nil {
				t.Fatal(err)
			}
			var refs []objectRef
			refsIn(body["spec"], &refs)
			sources = append(sources, source{doc: doc.String(), refs: refs, ns: doc.Namespace})
		}
	}
	external := map[string]bool{
		// The Kafka broker class's configuration, installed with Knative's Kafka broker.
		"v1/ConfigMap/knative-eventing/kafka-broker-config": true,
	}
	for _, s := range sources {
		for _, r := range s.refs {
			ns := r.Namespace
			if ns == "" {
				ns = s.ns
			}
			key := fmt.Sprintf("%s/%s/%s/%s", r.APIVersion, r.Kind, ns, r.Name)
			if !deployed[key] && !external[key] {
				t.Errorf("%s refers to %s %s/%s, which no manifest deploys", s.doc, r.Kind, ns, r.Name)
			}
		}
	}
}

// TestEveryFunctionWithEventsIsSweptAndEverySweepHasAFunction ties the
// SinkBinding's label to the outbox sweeps: a Service that publishes
// events (and so gets K_SINK) needs its PingSource, or unsent events wait
// until the function is next woken.
func TestEveryFunctionWithEventsIsSweptAndEverySweepHasAFunction(t *testing.T) {
	t.Parallel()
	publishers := map[string]bool{}
	swept := map[string]bool{}
	for _, f := range repoManifests(t) {
		for _, doc := range f.docs {
			var body struct {
				Metadata struct {
					Labels map[string]string `json:"labels"`
				} `json:"metadata"`
				Spec struct {
					Sink struct {
						Ref objectRef `json:"ref"`
						URI string    `json:"uri"`
					} `json:"sink"`
				} `json:"spec"`
			}
			if err := json.Unmarshal(doc.JSON, &body); err != nil {
				t.Fatal(err)
			}
			switch doc.Kind {
			case "Service":
				if body.Metadata.Labels["buytickets.dev/events"] == "true" {
					publishers[doc.Name] = true
				}
			case "PingSource":
				if body.Spec.Sink.URI == "/outbox/sweep" {
					swept[body.Spec.Sink.Ref.Name] = true
				}
			}
		}
	}
	for name := range publishers {
		if !swept[name] {
			t.Errorf("Service %s publishes events but no PingSource sweeps its outbox", name)
		}
	}
	for name := range swept {
		if !publishers[name] {
			t.Errorf("a PingSource sweeps %s, which is not labelled buytickets.dev/events: \"true\"", name)
		}
	}
}

// TestEveryTriggerEndsInADeadLetterSink keeps an event that exhausted its
// retries from being dropped: a Trigger's own delivery replaces the
// Broker's whole, so one that sets its own must name the sink again.
func TestEveryTriggerEndsInADeadLetterSink(t *testing.T) {
	t.Parallel()
	type delivery struct {
		DeadLetterSink *struct {
			Ref *objectRef `json:"ref"`
			URI string     `json:"uri"`
		} `json:"deadLetterSink"`
	}
	type spec struct {
		Spec struct {
			Broker   string    `json:"broker"`
			Delivery *delivery `json:"delivery"`
		} `json:"spec"`
	}
	brokers := map[string]*delivery{}
	var triggers []struct {
		name string
		spec spec
	}
	for _, f := range repoManifests(t) {
		for _, doc := range f.docs {
			var s spec
			if err := json.Unmarshal(doc.JSON, &s); err != nil {
				t.Fatal(err)
			}
			switch doc.Kind {
			case "Broker":
				brokers[doc.Namespace+"/"+doc.Name] = s.Spec.Delivery
			case "Trigger":
				triggers = append(triggers, struct {
					name string
					spec spec
				}{doc.Namespace + "/" + doc.Name, s})
			}
		}
	}
	for _, tr := range triggers {
		d := tr.spec.Spec.Delivery
		if d == nil {
			d = brokers[strings.Split(tr.name, "/")[0]+"/"+tr.spec.Spec.Broker]
		}
		if d == nil || d.DeadLetterSink == nil {
			t.Errorf("Trigger %s drops events that exhaust their retries: no dead-letter sink", tr.name)
		}
	}
}

// pathlessDestinations lists the destinations in docs that refer to a
// Knative Service without naming a path. Knative then delivers to "/",
// where none of the functions receives events or sweeps: every event
// sent there would be answered 404 and lost.
func pathlessDestinations(tb testing.TB, docs []validate.Document) []string {
	tb.Helper()
	var out []string
	var walk func(doc string, v any)
	walk = func(doc string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["ref"].(map[string]any); ok && ref["kind"] == "Service" && ref["apiVersion"] == "serving.knative.dev/v1" {
				if uri, _ := x["uri"].(string); uri == "" || uri == "/" {
					out = append(out, fmt.Sprintf("%s → Service %v", doc, ref["name"]))
				}
			}
			for _, e := range x {
				walk(doc, e)
			}
		case []any:
			for _, e := range x {
				walk(doc, e)
			}
		}
	}
	for _, doc := range docs {
		if !doc.IsObject() || doc.Kind == "Namespace" {
			continue
		}
		var body map[string]any
		if err := json.Unmarshal(doc.JSON, &body); err != nil {
			tb.Fatal(err)
		}
		walk(doc.String(), body["spec"])
	}
	return out
}

func TestEveryDeliveryToAFunctionNamesThePathThatReceivesIt(t *testing.T) {
	t.Parallel()
	var docs []validate.Document
	for _, f := range repoManifests(t) {
		docs = append(docs, f.docs...)
	}
	for _, d := range pathlessDestinations(t, docs) {
		t.Errorf("%s names no path: Knative would deliver to /, which no function serves", d)
	}

	broken, err := validate.Parse("broker.yaml", []byte(`apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: {name: default, namespace: buytickets}
spec:
  delivery:
    deadLetterSink:
      ref: {apiVersion: serving.knative.dev/v1, kind: Service, name: deadletters}
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := pathlessDestinations(t, broken); len(got) != 1 {
		t.Errorf("a dead-letter sink without a path was reported as %q, want once", got)
	}
}
