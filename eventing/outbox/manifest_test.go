package outbox_test

import (
	"testing"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/manifest"
	"github.com/buytickets/buytickets/eventing/outbox"
)

// TestEverySweepPingsItsFunctionEveryTenMinutes checks the PingSources of
// the manifests; config/validate checks that every function with an outbox
// has one and that each names a function that exists.
func TestEverySweepPingsItsFunctionEveryTenMinutes(t *testing.T) {
	t.Parallel()
	sources, err := manifest.LoadPingSources(eventing.Manifests)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range sources {
		if p.Sink.URI != outbox.SweepPath {
			continue // another function's own sweep, such as payments' re-drive
		}
		if target := p.Sink.Ref; target == nil || target.Kind != "Service" || p.Name != target.Name+"-outbox-sweep" {
			t.Errorf("%s pings %+v, not its function's Service", p.Name, p.Sink.Ref)
		}
		if p.Schedule != "*/10 * * * *" || p.Namespace != "buytickets" {
			t.Errorf("%s posts on %q in %q; want every 10 minutes, in buytickets", p.Name, p.Schedule, p.Namespace)
		}
	}
	if len(sources) == 0 {
		t.Fatal("no PingSource in the manifests")
	}
}
