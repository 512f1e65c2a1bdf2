package eventingtest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"

	"github.com/buytickets/buytickets/eventing"
	"github.com/buytickets/buytickets/eventing/identity"
	"github.com/buytickets/buytickets/eventing/manifest"
)

// Key is the tests' token issuer, as the stack's generated key is the
// embedded default's: one fixed key, so that every helper and function of
// a test trusts the same.
func Key() *identity.Key {
	seed := sha256.Sum256([]byte("buytickets eventingtest key"))
	k, _ := identity.NewKey(seed[:])
	return k
}

// Plane is the marketplace's event plane (eventing.Plane); the test fails
// when the manifests cannot be read.
func Plane(tb testing.TB) *manifest.Plane {
	tb.Helper()
	p, err := eventing.Plane()
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// Member returns function's membership of the event plane, trusting Key
// and publishing with its own identity, signed by Key.
func Member(tb testing.TB, function string) *eventing.Member {
	tb.Helper()
	p := Plane(tb)
	m, err := eventing.Join(function, Key().Verifier(p.Audience(function)), Key().Signer(p.Publisher(function)))
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// DeliveryToken returns the token the broker presents when it delivers ev
// to function: the identity of the Trigger that selects ev's type for
// function, or else the dead-letter replay's, for the function's audience.
func DeliveryToken(tb testing.TB, function string, ev event.Event) string {
	tb.Helper()
	p := Plane(tb)
	return Sign(tb, deliverer(p, function, ev), p.Audience(function))
}

// SweepToken returns the token function's outbox PingSource presents.
func SweepToken(tb testing.TB, function string) string {
	tb.Helper()
	p := Plane(tb)
	senders := p.SweepSenders(function)
	if len(senders) == 0 {
		tb.Fatalf("no PingSource sweeps %s", function)
	}
	return Sign(tb, senders[0], p.Audience(function))
}

// Sign returns a token of Key for subject and audience, valid for a while.
func Sign(tb testing.TB, subject, audience string) string {
	tb.Helper()
	return SignWith(tb, Key(), subject, audience, identity.Lifetime)
}

// SignWith returns a token of key for subject and audience that expires
// after ttl (in the past for a negative ttl), for tests of the tokens a
// receiver refuses; the test fails when key cannot sign.
func SignWith(tb testing.TB, key *identity.Key, subject, audience string, ttl time.Duration) string {
	tb.Helper()
	token, err := key.Sign(subject, audience, ttl)
	if err != nil {
		tb.Fatal(err)
	}
	return token
}

// Authorize sets req's bearer token.
func Authorize(req *http.Request, token string) *http.Request {
	req.Header.Set("Authorization", "Bearer "+token)
	return req
}

// Issuer is an OIDC issuer served by the test, as a Kubernetes cluster's
// service-account issuer is: a discovery document and a JWKS over HTTP,
// and RS256 tokens shaped as service-account tokens.
type Issuer struct {
	// URL is the issuer (EVENTS_ISSUER).
	URL string

	key *rsa.PrivateKey
	kid string
}

// NewIssuer serves an issuer until the test ends.
func NewIssuer(tb testing.TB) *Issuer {
	tb.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	is := &Issuer{key: key, kid: "test-key-1"}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		// What a Kubernetes API server serves (ServiceAccountIssuerDiscovery).
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": is.URL, "jwks_uri": is.URL + "/openid/v1/jwks",
			"response_types_supported":              []string{"id_token"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /openid/v1/jwks", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{
			Key: &key.PublicKey, KeyID: is.kid, Algorithm: "RS256", Use: "sig",
		}}})
	})
	srv := httptest.NewServer(mux)
	tb.Cleanup(srv.Close)
	is.URL = srv.URL
	return is
}

// Token returns a service-account token of the issuer for subject
// (system:serviceaccount:NAMESPACE:NAME) and audience, expiring after ttl
// (in the past for a negative ttl).
func (is *Issuer) Token(tb testing.TB, subject, audience string, ttl time.Duration) string {
	tb.Helper()
	now := time.Now()
	claims := jwt.MapClaims{
		"iss": is.URL, "sub": subject, "aud": []string{audience},
		"iat": now.Add(-time.Minute).Unix(), "nbf": now.Add(-time.Minute).Unix(), "exp": now.Add(ttl).Unix(),
		"kubernetes.io": map[string]any{"namespace": "buytickets", "serviceaccount": map[string]string{"name": subject, "uid": "5f0d4c1e"}},
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = is.kid
	raw, err := tok.SignedString(is.key)
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

// Publishing returns what function's outbox presents to the broker:
// function's token source, signed by Key, and the broker's audience
// (outbox.Options.Tokens and Audience).
func Publishing(tb testing.TB, function string) (identity.TokenSource, string) {
	tb.Helper()
	p := Plane(tb)
	return Key().Signer(p.Publisher(function)), p.BrokerAudience()
}

// ReplayToken returns the token the dead-letter replay presents to
// function: one every function's /events accepts, whatever the event.
func ReplayToken(tb testing.TB, function string) string {
	tb.Helper()
	p := Plane(tb)
	return Sign(tb, p.Replayer(), p.Audience(function))
}

// ClusterEnv sets the environment of function's production command for
// the test: EVENTS_ISSUER an issuer served by the test, EVENTS_AUDIENCE
// the function's, and EVENTS_TOKEN_FILE a file holding the token its
// outbox presents to NewBroker. It returns the issuer, to sign deliveries.
func ClusterEnv(t *testing.T, function string) *Issuer {
	t.Helper()
	is := NewIssuer(t)
	p := Plane(t)
	tokens, audience := Publishing(t, function)
	token, err := tokens.Token(t.Context(), audience)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("EVENTS_ISSUER", is.URL)
	t.Setenv("EVENTS_AUDIENCE", p.Audience(function))
	t.Setenv("EVENTS_TOKEN_FILE", file)
	return is
}

// DeliveryToken returns the issuer's token for the Trigger that delivers
// ev to function (or the dead-letter replay), as Knative's broker
// presents it.
func (is *Issuer) DeliveryToken(tb testing.TB, function string, ev event.Event) string {
	tb.Helper()
	p := Plane(tb)
	return is.Token(tb, deliverer(p, function, ev), p.Audience(function), time.Hour)
}

// deliverer is the identity that delivers ev to function: the Trigger
// that selects its type for function, or for the dead-letter sink one
// that gives up on it, or else the dead-letter replay.
func deliverer(p *manifest.Plane, function string, ev event.Event) string {
	for _, t := range p.Triggers {
		if t.Filter["type"] != ev.Type() {
			continue
		}
		if dls := t.Delivery.DeadLetterSink; t.Subscriber.Ref != nil && t.Subscriber.Ref.Name == function ||
			dls != nil && dls.Ref != nil && dls.Ref.Name == function {
			return t.Identity()
		}
	}
	return p.Replayer()
}
