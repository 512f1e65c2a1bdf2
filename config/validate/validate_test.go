package validate_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/buytickets/buytickets/config/validate"
)

// repoRoot is the repository root, seen from this package's directory.
const repoRoot = "../.."

// manifestDirs are the directories, relative to repoRoot, whose YAML is
// deployed and therefore validated.
var manifestDirs = []string{"config", "eventing"}

// manifestFile is one parsed YAML file; path is relative to repoRoot.
type manifestFile struct {
	path string
	docs []validate.Document
}

// isManifest reports whether any document of the file is a Kubernetes
// object; other YAML files are neither validated nor deployable.
func (f manifestFile) isManifest() bool {
	return slices.ContainsFunc(f.docs, validate.Document.IsObject)
}

// repoManifests parses every YAML file under manifestDirs.
func repoManifests(tb testing.TB) []manifestFile {
	tb.Helper()
	var dirs []string
	for _, dir := range manifestDirs {
		dirs = append(dirs, filepath.Join(repoRoot, dir))
	}
	paths, err := validate.Files(dirs...)
	if err != nil {
		tb.Fatal(err)
	}
	var files []manifestFile
	for _, path := range paths {
		rel, err := filepath.Rel(repoRoot, path)
		if err != nil {
			tb.Fatal(err)
		}
		docs, err := parseFile(path, filepath.ToSlash(rel))
		if err != nil {
			tb.Fatal(err)
		}
		files = append(files, manifestFile{path: filepath.ToSlash(rel), docs: docs})
	}
	return files
}

func parseFile(path, name string) ([]validate.Document, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return validate.Parse(name, data)
}

// checkFile parses and checks every document of the file at path, and
// returns the warnings and the joined errors.
func checkFile(path string) (warnings []string, err error) {
	docs, err := parseFile(path, filepath.ToSlash(path))
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, doc := range docs {
		w, err := checker.Check(doc)
		warnings = append(warnings, w...)
		errs = append(errs, err)
	}
	return warnings, errors.Join(errs...)
}

func TestRepositoryManifestsPassValidation(t *testing.T) {
	checked := 0
	for _, file := range repoManifests(t) {
		if !file.isManifest() {
			t.Logf("%s: not a Kubernetes manifest, skipped", file.path)
			continue
		}
		t.Run(file.path, func(t *testing.T) {
			for _, doc := range file.docs {
				warnings, err := checker.Check(doc)
				for _, w := range warnings {
					t.Logf("warning: %s", w)
				}
				if err != nil {
					t.Error(err)
				}
				checked++
			}
		})
	}
	// Guards against walking the wrong directory and passing vacuously.
	if checked == 0 {
		t.Fatalf("no manifests found under %v of %s", manifestDirs, repoRoot)
	}
}

func TestValidTestdataPassesValidation(t *testing.T) {
	paths, err := filepath.Glob("testdata/valid/*.yaml")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no valid testdata: %v", err)
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			warnings, err := checkFile(path)
			for _, w := range warnings {
				t.Logf("warning: %s", w)
			}
			if err != nil {
				t.Error(err)
			}
		})
	}
}

// invalidCase is a file of testdata/invalid and a substring of its error.
type invalidCase struct{ file, want string }

func TestInvalidTestdataFailsValidation(t *testing.T) {
	tests := []invalidCase{
		{"service-negative-concurrency.yaml", "expected 0 <= -1 <= 1000: spec.template.spec.containerConcurrency"},
		{"service-unknown-field.yaml", `unknown field "spec.template.spec.containerConcurency"`},
		{"service-unquoted-annotation.yaml", "cannot unmarshal number into Go struct field"},
		{"service-duplicate-key.yaml", `key "containerConcurrency" already set in map`},
		{"service-without-namespace.yaml", "metadata.namespace: Required value"},
		{"service-reserved-env.yaml", `"PORT" is a reserved environment variable`},
		{"trigger-without-broker.yaml", "missing field(s): spec.broker"},
		{"broker-bad-backoff.yaml", "spec.delivery.backoffDelay"},
		{"secret-with-data.yaml", "a committed Secret must not carry values"},
		{"unknown-kind.yaml", `unknown kind "Deployment" of apiVersion "apps/v1"`},
		{"namespace-bad-name.yaml", `metadata.name: Invalid value: "Buytickets"`},
		{"missing-kind.yaml", "missing-kind.yaml[0] buytickets/auth: apiVersion and kind are required"},
		{"httproute-relative-path.yaml", "spec.rules[0].matches[0].path: Invalid value: value must be an absolute path and start with '/'"},
		{"httproute-experimental-field.yaml", "spec.rules[0].timeouts: Forbidden: unknown field: the CustomResourceDefinition does not serve it"},
		{"httproute-misspelt-field.yaml", `unknown field "spec.rules[0].backendRef"`},
		{"httproute-redirect-with-backend.yaml", "RequestRedirect filter must not be used together with backendRefs"},
		{"gateway-duplicate-listener.yaml", "Listener name must be unique within the Gateway"},
		{"referencegrant-without-namespace.yaml", "spec.from[0].namespace: Required value"},
		{"healthcheckpolicy-without-http.yaml", `spec.default.config: type "TCP": want type HTTP with httpHealthCheck`},
		{"gcpbackendpolicy-gateway-target.yaml", `spec.targetRef: must name a Service (group "", kind Service), got group "gateway.networking.k8s.io" kind "Gateway"`},
		{"eventpolicy-inner-wildcard.yaml", `invalid value: system:serviceaccount:*:tickets: spec.from[0].sub`},
		{"networkpolicy-empty-peer.yaml", "spec.ingress[0].from[0]: Required value: must specify a peer"},
		{"networkpolicy-in-without-values.yaml", "spec.podSelector.matchExpressions[0].values: Required value"},
		{"role-without-verbs.yaml", "rules[0].verbs: Required value"},
		{"rolebinding-core-roleref.yaml", `roleRef.apiGroup: Unsupported value: ""`},
		{"service-token-without-path.yaml", "missing field(s): spec.template.spec.volumes[0].projected[0].serviceAccountToken.path"},
	}
	failEach(t, "testdata/invalid", "invalid file", tests, func(t *testing.T, path string) error {
		_, err := checkFile(path)
		if err == nil {
			t.Fatal("validation passed, want it to fail")
		}
		return err
	})
}

// failEach runs fail on the file of each case in dir, each in a parallel
// subtest, and wants the error it returns to contain the case's want; then
// it wants a case for each YAML file in dir (what names them in the
// subtest's name).
func failEach(t *testing.T, dir, what string, tests []invalidCase, fail func(t *testing.T, path string) error) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			err := fail(t, filepath.Join(dir, tt.file))
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q\nwant it to contain %q", err, tt.want)
			}
		})
	}

	t.Run("every "+what+" has a case", func(t *testing.T) {
		paths, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range paths {
			if !slices.ContainsFunc(tests, func(tt invalidCase) bool { return tt.file == filepath.Base(path) }) {
				t.Errorf("%s has no case in this table", path)
			}
		}
	})
}

// failAcross is failEach for broken copies of the repository's manifests:
// each must pass validation on its own, and check, run on the repository's
// documents overlaid with the copy, must fail (name names it).
func failAcross(t *testing.T, dir string, tests []invalidCase, name string, check func([]validate.Document) error) {
	t.Helper()
	docs := repoDocuments(t)
	failEach(t, dir, "broken copy", tests, func(t *testing.T, path string) error {
		// Each broken copy is a valid manifest on its own: only the
		// checks across manifests can catch it.
		if _, err := checkFile(path); err != nil {
			t.Fatalf("the broken copy fails on its own: %v", err)
		}
		err := check(overlay(t, docs, path))
		if err == nil {
			t.Fatalf("%s passed, want it to fail", name)
		}
		return err
	})
}

func TestErrorNamesFileIndexKindAndName(t *testing.T) {
	data := []byte(`apiVersion: v1
kind: Namespace
metadata:
  name: buytickets
---
apiVersion: serving.knative.dev/v1
kind: Service
metadata:
  name: auth
  namespace: buytickets
spec:
  template:
    spec:
      containerConcurrency: 2000
      containers:
        - image: example.com/auth
`)
	docs, err := validate.Parse("config/auth/service.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := checker.Check(docs[0]); err != nil {
		t.Errorf("Check(namespace) = %v, want nil", err)
	}
	_, err = checker.Check(docs[1])
	want := "config/auth/service.yaml[1] Service buytickets/auth: expected 0 <= 2000 <= 1000: spec.template.spec.containerConcurrency"
	if err == nil || err.Error() != want {
		t.Errorf("Check(service) = %v\nwant %s", err, want)
	}
}
