package validate_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/buytickets/buytickets/config/validate"
)

// gatewayAPIModule is the module whose CustomResourceDefinitions validate
// the Gateway API manifests: the version go.mod requires, the one knative
// pins, so the schemas match the Go types the documents decode into.
const gatewayAPIModule = "sigs.k8s.io/gateway-api"

// checker validates with the Gateway API's CRDs, as a cluster that has
// them installed; TestMain makes it.
var checker *validate.Checker

// TestMain loads the Gateway API's standard-channel CRDs before any test
// checks a document, as a cluster has them installed before any Gateway.
func TestMain(m *testing.M) {
	files, err := gatewayAPICRDs()
	if err == nil {
		checker, err = validate.NewChecker(files...)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Exit(m.Run())
}

// gatewayAPICRDs returns the standard-channel CRD files of the module in
// the module cache; go test puts its own go command first on PATH.
func gatewayAPICRDs() ([]string, error) {
	cmd := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", gatewayAPIModule)
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly")
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list -m %s: %w", gatewayAPIModule, err)
	}
	dir := strings.TrimSpace(string(out))
	if dir == "" {
		return nil, fmt.Errorf("go list -m %s: not in the module cache (go mod download %[1]s)", gatewayAPIModule)
	}
	files, err := filepath.Glob(filepath.Join(dir, "config", "crd", "standard", "*.yaml"))
	if err == nil && len(files) == 0 {
		err = fmt.Errorf("no CRDs under %s/config/crd/standard", dir)
	}
	return files, err
}

func TestNewCheckerRefusesWhatIsNoCRD(t *testing.T) {
	dir := t.TempDir()
	tests := map[string]string{
		"configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
		"malformed.yaml": "kind: [\n",
	}
	for name, content := range tests {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := validate.NewChecker(path); err == nil {
			t.Errorf("NewChecker(%s) succeeded, want an error", name)
		}
	}
	if _, err := validate.NewChecker(); err == nil {
		t.Error("NewChecker() succeeded, want an error for no files")
	}
}
