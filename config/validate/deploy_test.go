package validate_test

import (
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// skaffoldConfig is the part of skaffold.yaml these tests read.
type skaffoldConfig struct {
	Build struct {
		Artifacts []struct {
			Image string `json:"image"`
		} `json:"artifacts"`
	} `json:"build"`
	Manifests struct {
		RawYAML []string `json:"rawYaml"`
	} `json:"manifests"`
}

// readYAML decodes the file name, relative to repoRoot, into v.
func readYAML(tb testing.TB, name string, v any) {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, name))
	if err != nil {
		tb.Fatal(err)
	}
	if err := yaml.Unmarshal(data, v); err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
}

func TestSkaffoldBuildsEveryKoImage(t *testing.T) {
	var cfg skaffoldConfig
	readYAML(t, "skaffold.yaml", &cfg)
	built := map[string]bool{}
	for _, a := range cfg.Build.Artifacts {
		built[a.Image] = true
	}
	referenced := 0
	for _, file := range repoManifests(t) {
		for _, doc := range file.docs {
			for _, image := range doc.KoImages {
				referenced++
				if !built[image] {
					t.Errorf("%s: image %s is not built by skaffold.yaml; add a ko artifact for it", doc, image)
				}
			}
		}
	}
	if referenced == 0 {
		t.Error("no ko:// image referenced under config/ or eventing/")
	}
}

func TestSkaffoldDeploysEveryManifestAndNothingElse(t *testing.T) {
	var cfg skaffoldConfig
	readYAML(t, "skaffold.yaml", &cfg)
	deployed := map[string]bool{}
	for _, pattern := range cfg.Manifests.RawYAML {
		// skaffold expands rawYaml with filepath.Glob, which has no "**".
		if strings.Contains(pattern, "**") {
			t.Errorf("manifests.rawYaml %q: ** matches only one directory level; list each directory", pattern)
		}
		matches, err := filepath.Glob(filepath.Join(repoRoot, pattern))
		if err != nil {
			t.Fatalf("manifests.rawYaml %q: %v", pattern, err)
		}
		for _, match := range matches {
			// A matched directory deploys every file under it.
			err := filepath.WalkDir(match, func(path string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					rel, _ := filepath.Rel(repoRoot, path)
					deployed[filepath.ToSlash(rel)] = true
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, file := range repoManifests(t) {
		switch {
		case file.isManifest() && !deployed[file.path]:
			t.Errorf("%s is not deployed: no manifests.rawYaml pattern in skaffold.yaml matches it", file.path)
		case !file.isManifest() && deployed[file.path]:
			t.Errorf("%s is deployed by a manifests.rawYaml pattern, but is not a Kubernetes manifest", file.path)
		}
	}
	for path := range deployed {
		if strings.HasPrefix(path, "config/validate/") {
			t.Errorf("%s is deployed by a manifests.rawYaml pattern; only manifests may be", path)
		}
	}
}

// variable matches a Cloud Build substitution in a string from which the
// escaped dollar signs ("$$") have been removed.
var variable = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?`)

// builtinSubstitutions are the substitutions Cloud Build provides itself.
var builtinSubstitutions = map[string]bool{
	"PROJECT_ID": true, "PROJECT_NUMBER": true, "BUILD_ID": true, "LOCATION": true,
	"TRIGGER_NAME": true, "TRIGGER_BUILD_CONFIG_PATH": true, "SERVICE_ACCOUNT_EMAIL": true,
	"SERVICE_ACCOUNT": true, "COMMIT_SHA": true, "SHORT_SHA": true, "REVISION_ID": true,
	"REPO_NAME": true, "REPO_FULL_NAME": true, "BRANCH_NAME": true, "TAG_NAME": true,
	"REF_NAME": true,
}

func TestCloudBuildSubstitutionsAreDefinedUsedAndEscaped(t *testing.T) {
	// Cloud Build fails a build that uses an undefined substitution, defines
	// one it never uses, or meets a $NAME that is neither built in nor
	// user-defined (a shell variable must be written $$NAME).
	var cfg map[string]any
	readYAML(t, "cloudbuild.yaml", &cfg)
	if steps, _ := cfg["steps"].([]any); len(steps) == 0 {
		t.Fatal("cloudbuild.yaml has no steps")
	}
	defined, _ := cfg["substitutions"].(map[string]any)
	delete(cfg, "substitutions")
	used := map[string]bool{}
	for _, s := range stringsIn(cfg) {
		for _, m := range variable.FindAllStringSubmatch(strings.ReplaceAll(s, "$$", ""), -1) {
			name := m[1]
			switch {
			case strings.HasPrefix(name, "_"):
				used[name] = true
			case !builtinSubstitutions[name]:
				t.Errorf("$%s is not a Cloud Build substitution; write $$%s for a shell variable", name, name)
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(used)) {
		if _, ok := defined[name]; !ok {
			t.Errorf("$%s is used, but substitutions give it no default", name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(defined)) {
		if !used[name] {
			t.Errorf("substitutions define %s, but nothing uses it", name)
		}
	}
}

// stringsIn returns every string held in v, a value decoded from YAML.
func stringsIn(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, item := range v {
			out = append(out, stringsIn(item)...)
		}
		return out
	case map[string]any:
		var out []string
		for _, item := range v {
			out = append(out, stringsIn(item)...)
		}
		return out
	}
	return nil
}
