package expiration_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/idtoken"
	"google.golang.org/api/option"

	"github.com/buytickets/buytickets/functions/expiration"
	"github.com/buytickets/buytickets/shared/httpx/httpxtest"
)

const (
	invoker  = "tasks-invoker@buytickets-test.iam.gserviceaccount.com"
	audience = "https://buytickets.dev/tasks/expire"
	keyID    = "test-key"
)

// keys stands in for Google's certificate endpoint: it serves the public
// half of a key the test signs tokens with.
type keys struct {
	key    *rsa.PrivateKey
	client *http.Client // fetches every URL from the test's endpoint
}

func newKeys(tb testing.TB) *keys {
	tb.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	jwks, _ := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "RSA", "alg": "RS256", "use": "sig", "kid": keyID,
		"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes()),
	}}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(jwks)
	}))
	tb.Cleanup(srv.Close)
	target, _ := url.Parse(srv.URL)
	return &keys{key: key, client: &http.Client{Transport: redirect{to: target}}}
}

// redirect sends every request to one test server, whatever its URL.
type redirect struct{ to *url.URL }

func (r redirect) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.URL.Scheme, req.URL.Host = r.to.Scheme, r.to.Host
	return http.DefaultTransport.RoundTrip(req)
}

// verifier returns idtoken's validator, fetching the test's keys.
func (k *keys) verifier(tb testing.TB) *idtoken.Validator {
	tb.Helper()
	v, err := idtoken.NewValidator(context.Background(), option.WithHTTPClient(k.client))
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// claims are a token's, as Cloud Tasks' would be unless a test changes one.
func claims() map[string]any {
	now := time.Now()
	return map[string]any{
		"iss": "https://accounts.google.com", "aud": audience, "sub": "1234567890",
		"email": invoker, "email_verified": true,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
}

// sign returns an RS256 token of c signed with key under kid.
func sign(tb testing.TB, key *rsa.PrivateKey, kid string, c map[string]any) string {
	tb.Helper()
	header, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": kid})
	payload, _ := json.Marshal(c)
	signed := b64(header) + "." + b64(payload)
	sum := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		tb.Fatal(err)
	}
	return signed + "." + b64(sig)
}

func TestProductionTakesOnlyTheInvokersTokenForTheAudience(t *testing.T) {
	t.Parallel()
	k := newKeys(t)
	f := newFn(t, withoutRun, withVerifier(k.verifier(t), invoker, audience))
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	with := func(key string, value any) map[string]any {
		c := claims()
		c[key] = value
		return c
	}
	valid := sign(t, k.key, keyID, claims())
	refused := map[string]string{
		"no token":              "",
		"not a bearer token":    "Basic " + base64.StdEncoding.EncodeToString([]byte("a:b")),
		"empty bearer token":    "Bearer ",
		"not a JWT":             "Bearer abc",
		"signed by another":     "Bearer " + sign(t, other, keyID, claims()),
		"unknown key":           "Bearer " + sign(t, k.key, "other-key", claims()),
		"tampered":              "Bearer " + valid[:len(valid)-4] + "AAAA",
		"another audience":      "Bearer " + sign(t, k.key, keyID, with("aud", "https://evil.example/tasks/expire")),
		"expired":               "Bearer " + sign(t, k.key, keyID, with("exp", time.Now().Add(-time.Minute).Unix())),
		"another issuer":        "Bearer " + sign(t, k.key, keyID, with("iss", "https://evil.example")),
		"another account":       "Bearer " + sign(t, k.key, keyID, with("email", "someone@example.com")),
		"email not verified":    "Bearer " + sign(t, k.key, keyID, with("email_verified", false)),
		"no email":              "Bearer " + sign(t, k.key, keyID, with("email", nil)),
		"email of another type": "Bearer " + sign(t, k.key, keyID, with("email", 5)),
	}
	id := newOrderID()
	f.MustDeliver(orderCreated(t, id, time.Now().Add(-time.Second)))
	for name, authorization := range refused {
		res := f.expire(expireBody(id), "Authorization", authorization)
		if res.Code != http.StatusUnauthorized {
			t.Errorf("%s: %d %s, want 401", name, res.Code, res.Body)
			continue
		}
		httpxtest.WantError(t, res, http.StatusUnauthorized, "Not authorized", "")
	}
	if n := f.outboxed(id); n != 0 || f.state(id) != "scheduled" {
		t.Fatalf("refused calls recorded %d events and left %q", n, f.state(id))
	}
	for _, scheme := range []string{"Bearer ", "bearer "} {
		if res := f.expire(expireBody(id), "Authorization", scheme+valid); res.Code != http.StatusOK {
			t.Errorf("the invoker's token (%q): %d %s, want 200", scheme, res.Code, res.Body)
		}
	}
	if n := f.outboxed(id); n != 1 {
		t.Errorf("%d expiration.completed recorded, want 1", n)
	}
}

func TestTheEmbeddedDefaultTakesOnlyLoopbackCalls(t *testing.T) {
	t.Parallel()
	f := newFn(t, withoutRun)
	tests := []struct {
		name      string
		remote    string
		header    map[string]string
		wantCode  int
		wantEvent bool
	}{
		{"another host", "192.0.2.1:1234", nil, http.StatusUnauthorized, false},
		{"loopback", "127.0.0.1:1234", nil, http.StatusOK, true},
		{"IPv6 loopback", "[::1]:1234", nil, http.StatusOK, true},
		{"loopback proxy for loopback", "127.0.0.1:1234", map[string]string{"X-Forwarded-For": "127.0.0.1"}, http.StatusOK, true},
		{"loopback proxy for another host", "127.0.0.1:1234", map[string]string{"X-Forwarded-For": "127.0.0.1, 203.0.113.9"}, http.StatusUnauthorized, false},
		{"forwarded", "127.0.0.1:1234", map[string]string{"Forwarded": "for=203.0.113.9"}, http.StatusUnauthorized, false},
		{"malformed forwarding", "127.0.0.1:1234", map[string]string{"X-Forwarded-For": "localhost"}, http.StatusUnauthorized, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := newOrderID()
			f.MustDeliver(orderCreated(t, id, time.Now().Add(-time.Second)))
			req := httptest.NewRequest(http.MethodPost, expiration.TasksPath, strings.NewReader(expireBody(id)))
			req.Header.Set("Content-Type", "application/json")
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			req.RemoteAddr = tc.remote
			rec := httptest.NewRecorder()
			f.h.ServeHTTP(rec, req)
			if rec.Code != tc.wantCode {
				t.Errorf("%d %s, want %d", rec.Code, rec.Body, tc.wantCode)
			}
			if got := f.outboxed(id) == 1; got != tc.wantEvent {
				t.Errorf("expiration.completed recorded: %v, want %v", got, tc.wantEvent)
			}
		})
	}
}

func TestProductionRefusesLoopbackCallsWithoutAToken(t *testing.T) {
	t.Parallel()
	k := newKeys(t)
	f := newFn(t, withoutRun, withVerifier(k.verifier(t), invoker, audience))
	id := newOrderID()
	f.MustDeliver(orderCreated(t, id, time.Now().Add(-time.Second)))
	httpxtest.WantError(t, f.expire(expireBody(id)), http.StatusUnauthorized, "Not authorized", "")
}

func TestNewRefusesUnusableSettings(t *testing.T) {
	t.Parallel()
	db := openSQLite(t)
	k := newKeys(t)
	tests := map[string]struct {
		cfg  expiration.Config
		deps expiration.Deps
	}{
		"no expire URL":         {expiration.Config{}, expiration.Deps{Store: db, Sink: "http://broker"}},
		"relative expire URL":   {expiration.Config{ExpireURL: "/tasks/expire"}, expiration.Deps{Store: db, Sink: "http://broker"}},
		"no store":              {expiration.Config{ExpireURL: audience}, expiration.Deps{Sink: "http://broker"}},
		"no sink":               {expiration.Config{ExpireURL: audience}, expiration.Deps{Store: db}},
		"verifier, no invoker":  {expiration.Config{ExpireURL: audience}, expiration.Deps{Store: db, Sink: "http://broker", Verifier: k.verifier(t)}},
		"sink not a URL":        {expiration.Config{ExpireURL: audience}, expiration.Deps{Store: db, Sink: "broker"}},
		"bad embedded base URL": {expiration.Config{ExpireURL: "ftp://x/tasks/expire"}, expiration.Deps{Store: db, Sink: "http://broker"}},
	}
	for name, tc := range tests {
		if _, err := expiration.New(tc.cfg, tc.deps); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
}
