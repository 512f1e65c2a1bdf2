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
	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/manifest"
)

// tokenDir is where a function finds the service-account tokens it
// presents: <tokenDir>/<audience's function>/token, and
// <tokenDir>/broker/token for the Broker.
const tokenDir = "/var/run/secrets/buytickets/tokens"

// catalogTypes returns the event types of the catalog: the string
// constants named Type… of the eventing package, read from its source so
// that a type added there is checked here without a second list.
func catalogTypes(tb testing.TB) []string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, "eventing", "*.go"))
	if err != nil {
		tb.Fatal(err)
	}
	var types []string
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			tb.Fatal(err)
		}
		for _, decl := range file.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.CONST {
				continue
			}
			for _, spec := range gen.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if !strings.HasPrefix(name.Name, "Type") || !name.IsExported() || i >= len(vs.Values) {
						continue
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						typ, err := strconv.Unquote(lit.Value)
						if err != nil {
							tb.Fatal(err)
						}
						types = append(types, typ)
					}
				}
			}
		}
	}
	if len(types) == 0 {
		tb.Fatal("no Type… constants found in the eventing package")
	}
	slices.Sort(types)
	return types
}

// eventPlane is the event plane as the functions read it.
func eventPlane(tb testing.TB) *manifest.Plane {
	tb.Helper()
	plane, err := manifest.Load(eventing.Manifests, "default")
	if err != nil {
		tb.Fatal(err)
	}
	return plane
}

// eventAuthPolicy is what the manifests must do for the functions to
// authenticate their senders (DESIGN.md §5): the Broker, identities and
// catalog are the ones the eventing package uses.
func eventAuthPolicy(tb testing.TB) validate.EventAuthPolicy {
	tb.Helper()
	producers := map[string]string{}
	for _, typ := range catalogTypes(tb) {
		fn, ok := eventing.ProducerOf(typ)
		if !ok {
			tb.Fatalf("event type %s of the catalog has no producer in eventing.ProducerOf", typ)
		}
		producers[typ] = fn
	}
	plane := eventPlane(tb)
	replayer, ok := plane.PublisherFunction(plane.Replayer())
	if !ok {
		tb.Fatalf("the replayer's identity %s is no function's", plane.Replayer())
	}
	return validate.EventAuthPolicy{
		Namespace:      plane.Namespace,
		Broker:         plane.Broker,
		Producers:      producers,
		Source:         eventing.Source,
		PublisherToken: tokenDir + "/broker/token",
		Replayer:       replayer,
		ReplayTokens:   tokenDir,
		Operator:       "operator",
		// Kourier's gateway, which carries every request to a function;
		// the activator and autoscaler; the Broker's dispatcher and the
		// PingSource adapter.
		DataPlane: []string{"knative-eventing", "knative-serving", "kourier-system"},
	}
}

func TestRepositoryEventAuthPassesItsChecks(t *testing.T) {
	p := eventAuthPolicy(t)
	if len(p.Producers) < 5 || p.Namespace == "" || p.Broker == "" {
		t.Fatalf("policy %+v: the catalog or the plane was not read", p)
	}
	if err := validate.CheckEventAuth(repoDocuments(t), p); err != nil {
		t.Error(err)
	}
}

func TestBrokenEventAuthFailsItsChecks(t *testing.T) {
	tests := []invalidCase{
		// Every delivery names the audience its function verifies.
		{"trigger-without-audience.yaml", "orders-ticket-created: spec.subscriber names no audience"},
		{"pingsource-other-audience.yaml", `spec.sink.audience is "buytickets/tickets", but Service orders verifies EVENTS_AUDIENCE "buytickets/orders"`},
		{"broker-deadletter-other-audience.yaml", `spec.delivery.deadLetterSink.audience is "buytickets/orders", but Service deadletters verifies EVENTS_AUDIENCE "buytickets/deadletters"`},
		// Every function delivered to says whom it trusts.
		{"receiver-without-issuer.yaml", "orders sets no literal EVENTS_ISSUER"},
		{"receiver-without-audience.yaml", "expiration sets no literal EVENTS_AUDIENCE"},
		{"receiver-other-issuer.yaml", "the functions verify tokens of 2 issuers"},
		// Every function that emits events is given the Broker's address.
		{"publisher-unbound.yaml", "auth emits [dev.buytickets.user.banned dev.buytickets.user.registered dev.buytickets.user.unbanned] (eventing.ProducerOf), but no SinkBinding gives it the Broker's address"},
		// Every publisher publishes as itself, only its own events.
		{"publisher-other-account.yaml", `serviceAccountName is "orders": a publisher runs as the ServiceAccount of its own name`},
		{"publisher-without-token.yaml", "no projected serviceAccountToken for audience eventing.knative.dev/broker/buytickets/default at /var/run/secrets/buytickets/tokens/broker/token: tickets could not publish"},
		{"eventpolicy-without-source.yaml", "spec.filters do not pin source to /functions/tickets"},
		{"eventpolicy-without-type.yaml", "spec.filters do not pin type: a token of orders could publish any type"},
		{"eventpolicy-other-type.yaml", "spec.filters let tickets publish dev.buytickets.payment.created, which payments emits"},
		{"eventpolicy-unknown-subject.yaml", `lets in subject "system:serviceaccount:buytickets:web", which is no publisher's service account`},
		{"eventpolicy-wildcard-subject.yaml", `lets in subject "system:serviceaccount:buytickets:*", which is no publisher's service account`},
		{"eventpolicy-two-subjects.yaml", "lets in [tickets orders]: its filters apply to every subject it names"},
		{"eventpolicy-other-broker.yaml", "no EventPolicy lets payments (system:serviceaccount:buytickets:payments) publish [dev.buytickets.payment.created dev.buytickets.payment.refunded] to Broker buytickets/default"},
		// The replayer holds a token for each subscriber, and no other.
		{"replayer-without-token.yaml", "no projected serviceAccountToken for audience buytickets/orders at /var/run/secrets/buytickets/tokens/orders/token"},
		{"replayer-other-token.yaml", `projects a token for audience "eventing.knative.dev/broker/buytickets/default" at /var/run/secrets/buytickets/tokens/broker/token, which no Trigger's subscriber verifies`},
		// Only the operator's tokens can be created.
		{"role-every-token.yaml", "rules[0] lets its holders create tokens of every service account"},
		{"role-function-token.yaml", "rules[0] lets its holders create tokens of service account payments"},
		{"rolebinding-other-role.yaml", "no RoleBinding gives anyone a Role that creates tokens of buytickets/operator"},
		// Only the data plane reaches the functions' pods.
		{"networkpolicy-other-namespace.yaml", "a NetworkPolicy admits namespace default to the pods of Services buytickets/auth, buytickets/deadletters"},
		{"networkpolicy-same-namespace.yaml", "spec.ingress[1] from[0] admits pods of namespace buytickets"},
		{"networkpolicy-by-label.yaml", "from[0].namespaceSelector admits namespaces by their labels"},
		{"networkpolicy-some-functions.yaml", "no NetworkPolicy limits ingress to the pods of Services buytickets/auth, buytickets/deadletters, buytickets/etickets, buytickets/expiration, buytickets/notifications, buytickets/payments, buytickets/payouts, buytickets/web:"},
		{"networkpolicy-without-serving.yaml", "no NetworkPolicy admits namespace knative-serving to the pods of Services buytickets/auth,"},
	}
	p := eventAuthPolicy(t)
	failAcross(t, "testdata/eventauth", tests, "CheckEventAuth", func(docs []validate.Document) error {
		return validate.CheckEventAuth(docs, p)
	})
}

// TestEventAuthFailsWithoutItsObjects removes, one at a time, what the
// broken copies cannot: an overlay replaces or adds objects, but never
// takes one away.
func TestEventAuthFailsWithoutItsObjects(t *testing.T) {
	tests := []struct{ kind, name, want string }{
		{"ServiceAccount", "operator", "no ServiceAccount buytickets/operator"},
		{"ServiceAccount", "tickets", "runs as ServiceAccount buytickets/tickets, which no manifest in config/ declares"},
		{"SinkBinding", "functions-to-broker", "expiration emits [dev.buytickets.expiration.completed] (eventing.ProducerOf), but no SinkBinding gives it the Broker's address"},
		{"EventPolicy", "broker-from-expiration", "no EventPolicy lets expiration (system:serviceaccount:buytickets:expiration) publish [dev.buytickets.expiration.completed]"},
		{"NetworkPolicy", "functions-ingress", "no NetworkPolicy limits ingress to the pods of Services buytickets/auth,"},
		{"Service", "deadletters", "no Knative Service buytickets/deadletters replays dead letters"},
	}
	docs := repoDocuments(t)
	p := eventAuthPolicy(t)
	for _, tt := range tests {
		t.Run(tt.kind+" "+tt.name, func(t *testing.T) {
			t.Parallel()
			without := slices.DeleteFunc(slices.Clone(docs), func(d validate.Document) bool {
				return d.Kind == tt.kind && d.Name == tt.name
			})
			if len(without) != len(docs)-1 {
				t.Fatalf("%s %s: want one such document, removed %d", tt.kind, tt.name, len(docs)-len(without))
			}
			err := validate.CheckEventAuth(without, p)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v\nwant it to contain %q", err, tt.want)
			}
		})
	}
}
