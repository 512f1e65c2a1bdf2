package outbox_test

import (
	"io/fs"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/outbox"
)

// pingSource is the part of a PingSource manifest the sweep relies on.
type pingSource struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name      string `json:"name"`
		Namespace string `json:"namespace"`
	} `json:"metadata"`
	Spec struct {
		Schedule string `json:"schedule"`
		Sink     struct {
			Ref struct {
				Kind string `json:"kind"`
				Name string `json:"name"`
			} `json:"ref"`
			URI string `json:"uri"`
		} `json:"sink"`
	} `json:"spec"`
}

func TestEveryFunctionWithAnOutboxIsSweptEveryTenMinutes(t *testing.T) {
	t.Parallel()
	data, err := fs.ReadFile(eventing.Manifests, "pingsources.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var swept []string
	for doc := range strings.SplitSeq(string(data), "\n---\n") {
		var p pingSource
		if err := yaml.Unmarshal([]byte(doc), &p); err != nil {
			t.Fatal(err)
		}
		if p.Kind != "PingSource" {
			t.Errorf("%s is a %s, not a PingSource", p.Metadata.Name, p.Kind)
			continue
		}
		target := p.Spec.Sink.Ref
		if target.Kind != "Service" || p.Metadata.Name != target.Name+"-outbox-sweep" {
			t.Errorf("%s pings %s %s, not its function's Service", p.Metadata.Name, target.Kind, target.Name)
		}
		if p.Spec.Sink.URI != outbox.SweepPath || p.Spec.Schedule != "*/10 * * * *" || p.Metadata.Namespace != "buytickets" {
			t.Errorf("%s posts to %s on %q in %q; want %s, every 10 minutes, in buytickets",
				p.Metadata.Name, p.Spec.Sink.URI, p.Spec.Schedule, p.Metadata.Namespace, outbox.SweepPath)
		}
		swept = append(swept, target.Name)
	}
	slices.Sort(swept)
	if want := []string{"auth", "expiration", "orders", "payments", "tickets"}; !slices.Equal(swept, want) {
		t.Errorf("swept functions = %v, want %v", swept, want)
	}
}
