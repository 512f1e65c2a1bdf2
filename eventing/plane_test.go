package eventing

import (
	"reflect"
	"testing"

	"github.com/buytickets/buytickets/eventing/manifest"
)

// The plane a function starts with is compiled into plane_gen.go; it
// must be the one the embedded manifests declare.
func TestCompiledPlaneIsTheManifests(t *testing.T) {
	t.Parallel()
	digest, err := manifest.Digest(Manifests)
	if err != nil {
		t.Fatal(err)
	}
	if digest != compiledDigest {
		t.Fatalf("plane_gen.go was compiled from other manifests than eventing/*.yaml: run go generate ./eventing")
	}
	want, err := manifest.Load(Manifests, BrokerName)
	if err != nil {
		t.Fatal(err)
	}
	if got := compiledPlane(); !reflect.DeepEqual(got, want) {
		t.Fatalf("plane_gen.go differs from manifest.Load of the same manifests:\n got %+v\nwant %+v", got, want)
	}
}
