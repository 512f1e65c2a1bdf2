package validate_test

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/buytickets/buytickets/config/validate"
)

// skaffoldProfiles returns the names of skaffold.yaml's profiles.
func skaffoldProfiles(tb testing.TB) []string {
	tb.Helper()
	var cfg struct {
		Profiles []struct {
			Name string `json:"name"`
		} `json:"profiles"`
	}
	readYAML(tb, "skaffold.yaml", &cfg)
	var names []string
	for _, p := range cfg.Profiles {
		names = append(names, p.Name)
	}
	return names
}

// setupAccounts returns the service accounts the README's one-time setup
// creates: the declared execution accounts.
func setupAccounts(tb testing.TB) []string {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		tb.Fatal(err)
	}
	return validate.CreatedServiceAccounts(string(data))
}

func parseCloudDeploy(tb testing.TB, path string) (*validate.CloudDeploy, error) {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return validate.ParseCloudDeploy(filepath.Base(path), data)
}

func repoCloudDeploy(tb testing.TB) *validate.CloudDeploy {
	tb.Helper()
	cd, err := parseCloudDeploy(tb, filepath.Join(repoRoot, "clouddeploy.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	return cd
}

func TestRepositoryCloudDeployPassesItsChecks(t *testing.T) {
	cd := repoCloudDeploy(t)
	if len(cd.Targets) < 2 {
		t.Fatalf("clouddeploy.yaml declares %d Targets, want staging and prod", len(cd.Targets))
	}
	if err := validate.CheckCloudDeploy(cd, skaffoldProfiles(t), setupAccounts(t)); err != nil {
		t.Error(err)
	}
}

func TestBrokenCloudDeployFailsItsChecks(t *testing.T) {
	tests := []invalidCase{
		{"unknown-field.yaml", `unknown field "requireApprovals"`},
		{"metadata-unknown-field.yaml", "metadata.namespace: unknown field"},
		{"stage-unknown-target.yaml", `stage 1: targetId "production" names no declared Target`},
		{"stage-unknown-profile.yaml", `stage 1 (prod): profile "production" is not a profile of skaffold.yaml`},
		{"undeclared-account.yaml", "serviceAccount deployer@PROJECT_ID.iam.gserviceaccount.com is not created by the README's one-time setup"},
		{"prod-without-approval.yaml", "target prod: the last stage (production) must set requireApproval: true"},
		{"target-without-account.yaml", "target prod: executionConfigs[0]: serviceAccount is required"},
	}
	paths, _ := filepath.Glob("testdata/clouddeploy/*.yaml")
	if len(paths) != len(tests) {
		t.Errorf("testdata/clouddeploy holds %d files, the table %d: give each an expected error", len(paths), len(tests))
	}
	profiles, accounts := skaffoldProfiles(t), setupAccounts(t)
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			cd, err := parseCloudDeploy(t, filepath.Join("testdata/clouddeploy", tt.file))
			if err == nil {
				err = validate.CheckCloudDeploy(cd, profiles, accounts)
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestCreatedServiceAccounts(t *testing.T) {
	text := "```sh\ngcloud iam service-accounts create deploy-staging\n" +
		"gcloud iam service-accounts create tasks-invoker --display-name=x\n" +
		"gcloud iam service-accounts create deploy-staging\n```"
	if got, want := validate.CreatedServiceAccounts(text), []string{"deploy-staging", "tasks-invoker"}; !slices.Equal(got, want) {
		t.Errorf("CreatedServiceAccounts() = %v, want %v", got, want)
	}
}

// manifestParameters returns, for every deploy parameter the manifests take
// a value from, the files that use it.
func manifestParameters(tb testing.TB) map[string][]string {
	tb.Helper()
	used := map[string][]string{}
	for _, file := range repoManifests(tb) {
		data, err := os.ReadFile(filepath.Join(repoRoot, file.path))
		if err != nil {
			tb.Fatal(err)
		}
		names, err := validate.DeployParameters(file.path, data)
		if err != nil {
			tb.Error(err)
		}
		for _, name := range names {
			used[name] = append(used[name], file.path)
		}
	}
	return used
}

func TestEveryDeployParameterHasAValueInEveryTarget(t *testing.T) {
	used := manifestParameters(t)
	if len(used) == 0 {
		t.Fatal("no manifest takes a value from a deploy parameter")
	}
	for _, target := range repoCloudDeploy(t).Targets {
		params := target.GetDeployParameters()
		for _, name := range slices.Sorted(maps.Keys(used)) {
			if _, ok := params[name]; !ok {
				t.Errorf("Target %s: no value for deploy parameter %s, used by %v", target.GetName(), name, used[name])
			}
		}
		for _, name := range slices.Sorted(maps.Keys(params)) {
			if used[name] == nil {
				t.Errorf("Target %s: deploy parameter %s is used by no manifest", target.GetName(), name)
			}
		}
	}
}

// TestManifestsPassValidationWithEachTargetsParameters validates what Cloud
// Deploy applies to each Target: the manifests with its parameters filled in.
func TestManifestsPassValidationWithEachTargetsParameters(t *testing.T) {
	for _, target := range repoCloudDeploy(t).Targets {
		t.Run(target.GetName(), func(t *testing.T) {
			for _, file := range repoManifests(t) {
				if !file.isManifest() {
					continue
				}
				data, err := os.ReadFile(filepath.Join(repoRoot, file.path))
				if err != nil {
					t.Fatal(err)
				}
				rendered, err := validate.ApplyDeployParameters(file.path, data, target.GetDeployParameters())
				if err != nil {
					t.Error(err)
					continue
				}
				docs, err := validate.Parse(file.path, rendered)
				if err != nil {
					t.Error(err)
					continue
				}
				for _, doc := range docs {
					if _, err := checker.Check(doc); err != nil {
						t.Error(err)
					}
				}
			}
		})
	}
}

func TestApplyDeployParameters(t *testing.T) {
	in := "a:\n  min-scale: \"0\" # from-param: ${min_scale}\n  hosts:\n    - buytickets.dev # from-param: ${host}\n  b: keep # a comment\n"
	got, err := validate.ApplyDeployParameters("in.yaml", []byte(in), map[string]string{"min_scale": "1", "host": "staging.buytickets.dev"})
	want := "a:\n  min-scale: \"1\"\n  hosts:\n    - \"staging.buytickets.dev\"\n  b: keep # a comment\n"
	if err != nil || string(got) != want {
		t.Errorf("ApplyDeployParameters() = %q, %v; want %q", got, err, want)
	}
	if _, err := validate.ApplyDeployParameters("in.yaml", []byte(in), map[string]string{"host": "x"}); err == nil || !strings.Contains(err.Error(), "in.yaml:2: deploy parameter min_scale has no value") {
		t.Errorf("ApplyDeployParameters() without min_scale = %v, want its refusal", err)
	}
	if _, err := validate.DeployParameters("in.yaml", []byte("a: b # from-param: $name\n")); err == nil {
		t.Error("DeployParameters accepted a placeholder without braces")
	}
}
