package validate

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	servingv1 "knative.dev/serving/pkg/apis/serving/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayv1beta1 "sigs.k8s.io/gateway-api/apis/v1beta1"
)

// Endpoint is a request the public ingress must route, and the Knative
// Service, in the route's namespace, that must receive it.
type Endpoint struct {
	Method, Path, Service string
}

func (e Endpoint) String() string { return e.Method + " " + e.Path }

// ServiceRef names a port of a Kubernetes Service.
type ServiceRef struct {
	Namespace, Name string
	Port            int32
}

func (s ServiceRef) String() string { return fmt.Sprintf("%s/%s:%d", s.Namespace, s.Name, s.Port) }

// IngressPolicy is what CheckIngress holds the Gateway API manifests to.
type IngressPolicy struct {
	// Public lists the requests the HTTPS listeners must route, each to
	// its Service.
	Public []Endpoint
	// Internal lists path prefixes no route may send to a Service that
	// eventing delivers to: event receivers, sweeps, operator endpoints.
	// CheckIngress adds every path a Trigger, source or dead-letter sink
	// delivers to.
	Internal []string
	// LocalGateway is the cluster-local Service of Knative's networking
	// layer, the only backend a route may name: a cluster-local Knative
	// Service is reachable through it alone, by its cluster-local host.
	LocalGateway ServiceRef
}

// defaultLBTimeoutSec is how long GKE's load balancer waits for a backend
// without a GCPBackendPolicy; defaultKnativeTimeoutSec is Knative's
// revision timeout when a Service sets no timeoutSeconds.
const (
	defaultLBTimeoutSec      = 30
	defaultKnativeTimeoutSec = 300
)

// CheckIngress checks, across docs, what no single manifest shows: every
// HTTPRoute attaches to a declared Gateway's listener, and on a plain-HTTP
// listener only redirects to HTTPS; every forwarding rule reaches a declared
// Knative Service through the local gateway by a URLRewrite of its host,
// with a ReferenceGrant where the backend is in another namespace; every
// public endpoint reaches its Service, with the Gateway API's precedence;
// no route sends an internal path to a Service that eventing delivers to;
// and the GKE policies of each backend exist, target a routed backend and
// let the load balancer wait as long as the slowest Service it reaches.
// It returns every finding, joined.
func CheckIngress(docs []Document, p IngressPolicy) error {
	in, err := newIngress(docs, p)
	if err != nil {
		return err
	}
	var errs []error
	for _, r := range in.routes {
		errs = append(errs, in.checkParents(r)...)
		for i := range r.Spec.Rules {
			if _, err := in.ruleTarget(r, i); err != nil {
				errs = append(errs, err)
			}
		}
		errs = append(errs, in.checkInternal(r)...)
	}
	errs = append(errs, in.checkPublic()...)
	errs = append(errs, in.checkPolicies()...)
	return errors.Join(errs...)
}

// route is an HTTPRoute and the document it came from.
type route struct {
	*gatewayv1.HTTPRoute
	doc Document
}

// gkePolicy is a HealthCheckPolicy or GCPBackendPolicy.
type gkePolicy struct {
	doc        Document
	target     gkePolicyTarget
	timeoutSec *int64
}

type ingress struct {
	policy    IngressPolicy
	gateways  map[string]*gatewayv1.Gateway
	routes    []route
	grants    []*gatewayv1beta1.ReferenceGrant
	kservices map[string]*servingv1.Service
	// delivered maps each Knative Service that eventing delivers to to
	// the paths it delivers to.
	delivered      map[string][]string
	healthChecks   []gkePolicy
	backendConfigs []gkePolicy
}

func newIngress(docs []Document, p IngressPolicy) (*ingress, error) {
	in := &ingress{
		policy:    p,
		gateways:  map[string]*gatewayv1.Gateway{},
		kservices: map[string]*servingv1.Service{},
		delivered: map[string][]string{},
	}
	for _, doc := range docs {
		if !doc.IsObject() {
			continue
		}
		var err error
		switch doc.APIVersion + "/" + doc.Kind {
		case "gateway.networking.k8s.io/v1/Gateway":
			g := new(gatewayv1.Gateway)
			err = json.Unmarshal(doc.JSON, g)
			in.gateways[key(g.Namespace, g.Name)] = g
		case "gateway.networking.k8s.io/v1/HTTPRoute":
			r := route{new(gatewayv1.HTTPRoute), doc}
			err = json.Unmarshal(doc.JSON, r.HTTPRoute)
			in.routes = append(in.routes, r)
		case "gateway.networking.k8s.io/v1beta1/ReferenceGrant":
			g := new(gatewayv1beta1.ReferenceGrant)
			err = json.Unmarshal(doc.JSON, g)
			in.grants = append(in.grants, g)
		case "serving.knative.dev/v1/Service":
			s := new(servingv1.Service)
			err = json.Unmarshal(doc.JSON, s)
			in.kservices[key(s.Namespace, s.Name)] = s
		case "networking.gke.io/v1/HealthCheckPolicy":
			var hc healthCheckPolicy
			err = json.Unmarshal(doc.JSON, &hc)
			in.healthChecks = append(in.healthChecks, gkePolicy{doc: doc, target: hc.Spec.TargetRef})
		case "networking.gke.io/v1/GCPBackendPolicy":
			var bp gcpBackendPolicy
			err = json.Unmarshal(doc.JSON, &bp)
			pol := gkePolicy{doc: doc, target: bp.Spec.TargetRef}
			if bp.Spec.Default != nil {
				pol.timeoutSec = bp.Spec.Default.TimeoutSec
			}
			in.backendConfigs = append(in.backendConfigs, pol)
		default:
			var body map[string]any
			err = json.Unmarshal(doc.JSON, &body)
			in.addDeliveries(doc.Namespace, body["spec"])
		}
		if err != nil {
			return nil, fmt.Errorf("%s: decode: %w", doc, err)
		}
	}
	// The Gateway ranks equal matches by route age, then by namespace and
	// name; manifests have no age, so routes are taken in name order.
	slices.SortStableFunc(in.routes, func(a, b route) int {
		return cmp.Compare(key(a.Namespace, a.Name), key(b.Namespace, b.Name))
	})
	return in, nil
}

func key(namespace, name string) string { return namespace + "/" + name }

// addDeliveries records every destination below v (a subscriber, sink or
// dead-letter sink) that names a Knative Service: eventing POSTs to its
// uri, or to its root without one.
func (in *ingress) addDeliveries(namespace string, v any) {
	switch x := v.(type) {
	case map[string]any:
		if ref, ok := x["ref"].(map[string]any); ok && ref["apiVersion"] == "serving.knative.dev/v1" && ref["kind"] == "Service" {
			ns, _ := ref["namespace"].(string)
			if ns == "" {
				ns = namespace
			}
			name, _ := ref["name"].(string)
			path := "/"
			if uri, _ := x["uri"].(string); uri != "" {
				if u, err := url.Parse(uri); err == nil && u.Path != "" {
					path = u.Path
				}
			}
			k := key(ns, name)
			if !slices.Contains(in.delivered[k], path) {
				in.delivered[k] = append(in.delivered[k], path)
			}
		}
		for _, e := range x {
			in.addDeliveries(namespace, e)
		}
	case []any:
		for _, e := range x {
			in.addDeliveries(namespace, e)
		}
	}
}

// orDefault returns what p points to, or def when p is nil: the group, kind
// or namespace of a reference, which the Gateway API defaults when omitted.
func orDefault[T ~string](p *T, def string) string {
	if p == nil {
		return def
	}
	return string(*p)
}

// listeners returns the listeners of a declared Gateway that ref attaches r
// to, or an error when ref names no declared Gateway or listener.
func (in *ingress) listeners(r route, ref gatewayv1.ParentReference) ([]gatewayv1.Listener, error) {
	group, kind, ns := orDefault(ref.Group, gatewayv1.GroupName), orDefault(ref.Kind, "Gateway"), orDefault(ref.Namespace, r.Namespace)
	if group != gatewayv1.GroupName || kind != "Gateway" {
		return nil, fmt.Errorf("%s: parentRef %s/%s %s: only Gateways are declared", r.doc, group, kind, ref.Name)
	}
	g := in.gateways[key(ns, string(ref.Name))]
	if g == nil {
		return nil, fmt.Errorf("%s: parentRef names Gateway %s/%s, which no manifest in config/ declares", r.doc, ns, ref.Name)
	}
	if ref.SectionName == nil {
		return g.Spec.Listeners, nil
	}
	for _, l := range g.Spec.Listeners {
		if l.Name == *ref.SectionName {
			return []gatewayv1.Listener{l}, nil
		}
	}
	return nil, fmt.Errorf("%s: parentRef names listener %q, which Gateway %s/%s does not have", r.doc, *ref.SectionName, ns, ref.Name)
}

// checkParents checks that r attaches to declared listeners whose host it
// serves, and that on a plain-HTTP listener it only redirects to HTTPS.
func (in *ingress) checkParents(r route) []error {
	if len(r.Spec.ParentRefs) == 0 {
		return []error{fmt.Errorf("%s: no parentRefs: the route attaches to no Gateway", r.doc)}
	}
	var errs []error
	for _, ref := range r.Spec.ParentRefs {
		ls, err := in.listeners(r, ref)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, l := range ls {
			if !servesHost(l, r.Spec.Hostnames) {
				errs = append(errs, fmt.Errorf("%s: hostnames %v: none is served by listener %s (%v)", r.doc, r.Spec.Hostnames, l.Name, deref(l.Hostname)))
			}
			if l.Protocol != gatewayv1.HTTPProtocolType {
				continue
			}
			for i, rule := range r.Spec.Rules {
				if !redirectsToHTTPS(rule) {
					errs = append(errs, fmt.Errorf("%s: rule %d is served on the plain-HTTP listener %s, where a rule must only redirect to https: set the parentRef's sectionName", r.doc, i, l.Name))
				}
			}
		}
	}
	return errs
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// servesHost reports whether the listener accepts one of the route's
// hostnames; either side leaving them out accepts every host.
func servesHost(l gatewayv1.Listener, hosts []gatewayv1.Hostname) bool {
	if l.Hostname == nil || len(hosts) == 0 {
		return true
	}
	lh := string(*l.Hostname)
	for _, h := range hosts {
		rh := string(h)
		switch {
		case rh == lh,
			strings.HasPrefix(lh, "*.") && strings.HasSuffix(rh, lh[1:]),
			strings.HasPrefix(rh, "*.") && strings.HasSuffix(lh, rh[1:]):
			return true
		}
	}
	return false
}

func redirectsToHTTPS(rule gatewayv1.HTTPRouteRule) bool {
	if len(rule.BackendRefs) > 0 {
		return false
	}
	for _, f := range rule.Filters {
		if f.Type == gatewayv1.HTTPRouteFilterRequestRedirect && f.RequestRedirect != nil &&
			f.RequestRedirect.Scheme != nil && *f.RequestRedirect.Scheme == "https" {
			return true
		}
	}
	return false
}

// ruleTarget returns the Knative Service (namespace/name) that rule i of r
// forwards to, "" for a rule that forwards nowhere (a redirect), or an
// error when the rule forwards other than through the local gateway with
// the host of a declared Knative Service.
func (in *ingress) ruleTarget(r route, i int) (string, error) {
	rule := r.Spec.Rules[i]
	if len(rule.BackendRefs) == 0 {
		return "", nil
	}
	var errs []error
	for _, b := range rule.BackendRefs {
		if err := in.checkBackend(r, b); err != nil {
			errs = append(errs, fmt.Errorf("%s: rule %d: %w", r.doc, i, err))
		}
	}
	var hosts []string
	for _, f := range rule.Filters {
		if f.Type != gatewayv1.HTTPRouteFilterURLRewrite || f.URLRewrite == nil {
			continue
		}
		if f.URLRewrite.Path != nil {
			// The checks of internal paths assume the path reaches the
			// Service as the client sent it.
			errs = append(errs, fmt.Errorf("%s: rule %d: URLRewrite of the path: not allowed, the Service must see the path the client sent", r.doc, i))
		}
		if f.URLRewrite.Hostname != nil {
			hosts = append(hosts, string(*f.URLRewrite.Hostname))
		}
	}
	var target string
	switch {
	case len(hosts) != 1:
		errs = append(errs, fmt.Errorf("%s: rule %d: forwards without a URLRewrite of the hostname to <service>.<namespace>.svc.cluster.local, by which the local gateway finds the Knative Service", r.doc, i))
	default:
		name, ns, ok := strings.Cut(strings.TrimSuffix(hosts[0], ".svc.cluster.local"), ".")
		target = key(ns, name)
		if !ok || !strings.HasSuffix(hosts[0], ".svc.cluster.local") || in.kservices[target] == nil {
			errs = append(errs, fmt.Errorf("%s: rule %d: URLRewrite hostname %q names no Knative Service declared in config/ (want <name>.<namespace>.svc.cluster.local)", r.doc, i, hosts[0]))
		}
	}
	if len(errs) > 0 {
		return "", errors.Join(errs...)
	}
	return target, nil
}

// checkBackend checks that b is the local gateway, and that a
// ReferenceGrant lets r name it when it is in another namespace.
func (in *ingress) checkBackend(r route, b gatewayv1.HTTPBackendRef) error {
	group, kind, ns := orDefault(b.Group, ""), orDefault(b.Kind, "Service"), orDefault(b.Namespace, r.Namespace)
	var port int32
	if b.Port != nil {
		port = int32(*b.Port)
	}
	lg := in.policy.LocalGateway
	if group != "" || kind != "Service" || ns != lg.Namespace || string(b.Name) != lg.Name || port != lg.Port {
		if group != "" {
			kind = group + "/" + kind
		}
		return fmt.Errorf("backendRef %s %s/%s port %d: a route reaches Knative Services only through the local gateway %s", kind, ns, b.Name, port, lg)
	}
	if len(b.Filters) > 0 {
		return errors.New("backendRef filters: not allowed, filter the rule instead")
	}
	if ns != r.Namespace && !in.granted(r.Namespace, ns, string(b.Name)) {
		return fmt.Errorf("backendRef %s/%s: no ReferenceGrant in %s lets HTTPRoutes of namespace %s name it", ns, b.Name, ns, r.Namespace)
	}
	return nil
}

// granted reports whether a ReferenceGrant in namespace to lets HTTPRoutes
// of namespace from refer to Service name.
func (in *ingress) granted(from, to, name string) bool {
	for _, g := range in.grants {
		if g.Namespace != to {
			continue
		}
		fromOK := slices.ContainsFunc(g.Spec.From, func(f gatewayv1beta1.ReferenceGrantFrom) bool {
			return f.Group == gatewayv1.GroupName && f.Kind == "HTTPRoute" && string(f.Namespace) == from
		})
		toOK := slices.ContainsFunc(g.Spec.To, func(t gatewayv1beta1.ReferenceGrantTo) bool {
			return t.Group == "" && t.Kind == "Service" && (t.Name == nil || string(*t.Name) == name)
		})
		if fromOK && toOK {
			return true
		}
	}
	return false
}

// checkInternal checks that no rule of r can send an internal path to a
// Service that eventing delivers to. Methods, headers and query parameters
// are ignored: a caller chooses them.
func (in *ingress) checkInternal(r route) []error {
	var errs []error
	for i, rule := range r.Spec.Rules {
		target, err := in.ruleTarget(r, i)
		delivered, receives := in.delivered[target]
		if err != nil || !receives {
			continue
		}
		type internal struct {
			path  string
			exact bool
		}
		var paths []internal
		for _, p := range in.policy.Internal {
			paths = append(paths, internal{p, false})
		}
		for _, p := range delivered {
			covered := slices.ContainsFunc(in.policy.Internal, func(prefix string) bool { return under(p, prefix) })
			if !covered {
				paths = append(paths, internal{p, true})
			}
		}
		for _, m := range matchesOf(rule) {
			for _, p := range paths {
				if reaches(m.Path, p.path, p.exact) {
					errs = append(errs, fmt.Errorf("%s: rule %d sends %s to %s, which serves it to the cluster only", r.doc, i, p.path, target))
				}
			}
		}
	}
	return errs
}

// matchesOf returns the rule's matches; a rule without any matches every
// request.
func matchesOf(rule gatewayv1.HTTPRouteRule) []gatewayv1.HTTPRouteMatch {
	if len(rule.Matches) == 0 {
		return []gatewayv1.HTTPRouteMatch{{}}
	}
	return rule.Matches
}

// pathMatch returns a match's path type and value with the API's
// defaults: PathPrefix, "/".
func pathMatch(m *gatewayv1.HTTPPathMatch) (gatewayv1.PathMatchType, string) {
	typ, value := gatewayv1.PathMatchPathPrefix, "/"
	if m != nil && m.Type != nil {
		typ = *m.Type
	}
	if m != nil && m.Value != nil {
		value = *m.Value
	}
	return typ, value
}

// under reports whether path is prefix or below it, element by element,
// as a PathPrefix match compares (a trailing slash of prefix is ignored).
func under(path, prefix string) bool {
	prefix = strings.TrimSuffix(prefix, "/")
	return prefix == "" || path == prefix || strings.HasPrefix(path, prefix+"/")
}

// reaches reports whether m accepts path (when exact), or some path at or
// below it. A regular expression may accept anything.
func reaches(m *gatewayv1.HTTPPathMatch, path string, exact bool) bool {
	typ, value := pathMatch(m)
	switch typ {
	case gatewayv1.PathMatchExact:
		if exact {
			return value == path
		}
		return under(value, path)
	case gatewayv1.PathMatchPathPrefix:
		return under(path, value) || (!exact && under(value, path))
	}
	return true
}

// checkPublic checks that every public endpoint reaches its Service.
func (in *ingress) checkPublic() []error {
	var errs []error
	for _, e := range in.policy.Public {
		r, i, ok := in.resolve(e.Method, e.Path)
		if !ok {
			errs = append(errs, fmt.Errorf("%s: no route on an HTTPS listener serves it; want it sent to %s", e, e.Service))
			continue
		}
		target, err := in.ruleTarget(r, i)
		if err != nil {
			continue // reported with the route
		}
		switch want := key(r.Namespace, e.Service); target {
		case want:
		case "":
			errs = append(errs, fmt.Errorf("%s: %s rule %d forwards it nowhere; want it sent to %s", e, r.doc, i, want))
		default:
			errs = append(errs, fmt.Errorf("%s: %s rule %d sends it to %s; want %s", e, r.doc, i, target, want))
		}
	}
	return errs
}

// resolve finds the rule an HTTPS listener would apply to a request with
// no headers or query, by the Gateway API's precedence: an exact path over
// a prefix, the longer path, a method match; then route order, rule order.
func (in *ingress) resolve(method, path string) (route, int, bool) {
	type rank struct {
		exact  bool
		length int
		method bool
	}
	var best rank
	var bestRoute route
	bestRule, found := 0, false
	for _, r := range in.routes {
		if !in.onHTTPS(r) {
			continue
		}
		for i, rule := range r.Spec.Rules {
			for _, m := range matchesOf(rule) {
				if len(m.Headers) > 0 || len(m.QueryParams) > 0 || (m.Method != nil && string(*m.Method) != method) {
					continue
				}
				typ, value := pathMatch(m.Path)
				if !(typ == gatewayv1.PathMatchExact && value == path) && !(typ == gatewayv1.PathMatchPathPrefix && under(path, value)) {
					continue
				}
				c := rank{typ == gatewayv1.PathMatchExact, len(value), m.Method != nil}
				better := !found || c.exact && !best.exact ||
					c.exact == best.exact && (c.length > best.length || c.length == best.length && c.method && !best.method)
				if better {
					best, bestRoute, bestRule, found = c, r, i, true
				}
			}
		}
	}
	return bestRoute, bestRule, found
}

// onHTTPS reports whether r attaches to an HTTPS listener.
func (in *ingress) onHTTPS(r route) bool {
	for _, ref := range r.Spec.ParentRefs {
		ls, _ := in.listeners(r, ref)
		for _, l := range ls {
			if l.Protocol == gatewayv1.HTTPSProtocolType {
				return true
			}
		}
	}
	return false
}

// checkPolicies checks the GKE policies against the backends the routes
// use: each backend has a health check, each policy targets a backend, and
// the load balancer waits at least as long as any Service it reaches may
// take.
func (in *ingress) checkPolicies() []error {
	// Every Service a route names, and the Knative Services the valid
	// rules reach through it.
	backends := map[string][]string{}
	for _, r := range in.routes {
		for i, rule := range r.Spec.Rules {
			target, err := in.ruleTarget(r, i)
			for _, b := range rule.BackendRefs {
				ns := r.Namespace
				if b.Namespace != nil {
					ns = string(*b.Namespace)
				}
				k := key(ns, string(b.Name))
				if _, ok := backends[k]; !ok {
					backends[k] = nil
				}
				if err == nil && !slices.Contains(backends[k], target) {
					backends[k] = append(backends[k], target)
				}
			}
		}
	}
	var errs []error
	for _, pol := range slices.Concat(in.healthChecks, in.backendConfigs) {
		if _, ok := backends[key(pol.doc.Namespace, pol.target.Name)]; !ok {
			errs = append(errs, fmt.Errorf("%s: targets Service %s/%s, to which no route sends", pol.doc, pol.doc.Namespace, pol.target.Name))
		}
	}
	targets := func(pols []gkePolicy, backend string) []gkePolicy {
		return slices.DeleteFunc(slices.Clone(pols), func(p gkePolicy) bool { return key(p.doc.Namespace, p.target.Name) != backend })
	}
	for _, backend := range slices.Sorted(maps.Keys(backends)) {
		if backend != key(in.policy.LocalGateway.Namespace, in.policy.LocalGateway.Name) {
			continue // any other backend is refused with its route
		}
		if len(targets(in.healthChecks, backend)) == 0 {
			errs = append(errs, fmt.Errorf("backend %s has no HealthCheckPolicy: GKE's default check (GET / by address) fails on the local gateway", backend))
		}
		wait, from := int64(defaultLBTimeoutSec), "GKE's default"
		for _, p := range targets(in.backendConfigs, backend) {
			if p.timeoutSec != nil {
				wait, from = *p.timeoutSec, p.doc.String()
			}
		}
		for _, svc := range backends[backend] {
			took := int64(defaultKnativeTimeoutSec)
			if ks := in.kservices[svc]; ks != nil && ks.Spec.Template.Spec.TimeoutSeconds != nil {
				took = *ks.Spec.Template.Spec.TimeoutSeconds
			}
			if took > wait {
				errs = append(errs, fmt.Errorf("backend %s: the load balancer waits %d s (%s), but Knative Service %s may take %d s (timeoutSeconds): set a GCPBackendPolicy timeoutSec of at least %d", backend, wait, from, svc, took, took))
			}
		}
	}
	return errs
}
