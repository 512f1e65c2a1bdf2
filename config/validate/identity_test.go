package validate_test

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/authentication/serviceaccount"
	eventingv1 "knative.dev/eventing/pkg/apis/eventing/v1"
	sourcesv1 "knative.dev/eventing/pkg/apis/sources/v1"
	"knative.dev/eventing/pkg/auth"

	"github.com/buytickets/buytickets/eventing/manifest"
)

// knativeIdentity is the subject of the tokens Knative presents for a
// resource of kind gvk: its OIDC service account's.
func knativeIdentity(gvk schema.GroupVersionKind, namespace, name string) string {
	meta := metav1.ObjectMeta{Namespace: namespace, Name: name}
	sa := auth.GetOIDCServiceAccountNameForResource(gvk, meta)
	return serviceaccount.MakeUsername(namespace, sa)
}

// TestIdentitiesAreKnatives pins the identities the functions trust
// (eventing/manifest, written without Knative's packages) to the ones
// Knative derives, for every Trigger and PingSource of eventing/ and for
// the Broker.
func TestIdentitiesAreKnatives(t *testing.T) {
	trigger := eventingv1.SchemeGroupVersion.WithKind("Trigger")
	pingSource := sourcesv1.SchemeGroupVersion.WithKind("PingSource")
	plane := eventPlane(t)

	// Guards against a plane that read fewer objects than eventing/ holds.
	counts := map[string]int{}
	for _, f := range repoManifests(t) {
		if strings.HasPrefix(f.path, "eventing/") {
			for _, doc := range f.docs {
				counts[doc.Kind]++
			}
		}
	}
	if len(plane.Triggers) != counts["Trigger"] || len(plane.PingSources) != counts["PingSource"] {
		t.Fatalf("manifest.Load read %d Triggers and %d PingSources; eventing/ holds %d and %d",
			len(plane.Triggers), len(plane.PingSources), counts["Trigger"], counts["PingSource"])
	}
	for _, tr := range plane.Triggers {
		if got, want := tr.Identity(), knativeIdentity(trigger, tr.Namespace, tr.Name); got != want {
			t.Errorf("Trigger %s: Identity() = %s, Knative's is %s", tr.Name, got, want)
		}
	}
	for _, ps := range plane.PingSources {
		if got, want := ps.Identity(), knativeIdentity(pingSource, ps.Namespace, ps.Name); got != want {
			t.Errorf("PingSource %s: Identity() = %s, Knative's is %s", ps.Name, got, want)
		}
	}

	broker := metav1.ObjectMeta{Namespace: plane.Namespace, Name: plane.Broker}
	if got, want := plane.BrokerAudience(), auth.GetAudience(eventingv1.SchemeGroupVersion.WithKind("Broker"), broker); got != want {
		t.Errorf("BrokerAudience() = %s, Knative's is %s", got, want)
	}
	if got, want := plane.Publisher("tickets"), serviceaccount.MakeUsername(plane.Namespace, "tickets"); got != want {
		t.Errorf("Publisher(tickets) = %s, Kubernetes' subject is %s", got, want)
	}
}

// TestLongNamedIdentitiesAreKnatives pins the branch no manifest takes
// yet: Knative hashes a name once it and the suffix pass 63 characters
// (names over 29 characters for a Trigger, over 27 for a PingSource), and
// pads a short result with the head of the suffix.
func TestLongNamedIdentitiesAreKnatives(t *testing.T) {
	trigger := eventingv1.SchemeGroupVersion.WithKind("Trigger")
	pingSource := sourcesv1.SchemeGroupVersion.WithKind("PingSource")
	for _, name := range []string{
		strings.Repeat("a", 27),
		strings.Repeat("b", 28),
		strings.Repeat("c", 29),
		strings.Repeat("d", 30),
		strings.Repeat("e", 31),
		"orders-expiration-completed-with-a-longer-name",
		"x-" + strings.Repeat("long.name-", 20) + "z",
	} {
		tr := manifest.Trigger{Name: name, Namespace: "buytickets"}
		if got, want := tr.Identity(), knativeIdentity(trigger, "buytickets", name); got != want {
			t.Errorf("Trigger %s (%d characters): Identity() = %s, Knative's is %s", name, len(name), got, want)
		}
		ps := manifest.PingSource{Name: name, Namespace: "buytickets"}
		if got, want := ps.Identity(), knativeIdentity(pingSource, "buytickets", name); got != want {
			t.Errorf("PingSource %s (%d characters): Identity() = %s, Knative's is %s", name, len(name), got, want)
		}
	}
}
