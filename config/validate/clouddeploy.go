package validate

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"cloud.google.com/go/deploy/apiv1/deploypb"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// CloudDeployAPIVersion is the apiVersion of Cloud Deploy's YAML resources.
const CloudDeployAPIVersion = "deploy.cloud.google.com/v1"

// CloudDeploy is a clouddeploy.yaml decoded into Cloud Deploy's API types.
type CloudDeploy struct {
	Pipelines []*deploypb.DeliveryPipeline
	Targets   []*deploypb.Target
}

// ParseCloudDeploy decodes every document of a Cloud Deploy configuration
// strictly: an unknown field, at the top level, in metadata or anywhere in
// the resource, fails. Cloud Deploy's YAML puts apiVersion, kind and
// metadata (name, annotations, labels) at the top level beside the
// resource's own fields; metadata is moved into those fields of the proto
// message before protojson decodes the rest.
func ParseCloudDeploy(path string, data []byte) (*CloudDeploy, error) {
	docs, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	cd := &CloudDeploy{}
	for _, doc := range docs {
		var msg proto.Message
		switch {
		case doc.APIVersion != CloudDeployAPIVersion:
			return nil, fmt.Errorf("%s: apiVersion %q, want %q", doc, doc.APIVersion, CloudDeployAPIVersion)
		case doc.Kind == "DeliveryPipeline":
			p := &deploypb.DeliveryPipeline{}
			cd.Pipelines, msg = append(cd.Pipelines, p), p
		case doc.Kind == "Target":
			t := &deploypb.Target{}
			cd.Targets, msg = append(cd.Targets, t), t
		default:
			return nil, fmt.Errorf("%s: unknown kind %q: want DeliveryPipeline or Target", doc, doc.Kind)
		}
		if err := decodeCloudDeploy(doc.JSON, msg); err != nil {
			return nil, fmt.Errorf("%s: decode: %w", doc, err)
		}
	}
	return cd, nil
}

// decodeCloudDeploy moves metadata's fields to the top level and decodes
// the result into msg, refusing unknown fields.
func decodeCloudDeploy(js []byte, msg proto.Message) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(js, &fields); err != nil {
		return err
	}
	var meta map[string]json.RawMessage
	if raw, ok := fields["metadata"]; ok {
		if err := json.Unmarshal(raw, &meta); err != nil {
			return fmt.Errorf("metadata: %w", err)
		}
	}
	delete(fields, "apiVersion")
	delete(fields, "kind")
	delete(fields, "metadata")
	for _, key := range slices.Sorted(maps.Keys(meta)) {
		switch key {
		case "name", "annotations", "labels":
			if _, ok := fields[key]; ok {
				return fmt.Errorf("%s: set in metadata and at the top level", key)
			}
			fields[key] = meta[key]
		default:
			return fmt.Errorf("metadata.%s: unknown field (metadata holds name, annotations and labels)", key)
		}
	}
	if _, ok := fields["name"]; !ok {
		return errors.New("metadata.name: required")
	}
	flat, err := json.Marshal(fields)
	if err != nil {
		return err
	}
	return protojson.UnmarshalOptions{DiscardUnknown: false}.Unmarshal(flat, msg)
}

// executionAccount matches a Google service account's email and captures
// its account id.
var executionAccount = regexp.MustCompile(`^([a-z][a-z0-9-]{4,28}[a-z0-9])@[A-Za-z0-9_-]+\.iam\.gserviceaccount\.com$`)

// CheckCloudDeploy checks that the pipeline can run: there is one
// DeliveryPipeline with stages; every stage's targetId names a declared
// Target and every profile it names is one of profiles (skaffold.yaml's);
// every Target is used, runs on GKE and names an execution service account
// for each of its usages whose account id is one of accounts (those the
// one-time setup creates); and the last stage, production, requires
// approval.
func CheckCloudDeploy(cd *CloudDeploy, profiles, accounts []string) error {
	var errs []error
	if len(cd.Pipelines) != 1 {
		return fmt.Errorf("%d DeliveryPipelines declared, want 1", len(cd.Pipelines))
	}
	pipeline := cd.Pipelines[0]
	stages := pipeline.GetSerialPipeline().GetStages()
	if len(stages) == 0 {
		return fmt.Errorf("DeliveryPipeline %s: serialPipeline has no stages", pipeline.GetName())
	}

	targets := map[string]*deploypb.Target{}
	for _, t := range cd.Targets {
		if targets[t.GetName()] != nil {
			errs = append(errs, fmt.Errorf("target %s: declared twice", t.GetName()))
		}
		targets[t.GetName()] = t
	}
	used := map[string]bool{}
	for i, stage := range stages {
		id := stage.GetTargetId()
		if targets[id] == nil {
			errs = append(errs, fmt.Errorf("stage %d: targetId %q names no declared Target", i, id))
		}
		if used[id] {
			errs = append(errs, fmt.Errorf("stage %d: targetId %q is already an earlier stage's", i, id))
		}
		used[id] = true
		for _, p := range stage.GetProfiles() {
			if !slices.Contains(profiles, p) {
				errs = append(errs, fmt.Errorf("stage %d (%s): profile %q is not a profile of skaffold.yaml", i, id, p))
			}
		}
	}
	for _, t := range cd.Targets {
		if !used[t.GetName()] {
			errs = append(errs, fmt.Errorf("target %s: no stage deploys to it", t.GetName()))
		}
		errs = append(errs, checkDeployTarget(t, accounts)...)
	}

	last := stages[len(stages)-1].GetTargetId()
	if t := targets[last]; t != nil && !t.GetRequireApproval() {
		errs = append(errs, fmt.Errorf("target %s: the last stage (production) must set requireApproval: true", last))
	}
	return errors.Join(errs...)
}

// checkDeployTarget checks that t runs on a GKE cluster and names, for every
// usage, an execution service account that accounts declares.
func checkDeployTarget(t *deploypb.Target, accounts []string) []error {
	var errs []error
	name := t.GetName()
	if c := t.GetGke().GetCluster(); !regexp.MustCompile(`^projects/[^/]+/locations/[^/]+/clusters/[^/]+$`).MatchString(c) {
		errs = append(errs, fmt.Errorf("target %s: gke.cluster %q, want projects/P/locations/L/clusters/C", name, c))
	}
	if len(t.GetExecutionConfigs()) == 0 {
		errs = append(errs, fmt.Errorf("target %s: no executionConfigs: name an execution service account", name))
	}
	for i, ec := range t.GetExecutionConfigs() {
		sa := ec.GetServiceAccount()
		m := executionAccount.FindStringSubmatch(sa)
		switch {
		case sa == "":
			errs = append(errs, fmt.Errorf("target %s: executionConfigs[%d]: serviceAccount is required (the default compute account is too broad)", name, i))
		case m == nil:
			errs = append(errs, fmt.Errorf("target %s: executionConfigs[%d]: serviceAccount %q is not a service account's email", name, i, sa))
		case !slices.Contains(accounts, m[1]):
			errs = append(errs, fmt.Errorf("target %s: executionConfigs[%d]: serviceAccount %s is not created by the README's one-time setup (gcloud iam service-accounts create %s)", name, i, sa, m[1]))
		}
		if len(ec.GetUsages()) == 0 {
			errs = append(errs, fmt.Errorf("target %s: executionConfigs[%d]: usages is empty", name, i))
		}
	}
	return errs
}

// createdAccount matches the README's commands that create a service account.
var createdAccount = regexp.MustCompile(`gcloud iam service-accounts create ([a-z][a-z0-9-]+)`)

// CreatedServiceAccounts returns the account ids that the gcloud commands
// in text (the README) create, in order: the declared service accounts.
func CreatedServiceAccounts(text string) []string {
	var ids []string
	for _, m := range createdAccount.FindAllStringSubmatch(text, -1) {
		if !slices.Contains(ids, m[1]) {
			ids = append(ids, m[1])
		}
	}
	return ids
}

// fromParam matches a manifest line whose value Cloud Deploy replaces with
// a deploy parameter: the value, then "# from-param: ${name}".
var fromParam = regexp.MustCompile(`^(\s*(?:-\s+|[^\s#][^#]*?:\s+))(\S[^#]*?)\s+# from-param: \$\{([A-Za-z0-9_]+)\}\s*$`)

// DeployParameters returns the names of the deploy parameters that data's
// lines take their values from, sorted and without repeats. A line that
// mentions from-param in another form is an error, as Cloud Deploy would
// leave its value as written.
func DeployParameters(path string, data []byte) ([]string, error) {
	var names []string
	var errs []error
	for i, line := range strings.Split(string(data), "\n") {
		// Whole-line comments may speak of placeholders; Cloud Deploy
		// reads only a value's trailing comment.
		if !strings.Contains(line, "from-param") || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		m := fromParam.FindStringSubmatch(line)
		if m == nil {
			errs = append(errs, fmt.Errorf("%s:%d: from-param placeholder not of the form `key: value # from-param: ${name}`", path, i+1))
			continue
		}
		names = append(names, m[3])
	}
	slices.Sort(names)
	return slices.Compact(names), errors.Join(errs...)
}

// ApplyDeployParameters returns data with the value of every from-param line
// replaced by its parameter's value from params, as Cloud Deploy does after
// rendering; the value is written as a YAML string. A parameter that params
// lacks is an error.
func ApplyDeployParameters(path string, data []byte, params map[string]string) ([]byte, error) {
	lines := strings.Split(string(data), "\n")
	var errs []error
	for i, line := range lines {
		m := fromParam.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		value, ok := params[m[3]]
		if !ok {
			errs = append(errs, fmt.Errorf("%s:%d: deploy parameter %s has no value", path, i+1, m[3]))
			continue
		}
		quoted, _ := json.Marshal(value)
		lines[i] = m[1] + string(quoted)
	}
	return []byte(strings.Join(lines, "\n")), errors.Join(errs...)
}
