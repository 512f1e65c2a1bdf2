package outbox_test

import (
	"io/fs"
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

// TestEverySweepPingsItsFunctionEveryTenMinutes checks the PingSources of
// the manifests; config/validate checks that every function with an outbox
// has one and that each names a function that exists.
func TestEverySweepPingsItsFunctionEveryTenMinutes(t *testing.T) {
	t.Parallel()
	files, err := fs.Glob(eventing.Manifests, "*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		data, err := fs.ReadFile(eventing.Manifests, file)
		if err != nil {
			t.Fatal(err)
		}
		for doc := range strings.SplitSeq(string(data), "\n---\n") {
			var p pingSource
			if err := yaml.Unmarshal([]byte(doc), &p); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if p.Kind != "PingSource" {
				continue
			}
			if p.Spec.Sink.URI != outbox.SweepPath {
				continue // another function's own sweep, such as payments' re-drive
			}
			target := p.Spec.Sink.Ref
			if target.Kind != "Service" || p.Metadata.Name != target.Name+"-outbox-sweep" {
				t.Errorf("%s pings %s %s, not its function's Service", p.Metadata.Name, target.Kind, target.Name)
			}
			if p.Spec.Schedule != "*/10 * * * *" || p.Metadata.Namespace != "buytickets" {
				t.Errorf("%s posts on %q in %q; want every 10 minutes, in buytickets",
					p.Metadata.Name, p.Spec.Schedule, p.Metadata.Namespace)
			}
		}
	}
}
