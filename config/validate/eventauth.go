package validate

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"path"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apiserver/pkg/authentication/serviceaccount"
	eventingduckv1 "knative.dev/eventing/pkg/apis/duck/v1"
	eventingv1 "knative.dev/eventing/pkg/apis/eventing/v1"
	eventingv1alpha1 "knative.dev/eventing/pkg/apis/eventing/v1alpha1"
	sourcesv1 "knative.dev/eventing/pkg/apis/sources/v1"
	"knative.dev/eventing/pkg/auth"
	duckv1 "knative.dev/pkg/apis/duck/v1"
	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
)

// The environment variables a function verifies its senders' tokens with
// (DESIGN.md §7): the issuer it trusts and its own audience.
const (
	envIssuer   = "EVENTS_ISSUER"
	envAudience = "EVENTS_AUDIENCE"
)

// namespaceNameLabel is the label Kubernetes sets on every namespace to
// its name, so a selector on it names namespaces exactly.
const namespaceNameLabel = "kubernetes.io/metadata.name"

// minTokenSeconds is the shortest expirationSeconds of a projected
// service-account token the API server accepts.
const minTokenSeconds = 600

// EventAuthPolicy is what CheckEventAuth holds the manifests of the event
// plane's authentication (Knative's authentication-oidc) to.
type EventAuthPolicy struct {
	// Namespace and Broker name the Broker the functions publish to.
	Namespace, Broker string
	// Producers maps each event type of the catalog to the one function
	// that emits it; Source returns the source of a function's events.
	Producers map[string]string
	Source    func(function string) string
	// PublisherToken is the file where each publisher finds its own
	// service account's token for the Broker's audience.
	PublisherToken string
	// Replayer is the function that replays dead letters to their
	// subscribers, with a token for each subscriber's audience in
	// ReplayTokens/<subscriber>/token.
	Replayer, ReplayTokens string
	// Operator is the ServiceAccount whose tokens list and replay dead
	// letters.
	Operator string
	// DataPlane lists the namespaces whose pods may connect to the
	// functions' pods.
	DataPlane []string
}

// CheckEventAuth checks, across docs, that the event plane authenticates
// every sender: each delivery to a function names an audience, the one the
// function verifies (EVENTS_AUDIENCE, with EVENTS_ISSUER); each function
// that emits events of the catalog is bound to the Broker, each function
// bound to it publishes with its own service account's token, and
// an EventPolicy lets that subject publish only its own source and event
// types, while no policy lets any other subject in; the replayer holds a
// token for each subscriber and no other; only the operator's tokens can
// be created through a Role; and a NetworkPolicy admits to every
// function's pods only the namespaces of the data plane. It returns every
// finding, joined.
func CheckEventAuth(docs []Document, p EventAuthPolicy) error {
	pl, err := newPlane(docs, p)
	if err != nil {
		return err
	}
	var errs []error
	errs = append(errs, pl.checkAudiences()...)
	errs = append(errs, pl.checkPublishers()...)
	errs = append(errs, pl.checkEventPolicies()...)
	errs = append(errs, pl.checkReplayer()...)
	errs = append(errs, pl.checkOperator()...)
	errs = append(errs, pl.checkNetworkPolicies()...)
	return errors.Join(errs...)
}

// decoded is an object of a manifest and the document it came from.
type decoded[T any] struct {
	obj *T
	doc Document
}

// plane is what CheckEventAuth reads from the documents of the policy's
// namespace.
type plane struct {
	policy          EventAuthPolicy
	services        map[string]decoded[servingv1.Service]
	serviceAccounts map[string]bool
	brokers         []decoded[eventingv1.Broker]
	triggers        []decoded[eventingv1.Trigger]
	pingSources     []decoded[sourcesv1.PingSource]
	sinkBindings    []decoded[sourcesv1.SinkBinding]
	eventPolicies   []decoded[eventingv1alpha1.EventPolicy]
	networkPolicies []decoded[networkingv1.NetworkPolicy]
	roles           []decoded[rbacv1.Role]
	roleBindings    []decoded[rbacv1.RoleBinding]
}

func newPlane(docs []Document, p EventAuthPolicy) (*plane, error) {
	pl := &plane{policy: p, services: map[string]decoded[servingv1.Service]{}, serviceAccounts: map[string]bool{}}
	for _, doc := range docs {
		if !doc.IsObject() || doc.Namespace != p.Namespace {
			continue
		}
		var err error
		switch doc.APIVersion + "/" + doc.Kind {
		case "v1/ServiceAccount":
			pl.serviceAccounts[doc.Name] = true
		case "serving.knative.dev/v1/Service":
			var s decoded[servingv1.Service]
			s, err = decode[servingv1.Service](doc)
			pl.services[doc.Name] = s
		case "eventing.knative.dev/v1/Broker":
			err = decodeInto(doc, &pl.brokers)
		case "eventing.knative.dev/v1/Trigger":
			err = decodeInto(doc, &pl.triggers)
		case "sources.knative.dev/v1/PingSource":
			err = decodeInto(doc, &pl.pingSources)
		case "sources.knative.dev/v1/SinkBinding":
			err = decodeInto(doc, &pl.sinkBindings)
		case "eventing.knative.dev/v1alpha1/EventPolicy":
			err = decodeInto(doc, &pl.eventPolicies)
		case "networking.k8s.io/v1/NetworkPolicy":
			err = decodeInto(doc, &pl.networkPolicies)
		case "rbac.authorization.k8s.io/v1/Role":
			err = decodeInto(doc, &pl.roles)
		case "rbac.authorization.k8s.io/v1/RoleBinding":
			err = decodeInto(doc, &pl.roleBindings)
		}
		if err != nil {
			return nil, err
		}
	}
	return pl, nil
}

func decode[T any](doc Document) (decoded[T], error) {
	obj := new(T)
	if err := json.Unmarshal(doc.JSON, obj); err != nil {
		return decoded[T]{}, fmt.Errorf("%s: decode: %w", doc, err)
	}
	return decoded[T]{obj, doc}, nil
}

func decodeInto[T any](doc Document, list *[]decoded[T]) error {
	d, err := decode[T](doc)
	*list = append(*list, d)
	return err
}

// subject is the subject of the tokens of the namespace's ServiceAccount
// name, as Kubernetes writes it.
func (pl *plane) subject(name string) string {
	return serviceaccount.MakeUsername(pl.policy.Namespace, name)
}

// brokerAudience is the audience of the tokens the Broker accepts, as
// Knative derives it.
func (pl *plane) brokerAudience() string {
	return auth.GetAudienceDirect(eventingv1.SchemeGroupVersion.WithKind("Broker"), pl.policy.Namespace, pl.policy.Broker)
}

// delivery is a destination that a Trigger, PingSource or Broker sends to.
type delivery struct {
	doc   Document
	field string
	dest  duckv1.Destination
	// subscriber is set for a Trigger's subscriber: a function the
	// replayer may replay to.
	subscriber bool
}

// function returns the Knative Service of the namespace that d names, if
// it names one.
func (pl *plane) function(d delivery) (string, bool) {
	ref := d.dest.Ref
	if ref == nil || ref.APIVersion != servingv1.SchemeGroupVersion.String() || ref.Kind != "Service" {
		return "", false
	}
	if ref.Namespace != "" && ref.Namespace != pl.policy.Namespace {
		return "", false
	}
	return ref.Name, true
}

// deliveries lists every destination of the namespace's Triggers,
// PingSources and Brokers.
func (pl *plane) deliveries() []delivery {
	var out []delivery
	deadLetter := func(doc Document, field string, spec *eventingduckv1.DeliverySpec) {
		if spec != nil && spec.DeadLetterSink != nil {
			out = append(out, delivery{doc: doc, field: field + ".delivery.deadLetterSink", dest: *spec.DeadLetterSink})
		}
	}
	for _, b := range pl.brokers {
		deadLetter(b.doc, "spec", b.obj.Spec.Delivery)
	}
	for _, t := range pl.triggers {
		out = append(out, delivery{doc: t.doc, field: "spec.subscriber", dest: t.obj.Spec.Subscriber, subscriber: true})
		deadLetter(t.doc, "spec", t.obj.Spec.Delivery)
	}
	for _, s := range pl.pingSources {
		out = append(out, delivery{doc: s.doc, field: "spec.sink", dest: s.obj.Spec.Sink})
	}
	return out
}

// env returns the literal value of the variable name of the Service's
// containers, and whether it is set at all.
func env(svc *servingv1.Service, name string) (value string, set bool) {
	for _, c := range svc.Spec.Template.Spec.Containers {
		for _, e := range c.Env {
			if e.Name == name {
				return e.Value, true
			}
		}
	}
	return "", false
}

// checkAudiences checks that every delivery to a function names the
// audience the function verifies, and that the function says which
// issuer and audience it verifies, all functions the same issuer.
func (pl *plane) checkAudiences() []error {
	var errs []error
	receivers := map[string]string{} // function → the first delivery to it
	for _, d := range pl.deliveries() {
		fn, ok := pl.function(d)
		if !ok {
			continue
		}
		svc, ok := pl.services[fn]
		if !ok {
			continue // TestEveryReferenceNamesAnObjectThatIsDeployed reports it
		}
		if _, seen := receivers[fn]; !seen {
			receivers[fn] = fmt.Sprintf("%s %s", d.doc, d.field)
		}
		if d.dest.Audience == nil || *d.dest.Audience == "" {
			errs = append(errs, fmt.Errorf("%s: %s names no audience: Knative would send to Service %s without a token, which it refuses", d.doc, d.field, fn))
			continue
		}
		if want, _ := env(svc.obj, envAudience); want != "" && *d.dest.Audience != want {
			errs = append(errs, fmt.Errorf("%s: %s.audience is %q, but Service %s verifies %s %q: it would refuse every token", d.doc, d.field, *d.dest.Audience, fn, envAudience, want))
		}
	}
	issuers := map[string][]string{}
	for _, fn := range slices.Sorted(maps.Keys(receivers)) {
		svc := pl.services[fn]
		for _, name := range []string{envIssuer, envAudience} {
			if v, _ := env(svc.obj, name); v == "" {
				errs = append(errs, fmt.Errorf("%s: %s sets no literal %s, but %s delivers to it: it could verify no sender's token", svc.doc, fn, name, receivers[fn]))
			}
		}
		issuer, _ := env(svc.obj, envIssuer)
		if issuer == "" {
			continue
		}
		if u, err := url.Parse(issuer); err != nil || u.Scheme != "https" || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s: %s %q is not an https URL: an OIDC issuer is", svc.doc, envIssuer, issuer))
		}
		issuers[issuer] = append(issuers[issuer], fn)
	}
	if len(issuers) > 1 {
		var each []string
		for _, issuer := range slices.Sorted(maps.Keys(issuers)) {
			each = append(each, fmt.Sprintf("%s by %s", issuer, strings.Join(issuers[issuer], ", ")))
		}
		errs = append(errs, fmt.Errorf("the functions verify tokens of %d issuers (%s), but the cluster has one", len(issuers), strings.Join(each, "; ")))
	}
	return errs
}

// publishers returns the functions a SinkBinding gives the Broker's
// address, by name, with the SinkBinding that binds each.
func (pl *plane) publishers() (map[string]Document, []error) {
	var errs []error
	bound := map[string]Document{}
	for _, sb := range pl.sinkBindings {
		sink := sb.obj.Spec.Sink.Ref
		if sink == nil || sink.Kind != "Broker" || sink.APIVersion != eventingv1.SchemeGroupVersion.String() || sink.Name != pl.policy.Broker {
			continue
		}
		subject := sb.obj.Spec.Subject
		if subject.APIVersion != servingv1.SchemeGroupVersion.String() || subject.Kind != "Service" {
			continue
		}
		var selector labels.Selector
		if subject.Selector != nil {
			s, err := metav1.LabelSelectorAsSelector(subject.Selector)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: spec.subject.selector: %w", sb.doc, err))
				continue
			}
			selector = s
		}
		for name, svc := range pl.services {
			if name == subject.Name || selector != nil && selector.Matches(labels.Set(svc.obj.Labels)) {
				bound[name] = sb.doc
			}
		}
	}
	return bound, errs
}

// produces returns the event types of the catalog that function emits.
func (pl *plane) produces(function string) []string {
	var types []string
	for typ, fn := range pl.policy.Producers {
		if fn == function {
			types = append(types, typ)
		}
	}
	slices.Sort(types)
	return types
}

// checkPublishers checks that every function that emits event types of
// the catalog is bound to the Broker, and that every function bound to it
// emits some, runs as its own ServiceAccount and holds that account's
// token for the Broker.
func (pl *plane) checkPublishers() []error {
	bound, errs := pl.publishers()
	for _, fn := range slices.Sorted(maps.Keys(pl.services)) {
		if _, ok := bound[fn]; !ok && len(pl.produces(fn)) > 0 {
			errs = append(errs, fmt.Errorf("%s: %s emits %v (eventing.ProducerOf), but no SinkBinding gives it the Broker's address: its outbox would have no K_SINK to send them to", pl.services[fn].doc, fn, pl.produces(fn)))
		}
	}
	for _, fn := range slices.Sorted(maps.Keys(bound)) {
		svc := pl.services[fn]
		if len(pl.produces(fn)) == 0 {
			errs = append(errs, fmt.Errorf("%s: %s gets the Broker's address from %s, but emits no event type of the catalog (eventing.ProducerOf)", svc.doc, fn, bound[fn]))
		}
		sa := svc.obj.Spec.Template.Spec.ServiceAccountName
		switch {
		case sa != fn:
			errs = append(errs, fmt.Errorf("%s: spec.template.spec.serviceAccountName is %q: a publisher runs as the ServiceAccount of its own name, the subject %s its EventPolicy and receivers expect", svc.doc, sa, pl.subject(fn)))
		case !pl.serviceAccounts[sa]:
			errs = append(errs, fmt.Errorf("%s: runs as ServiceAccount %s/%s, which no manifest in config/ declares", svc.doc, pl.policy.Namespace, sa))
		}
		tokens, tokenErrs := projectedTokens(svc)
		errs = append(errs, tokenErrs...)
		if got, ok := tokens[pl.policy.PublisherToken]; !ok || got.Audience != pl.brokerAudience() {
			errs = append(errs, fmt.Errorf("%s: no projected serviceAccountToken for audience %s at %s: %s could not publish as itself", svc.doc, pl.brokerAudience(), pl.policy.PublisherToken, fn))
		}
	}
	return errs
}

// policyTargets reports whether an EventPolicy applies to the Broker: it
// names it, or names nothing and so applies to the whole namespace.
func (pl *plane) policyTargets(ep decoded[eventingv1alpha1.EventPolicy]) (bool, error) {
	if len(ep.obj.Spec.To) == 0 {
		return true, nil
	}
	for i, to := range ep.obj.Spec.To {
		if to.Ref == nil {
			return false, fmt.Errorf("%s: spec.to[%d]: name the Broker by ref, so that what the policy covers can be checked", ep.doc, i)
		}
		if to.Ref.Kind == "Broker" && to.Ref.APIVersion == eventingv1.SchemeGroupVersion.String() && to.Ref.Name == pl.policy.Broker {
			return true, nil
		}
	}
	return false, nil
}

// checkEventPolicies checks that each EventPolicy lets in exactly one
// publisher, pinned to its own source and event types, and that each
// publisher bound to the Broker may publish every type it emits.
func (pl *plane) checkEventPolicies() []error {
	bound, _ := pl.publishers()
	var errs []error
	allowed := map[string][]string{} // publisher → the types the Broker takes from it
	for _, ep := range pl.eventPolicies {
		toBroker, err := pl.policyTargets(ep)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var fns []string
		for i, from := range ep.obj.Spec.From {
			fn, ok := "", false
			if from.Sub != nil {
				fn, ok = strings.CutPrefix(*from.Sub, pl.subject(""))
				_, isBound := bound[fn]
				ok = ok && isBound
			}
			if !ok {
				errs = append(errs, fmt.Errorf("%s: spec.from[%d] lets in %s, which is no publisher's service account: name each publisher by its subject, system:serviceaccount:%s:<function>", ep.doc, i, describeFrom(from), pl.policy.Namespace))
				continue
			}
			if !slices.Contains(fns, fn) {
				fns = append(fns, fn)
			}
		}
		if len(fns) > 1 {
			errs = append(errs, fmt.Errorf("%s: lets in %v: its filters apply to every subject it names, so each could publish as the others; give each publisher its own policy", ep.doc, fns))
		}
		for _, fn := range fns {
			types, err := pl.checkFilters(ep, fn)
			if len(fns) == 1 {
				errs = append(errs, err...)
			}
			if toBroker {
				allowed[fn] = append(allowed[fn], types...)
			}
		}
	}
	for _, fn := range slices.Sorted(maps.Keys(bound)) {
		refused := slices.DeleteFunc(pl.produces(fn), func(typ string) bool { return slices.Contains(allowed[fn], typ) })
		if len(refused) > 0 {
			errs = append(errs, fmt.Errorf("no EventPolicy lets %s (%s) publish %v to Broker %s/%s: the Broker would refuse them", fn, pl.subject(fn), refused, pl.policy.Namespace, pl.policy.Broker))
		}
	}
	return errs
}

// checkFilters checks that the filters of ep pin the source of fn and
// event types fn emits, and returns the types they let through.
func (pl *plane) checkFilters(ep decoded[eventingv1alpha1.EventPolicy], fn string) ([]string, []error) {
	var errs []error
	if sources, pinned := pinnedValues(ep.obj.Spec.Filters, "source"); !pinned || !slices.Equal(sources, []string{pl.policy.Source(fn)}) {
		errs = append(errs, fmt.Errorf("%s: spec.filters do not pin source to %s: a token of %s could publish events of another function's source", ep.doc, pl.policy.Source(fn), fn))
	}
	types, pinned := pinnedValues(ep.obj.Spec.Filters, "type")
	if !pinned {
		errs = append(errs, fmt.Errorf("%s: spec.filters do not pin type: a token of %s could publish any type, another function's included", ep.doc, fn))
		return pl.produces(fn), errs
	}
	for _, typ := range types {
		if producer := pl.policy.Producers[typ]; producer != fn {
			errs = append(errs, fmt.Errorf("%s: spec.filters let %s publish %s, which %s emits (eventing.ProducerOf)", ep.doc, fn, typ, cmp.Or(producer, "no function")))
		}
	}
	return types, errs
}

func describeFrom(from eventingv1alpha1.EventPolicySpecFrom) string {
	switch {
	case from.Sub != nil:
		return fmt.Sprintf("subject %q", *from.Sub)
	case from.Ref != nil:
		return fmt.Sprintf("the identity of %s %s", from.Ref.Kind, from.Ref.Name)
	}
	return "nobody"
}

// pinnedValues returns the values an event's attribute must have to pass
// every one of filters (Knative ANDs them), and false when the filters
// let some events through whatever the attribute holds.
func pinnedValues(filters []eventingv1.SubscriptionsAPIFilter, attribute string) ([]string, bool) {
	var values []string
	pinned := false
	for _, f := range filters {
		v, ok := pinnedByFilter(f, attribute)
		if !ok {
			continue
		}
		if !pinned {
			values, pinned = v, true
			continue
		}
		values = slices.DeleteFunc(values, func(s string) bool { return !slices.Contains(v, s) })
	}
	return values, pinned
}

// pinnedByFilter is pinnedValues for one filter: its exact match, its
// all (ANDed) and its any (ORed, pinning only when every branch pins).
// Prefix, suffix, not and CESQL filters pin nothing.
func pinnedByFilter(f eventingv1.SubscriptionsAPIFilter, attribute string) ([]string, bool) {
	var parts [][]string
	if v, ok := f.Exact[attribute]; ok {
		parts = append(parts, []string{v})
	}
	if v, ok := pinnedValues(f.All, attribute); ok {
		parts = append(parts, v)
	}
	if len(f.Any) > 0 {
		var union []string
		every := true
		for _, branch := range f.Any {
			v, ok := pinnedByFilter(branch, attribute)
			every = every && ok
			union = append(union, v...)
		}
		if every {
			slices.Sort(union)
			parts = append(parts, slices.Compact(union))
		}
	}
	if len(parts) == 0 {
		return nil, false
	}
	values := parts[0]
	for _, p := range parts[1:] {
		values = slices.DeleteFunc(values, func(s string) bool { return !slices.Contains(p, s) })
	}
	return values, true
}

// tokenProjection is a projected service-account token as a container
// sees it.
type tokenProjection struct {
	Audience          string
	ExpirationSeconds int64
}

// projectedTokens returns the service-account tokens the kubelet projects
// into the Service's containers, by file path, and refuses a lifetime the
// API server would.
func projectedTokens(svc decoded[servingv1.Service]) (map[string]tokenProjection, []error) {
	spec := svc.obj.Spec.Template.Spec
	volumes := map[string]corev1.Volume{}
	for _, v := range spec.Volumes {
		volumes[v.Name] = v
	}
	var errs []error
	tokens := map[string]tokenProjection{}
	for _, c := range spec.Containers {
		for _, m := range c.VolumeMounts {
			v := volumes[m.Name]
			if v.Projected == nil || m.SubPath != "" {
				continue
			}
			for _, src := range v.Projected.Sources {
				sat := src.ServiceAccountToken
				if sat == nil {
					continue
				}
				t := tokenProjection{Audience: sat.Audience, ExpirationSeconds: 3600}
				if sat.ExpirationSeconds != nil {
					t.ExpirationSeconds = *sat.ExpirationSeconds
				}
				if t.ExpirationSeconds < minTokenSeconds {
					errs = append(errs, fmt.Errorf("%s: volume %s: serviceAccountToken.expirationSeconds %d: the API server accepts no less than %d", svc.doc, v.Name, t.ExpirationSeconds, minTokenSeconds))
				}
				tokens[path.Join(m.MountPath, sat.Path)] = t
			}
		}
	}
	return tokens, errs
}

// checkReplayer checks that the replayer holds a token for the audience
// of each function a Trigger delivers to, where it looks for it, and
// none for any other audience.
func (pl *plane) checkReplayer() []error {
	svc, ok := pl.services[pl.policy.Replayer]
	if !ok {
		return []error{fmt.Errorf("no Knative Service %s/%s replays dead letters", pl.policy.Namespace, pl.policy.Replayer)}
	}
	tokens, errs := projectedTokens(svc)
	want := map[string]string{} // token file → audience
	for _, d := range pl.deliveries() {
		fn, ok := pl.function(d)
		if !ok || !d.subscriber || d.dest.Audience == nil {
			continue
		}
		want[path.Join(pl.policy.ReplayTokens, fn, "token")] = *d.dest.Audience
	}
	for _, file := range slices.Sorted(maps.Keys(want)) {
		if got, ok := tokens[file]; !ok || got.Audience != want[file] {
			errs = append(errs, fmt.Errorf("%s: no projected serviceAccountToken for audience %s at %s: a replay to that subscriber would carry no token it accepts", svc.doc, want[file], file))
		}
	}
	for _, file := range slices.Sorted(maps.Keys(tokens)) {
		if !slices.Contains(slices.Collect(maps.Values(want)), tokens[file].Audience) {
			errs = append(errs, fmt.Errorf("%s: projects a token for audience %q at %s, which no Trigger's subscriber verifies: the replayer holds tokens for subscribers only", svc.doc, tokens[file].Audience, file))
		}
	}
	return errs
}

// grantsTokens reports whether rule lets its holders create tokens of
// service accounts.
func grantsTokens(rule rbacv1.PolicyRule) bool {
	has := func(list []string, values ...string) bool {
		return slices.ContainsFunc(list, func(s string) bool { return slices.Contains(values, s) })
	}
	return has(rule.APIGroups, "", "*") &&
		has(rule.Resources, "serviceaccounts/token", "serviceaccounts/*", "*") &&
		has(rule.Verbs, "create", "*")
}

// checkOperator checks that the operator's ServiceAccount exists, that a
// bound Role lets someone create its tokens, and that no Role lets anyone
// create the tokens of another account: a function's token would let its
// holder publish or deliver as that function.
func (pl *plane) checkOperator() []error {
	var errs []error
	if !pl.serviceAccounts[pl.policy.Operator] {
		errs = append(errs, fmt.Errorf("no ServiceAccount %s/%s: an operator could obtain no token to list and replay dead letters", pl.policy.Namespace, pl.policy.Operator))
	}
	operatorRoles := map[string]bool{}
	for _, r := range pl.roles {
		for i, rule := range r.obj.Rules {
			if !grantsTokens(rule) {
				continue
			}
			if len(rule.ResourceNames) == 0 {
				errs = append(errs, fmt.Errorf("%s: rules[%d] lets its holders create tokens of every service account, the functions' included: name only %s in resourceNames", r.doc, i, pl.policy.Operator))
			}
			for _, name := range rule.ResourceNames {
				if name != pl.policy.Operator {
					errs = append(errs, fmt.Errorf("%s: rules[%d] lets its holders create tokens of service account %s: only the operator's may be", r.doc, i, name))
				}
			}
			if len(rule.ResourceNames) == 0 || slices.Contains(rule.ResourceNames, pl.policy.Operator) {
				operatorRoles[r.doc.Name] = true
			}
		}
	}
	bound := slices.ContainsFunc(pl.roleBindings, func(rb decoded[rbacv1.RoleBinding]) bool {
		return rb.obj.RoleRef.Kind == "Role" && operatorRoles[rb.obj.RoleRef.Name] && len(rb.obj.Subjects) > 0
	})
	if !bound {
		errs = append(errs, fmt.Errorf("no RoleBinding gives anyone a Role that creates tokens of %s/%s: no operator could list or replay dead letters", pl.policy.Namespace, pl.policy.Operator))
	}
	return errs
}

// podLabels are the labels of the pods of a Knative Service: its
// template's and those Knative adds to every revision's pods.
func podLabels(name string, svc *servingv1.Service) labels.Set {
	set := labels.Set{}
	maps.Copy(set, svc.Spec.Template.Labels)
	set["serving.knative.dev/service"] = name
	set["serving.knative.dev/configuration"] = name
	return set
}

// networkPolicy is what a NetworkPolicy admits to the pods it selects.
type networkPolicy struct {
	decoded[networkingv1.NetworkPolicy]
	selector labels.Selector
	// admitted are the namespaces its rules admit; errs, what they admit
	// beyond named namespaces.
	admitted []string
	errs     []error
}

// checkNetworkPolicies checks that NetworkPolicies limit ingress to every
// function's pods and admit, all of them together, exactly the
// namespaces of the data plane.
func (pl *plane) checkNetworkPolicies() []error {
	var errs []error
	var policies []*networkPolicy
	for _, np := range pl.networkPolicies {
		ingress := len(np.obj.Spec.PolicyTypes) == 0 || slices.Contains(np.obj.Spec.PolicyTypes, networkingv1.PolicyTypeIngress)
		if !ingress {
			continue
		}
		selector, err := metav1.LabelSelectorAsSelector(&np.obj.Spec.PodSelector)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: spec.podSelector: %w", np.doc, err))
			continue
		}
		view := &networkPolicy{decoded: np, selector: selector}
		for i, rule := range np.obj.Spec.Ingress {
			namespaces, err := pl.admittedNamespaces(rule)
			if err != nil {
				view.errs = append(view.errs, fmt.Errorf("%s: spec.ingress[%d] %w", np.doc, i, err))
			}
			view.admitted = append(view.admitted, namespaces...)
		}
		policies = append(policies, view)
	}

	var open []string
	extra := map[string][]string{}   // namespace → the functions it is admitted to
	missing := map[string][]string{} // namespace → the functions it is not admitted to
	used := map[*networkPolicy]bool{}
	for _, fn := range slices.Sorted(maps.Keys(pl.services)) {
		pods := podLabels(fn, pl.services[fn].obj)
		admitted := map[string]bool{}
		selected, broken := false, false
		for _, np := range policies {
			if !np.selector.Matches(pods) {
				continue
			}
			selected, used[np] = true, true
			broken = broken || len(np.errs) > 0
			for _, ns := range np.admitted {
				admitted[ns] = true
			}
		}
		if !selected {
			open = append(open, key(pl.policy.Namespace, fn))
			continue
		}
		for _, ns := range slices.Sorted(maps.Keys(admitted)) {
			if !slices.Contains(pl.policy.DataPlane, ns) {
				extra[ns] = append(extra[ns], key(pl.policy.Namespace, fn))
			}
		}
		for _, ns := range pl.policy.DataPlane {
			// A broken rule is reported once, below, not as what it fails to admit.
			if !admitted[ns] && !broken {
				missing[ns] = append(missing[ns], key(pl.policy.Namespace, fn))
			}
		}
	}
	for _, np := range policies {
		if used[np] {
			errs = append(errs, np.errs...)
		}
	}
	if len(open) > 0 {
		errs = append(errs, fmt.Errorf("no NetworkPolicy limits ingress to the pods of Services %s: every pod of the cluster could connect to them", strings.Join(open, ", ")))
	}
	for _, ns := range slices.Sorted(maps.Keys(extra)) {
		errs = append(errs, fmt.Errorf("a NetworkPolicy admits namespace %s to the pods of Services %s: only Knative's data plane (%s) may connect", ns, strings.Join(extra[ns], ", "), strings.Join(pl.policy.DataPlane, ", ")))
	}
	for _, ns := range slices.Sorted(maps.Keys(missing)) {
		errs = append(errs, fmt.Errorf("no NetworkPolicy admits namespace %s to the pods of Services %s: Knative could not reach them", ns, strings.Join(missing[ns], ", ")))
	}
	return errs
}

// admittedNamespaces returns the namespaces whose pods rule admits, and an
// error when it admits more than named namespaces: every source, an
// address block, or namespaces by other labels than their name.
func (pl *plane) admittedNamespaces(rule networkingv1.NetworkPolicyIngressRule) ([]string, error) {
	if len(rule.From) == 0 {
		return nil, errors.New("has no from: it admits every source")
	}
	var out []string
	for j, peer := range rule.From {
		switch {
		case peer.IPBlock != nil:
			return nil, fmt.Errorf("from[%d] admits the address block %s: name namespaces instead", j, peer.IPBlock.CIDR)
		case peer.NamespaceSelector == nil:
			// A podSelector alone admits pods of the policy's namespace.
			return nil, fmt.Errorf("from[%d] admits pods of namespace %s: only Knative's data plane may connect", j, pl.policy.Namespace)
		}
		selector, err := metav1.LabelSelectorAsSelector(peer.NamespaceSelector)
		if err != nil {
			return nil, fmt.Errorf("from[%d].namespaceSelector: %w", j, err)
		}
		names, ok := namesSelected(selector)
		if !ok {
			return nil, fmt.Errorf("from[%d].namespaceSelector admits namespaces by their labels: select them by %s", j, namespaceNameLabel)
		}
		out = append(out, names...)
	}
	return out, nil
}

// namesSelected returns the namespace names a namespace selector is
// limited to by the label namespaceNameLabel, and false when it is not
// limited by it.
func namesSelected(selector labels.Selector) ([]string, bool) {
	reqs, _ := selector.Requirements()
	var names []string
	limited := false
	for _, r := range reqs {
		if r.Key() != namespaceNameLabel {
			continue
		}
		switch r.Operator() {
		case selection.In, selection.Equals, selection.DoubleEquals:
		default:
			continue
		}
		values := slices.Sorted(maps.Keys(r.Values()))
		if limited {
			values = slices.DeleteFunc(values, func(s string) bool { return !slices.Contains(names, s) })
		}
		names, limited = values, true
	}
	return names, limited
}
