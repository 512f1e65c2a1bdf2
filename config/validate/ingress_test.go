package validate_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/buytickets/buytickets/config/validate"
)

// stackFunctions is the embedded default's list of functions, whose
// routes fields are the path rules of its router (DESIGN.md §1: production
// ingress keeps the same rules).
const stackFunctions = "cmd/buytickets/stack/functions.go"

// routerRule is one path prefix of the embedded router and the function it
// sends to; each function is a Knative Service of the same name.
type routerRule struct{ prefix, function string }

// routerRules reads the routes of every entry of the functions list in
// stackFunctions, so the ingress is checked against the router itself.
func routerRules(tb testing.TB) []routerRule {
	tb.Helper()
	file, err := parser.ParseFile(token.NewFileSet(), filepath.Join(repoRoot, stackFunctions), nil, 0)
	if err != nil {
		tb.Fatal(err)
	}
	var rules []routerRule
	ast.Inspect(file, func(n ast.Node) bool {
		spec, ok := n.(*ast.ValueSpec)
		if !ok || len(spec.Names) != 1 || spec.Names[0].Name != "functions" || len(spec.Values) != 1 {
			return true
		}
		list, ok := spec.Values[0].(*ast.CompositeLit)
		if !ok {
			tb.Fatalf("%s: functions is not a composite literal", stackFunctions)
		}
		for _, elt := range list.Elts {
			fields := map[string]ast.Expr{}
			for _, e := range elt.(*ast.CompositeLit).Elts {
				kv := e.(*ast.KeyValueExpr)
				fields[kv.Key.(*ast.Ident).Name] = kv.Value
			}
			name := stringLit(tb, fields["name"])
			if routes, ok := fields["routes"].(*ast.CompositeLit); ok {
				for _, r := range routes.Elts {
					rules = append(rules, routerRule{stringLit(tb, r), name})
				}
			}
		}
		return false
	})
	return rules
}

func stringLit(tb testing.TB, e ast.Expr) string {
	tb.Helper()
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		tb.Fatalf("%s: %T is not a string literal", stackFunctions, e)
	}
	s, err := strconv.Unquote(lit.Value)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// ingressPolicy is what the production ingress must do: route what the
// embedded router routes (a request at each prefix and one below it, with
// and without a body), plus the two paths only production exposes; keep
// the functions' event, sweep and operator endpoints cluster-local; reach
// the Services through Kourier's local gateway.
func ingressPolicy(tb testing.TB) validate.IngressPolicy {
	tb.Helper()
	var public []validate.Endpoint
	for _, r := range routerRules(tb) {
		for _, path := range []string{r.prefix, strings.TrimSuffix(r.prefix, "/") + "/x"} {
			for _, method := range []string{"GET", "POST"} {
				public = append(public, validate.Endpoint{Method: method, Path: path, Service: r.function})
			}
		}
	}
	public = append(public,
		// Cloud Tasks cannot reach cluster-local Services (DESIGN.md §4).
		validate.Endpoint{Method: "POST", Path: "/tasks/expire", Service: "expiration"},
		// Stripe calls it (DESIGN.md §3).
		validate.Endpoint{Method: "POST", Path: "/api/payments/webhook", Service: "payments"},
	)
	return validate.IngressPolicy{
		Public:       public,
		Internal:     []string{"/events", "/outbox/sweep", "/payments/sweep", "/deadletters"},
		LocalGateway: validate.ServiceRef{Namespace: "kourier-system", Name: "kourier-internal", Port: 80},
	}
}

func TestRouterRulesAreReadFromTheStack(t *testing.T) {
	rules := routerRules(t)
	// A few rules DESIGN.md §3 fixes; the rest are whatever the router has.
	for _, want := range []routerRule{{"/api/tickets", "tickets"}, {"/api/orders", "orders"}, {"/", "web"}} {
		if !slices.Contains(rules, want) {
			t.Errorf("router rules %v lack %v", rules, want)
		}
	}
}

// repoDocuments returns every document of the deployed manifests.
func repoDocuments(tb testing.TB) []validate.Document {
	tb.Helper()
	var docs []validate.Document
	for _, f := range repoManifests(tb) {
		docs = append(docs, f.docs...)
	}
	return docs
}

func TestRepositoryIngressPassesItsChecks(t *testing.T) {
	p := ingressPolicy(t)
	if len(p.Public) < 10 {
		t.Fatalf("only %d public endpoints: the router rules were not read", len(p.Public))
	}
	if err := validate.CheckIngress(repoDocuments(t), p); err != nil {
		t.Error(err)
	}
}

// overlay returns docs with each document of the file at path in place of
// the one of the same kind, namespace and name, or added when none is.
func overlay(tb testing.TB, docs []validate.Document, path string) []validate.Document {
	tb.Helper()
	broken, err := parseFile(path, filepath.ToSlash(path))
	if err != nil {
		tb.Fatal(err)
	}
	docs = slices.Clone(docs)
	for _, b := range broken {
		i := slices.IndexFunc(docs, func(d validate.Document) bool {
			return d.Kind == b.Kind && d.Namespace == b.Namespace && d.Name == b.Name
		})
		if i < 0 {
			docs = append(docs, b)
		} else {
			docs[i] = b
		}
	}
	return docs
}

func TestBrokenIngressFailsItsChecks(t *testing.T) {
	tests := []invalidCase{
		{"redirect-unknown-gateway.yaml", "parentRef names Gateway buytickets/public, which no manifest in config/ declares"},
		{"route-on-plain-http.yaml", "rule 0 is served on the plain-HTTP listener http"},
		{"route-without-local-gateway.yaml", "a route reaches Knative Services only through the local gateway kourier-system/kourier-internal:80"},
		{"route-unknown-service.yaml", `URLRewrite hostname "payment.buytickets.svc.cluster.local" names no Knative Service declared in config/`},
		{"grant-other-namespace.yaml", "no ReferenceGrant in kourier-system lets HTTPRoutes of namespace buytickets name it"},
		{"public-path-unrouted.yaml", "rule 0 sends it to buytickets/web; want buytickets/tickets"},
		{"route-exposes-sweep.yaml", "rule 0 sends /payments/sweep to buytickets/payments, which serves it to the cluster only"},
		{"route-exposes-events.yaml", "rule 0 sends /events to buytickets/orders, which serves it to the cluster only"},
		{"healthcheck-other-target.yaml", "backend kourier-system/kourier-internal has no HealthCheckPolicy"},
		{"backend-timeout-short.yaml", "Knative Service buytickets/web may take 75 s (timeoutSeconds)"},
	}
	p := ingressPolicy(t)
	failAcross(t, "testdata/ingress", tests, "CheckIngress", func(docs []validate.Document) error {
		return validate.CheckIngress(docs, p)
	})
}

// precedenceDocs is a minimal ingress whose routes overlap on purpose.
const precedenceDocs = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: ns}
spec:
  gatewayClassName: gke-l7-global-external-managed
  listeners: [{name: https, protocol: HTTPS, port: 443}]
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: routes, namespace: lg}
spec:
  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: ns}]
  to: [{group: "", kind: Service}]
---
apiVersion: networking.gke.io/v1
kind: HealthCheckPolicy
metadata: {name: local, namespace: lg}
spec:
  targetRef: {group: "", kind: Service, name: local}
  default: {config: {type: HTTP, httpHealthCheck: {requestPath: /ready}}}
`

// precedenceRoute returns an HTTPRoute with one rule: match to service.
func precedenceRoute(name, match, service string) string {
	return `---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: ` + name + `, namespace: ns}
spec:
  parentRefs: [{name: gw, sectionName: https}]
  rules:
    - matches: [` + match + `]
      filters: [{type: URLRewrite, urlRewrite: {hostname: ` + service + `.ns.svc.cluster.local}}]
      backendRefs: [{name: local, namespace: lg, port: 8080}]
---
apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: ` + service + `, namespace: ns}
spec:
  template:
    spec:
      timeoutSeconds: 30
      containers: [{image: example.com/` + service + `}]
`
}

func TestCheckIngressRanksMatchesAsTheGatewayAPIDoes(t *testing.T) {
	yaml := precedenceDocs +
		precedenceRoute("a-catch-all", "{path: {type: PathPrefix, value: /}}", "all") +
		precedenceRoute("b-prefix", "{path: {type: PathPrefix, value: /a/}}", "prefix") +
		precedenceRoute("c-exact", "{path: {type: Exact, value: /a}}", "exact") +
		precedenceRoute("d-longer", "{path: {type: PathPrefix, value: /a/b}}", "longer") +
		precedenceRoute("e-method", "{path: {type: PathPrefix, value: /}, method: POST}", "post") +
		precedenceRoute("f-header", "{path: {type: Exact, value: /h}, headers: [{name: x, value: v}]}", "header")
	docs, err := validate.Parse("precedence.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range docs {
		if _, err := checker.Check(doc); err != nil {
			t.Fatal(err)
		}
	}
	policy := validate.IngressPolicy{LocalGateway: validate.ServiceRef{Namespace: "lg", Name: "local", Port: 8080}}
	for _, tt := range []validate.Endpoint{
		{Method: "GET", Path: "/a", Service: "exact"},      // an exact match over any prefix
		{Method: "GET", Path: "/a/x", Service: "prefix"},   // "/a/" is the prefix /a
		{Method: "GET", Path: "/ab", Service: "all"},       // prefixes match whole segments
		{Method: "GET", Path: "/a/b/c", Service: "longer"}, // the longer prefix
		{Method: "POST", Path: "/x", Service: "post"},      // a method match at equal length
		{Method: "POST", Path: "/a/x", Service: "prefix"},  // the longer path before the method
		{Method: "GET", Path: "/h", Service: "all"},        // a request without the header
		{Method: "GET", Path: "/anything", Service: "all"}, // the catch-all
	} {
		policy.Public = []validate.Endpoint{tt}
		if err := validate.CheckIngress(docs, policy); err != nil {
			t.Errorf("%s, want %s: %v", tt, tt.Service, err)
		}
		policy.Public = []validate.Endpoint{{Method: tt.Method, Path: tt.Path, Service: "none"}}
		if err := validate.CheckIngress(docs, policy); err == nil {
			t.Errorf("%s: CheckIngress passed with the wrong Service", tt)
		}
	}
}
