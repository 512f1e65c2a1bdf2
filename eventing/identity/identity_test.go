package identity_test

import (
	"crypto/rand"
	"crypto/rsa"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/buytickets/buytickets/eventing/eventingtest"
	"github.com/buytickets/buytickets/eventing/identity"
)

const (
	audience = "buytickets/orders"
	trigger  = "system:serviceaccount:buytickets:orders-ticket-created-oidc-eventing.knative.dev-trigger"
)

// guarded serves a handler behind Require(trigger) and counts what gets
// through.
func guarded(t *testing.T, v *identity.Verifier) (*httptest.Server, *int) {
	t.Helper()
	var passed int
	srv := httptest.NewServer(v.Require(trigger)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subject, _ := identity.SubjectFrom(r.Context()); subject != trigger {
			t.Errorf("handler sees subject %q, want %q", subject, trigger)
		}
		passed++
		w.WriteHeader(http.StatusOK)
	})))
	t.Cleanup(srv.Close)
	return srv, &passed
}

func post(t *testing.T, url, authorization string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader("{}"))
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body := make([]byte, 512)
	n, _ := res.Body.Read(body)
	return res.StatusCode, string(body[:n])
}

func TestTheClusterIssuersServiceAccountTokensAreCheckedOneByOne(t *testing.T) {
	t.Parallel()
	is := eventingtest.NewIssuer(t)
	other := eventingtest.NewIssuer(t)
	v, err := identity.NewVerifier(is.URL, audience, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, passed := guarded(t, v)

	// Signed with a key the issuer never published, under its name and key id.
	stranger, _ := rsa.GenerateKey(rand.Reader, 2048)
	forged := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": is.URL, "sub": trigger, "aud": []string{audience}, "exp": time.Now().Add(time.Hour).Unix(),
	})
	forged.Header["kid"] = "test-key-1"
	forgedRaw, _ := forged.SignedString(stranger)

	for _, tc := range []struct {
		name, authorization string
		want                int
	}{
		{"valid", "Bearer " + is.Token(t, trigger, audience, time.Hour), http.StatusOK},
		{"no token", "", http.StatusUnauthorized},
		{"not a bearer token", "Basic dXNlcjpwYXNz", http.StatusUnauthorized},
		{"not a JWT", "Bearer not-a-token", http.StatusUnauthorized},
		{"expired", "Bearer " + is.Token(t, trigger, audience, -time.Minute), http.StatusUnauthorized},
		{"wrong audience", "Bearer " + is.Token(t, trigger, "buytickets/payments", time.Hour), http.StatusUnauthorized},
		{"wrong issuer", "Bearer " + other.Token(t, trigger, audience, time.Hour), http.StatusUnauthorized},
		{"wrong key", "Bearer " + forgedRaw, http.StatusUnauthorized},
		{"wrong subject", "Bearer " + is.Token(t, "system:serviceaccount:buytickets:web", audience, time.Hour), http.StatusUnauthorized},
		{"the embedded key's token", "Bearer " + eventingtest.Sign(t, trigger, audience), http.StatusUnauthorized},
	} {
		before := *passed
		status, body := post(t, srv.URL, tc.authorization)
		if status != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, status, body, tc.want)
		}
		if status == http.StatusUnauthorized && (*passed != before || !strings.Contains(body, `"errors":[{"message":`)) {
			t.Errorf("%s: refused with %s, and the handler ran %d times; want the error shape and no effect", tc.name, body, *passed-before)
		}
	}
}

func TestAnUnreachableIssuerIsRetriedNotRefused(t *testing.T) {
	t.Parallel()
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	v, err := identity.NewVerifier(down.URL, audience, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv, passed := guarded(t, v)
	if status, body := post(t, srv.URL, "Bearer x.y.z"); status != http.StatusServiceUnavailable || *passed != 0 {
		t.Errorf("issuer down: %d %s, want 503 (the broker retries) and no effect", status, body)
	}
}

func TestAVerifierNeedsAnIssuerAndAnAudience(t *testing.T) {
	t.Parallel()
	for _, tc := range [][2]string{{"", audience}, {"https://issuer", ""}} {
		if _, err := identity.NewVerifier(tc[0], tc[1], nil); err == nil {
			t.Errorf("NewVerifier(%q, %q) succeeded", tc[0], tc[1])
		}
	}
}

func TestAKeysTokensVerifyOnlyForTheirAudienceAndKey(t *testing.T) {
	t.Parallel()
	key := identity.GenerateKey()
	token, err := key.Signer(trigger).Token(t.Context(), audience)
	if err != nil {
		t.Fatal(err)
	}
	if subject, err := key.Verifier(audience).Verify(t.Context(), token); err != nil || subject != trigger {
		t.Errorf("own audience: %q, %v; want %q", subject, err, trigger)
	}
	if _, err := key.Verifier("buytickets/payments").Verify(t.Context(), token); err == nil {
		t.Error("another audience accepted the token")
	}
	if _, err := identity.GenerateKey().Verifier(audience).Verify(t.Context(), token); err == nil {
		t.Error("another key accepted the token")
	}
	seeded, err := identity.NewKey(key.Seed())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := seeded.Verifier(audience).Verify(t.Context(), token); err != nil {
		t.Errorf("the key rebuilt from its seed refused its token: %v", err)
	}
	if _, err := identity.NewKey([]byte("short")); err == nil {
		t.Error("NewKey took a short seed")
	}
}

func TestASignerReusesItsTokenPerAudience(t *testing.T) {
	t.Parallel()
	s := identity.GenerateKey().Signer(trigger)
	a1, _ := s.Token(t.Context(), "a")
	a2, _ := s.Token(t.Context(), "a")
	b, _ := s.Token(t.Context(), "b")
	if a1 != a2 || a1 == b {
		t.Errorf("tokens a, a, b: same %v, %v; want one token per audience", a1 == a2, a1 == b)
	}
}

func TestAProjectedTokenFileIsReadAgainWhenKubernetesRenewsIt(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "token")
	f := identity.NewFile(path)
	if _, err := f.Token(t.Context(), ""); err == nil {
		t.Error("a missing token file gave a token")
	}
	write := func(token string, at time.Time) {
		if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, at, at); err != nil {
			t.Fatal(err)
		}
	}
	write("first", time.Now().Add(-time.Hour))
	if got, err := f.Token(t.Context(), ""); err != nil || got != "first" {
		t.Errorf("token %q, %v; want first", got, err)
	}
	write("second", time.Now())
	if got, err := f.Token(t.Context(), ""); err != nil || got != "second" {
		t.Errorf("after renewal: token %q, %v; want second", got, err)
	}
	write("", time.Now().Add(time.Minute))
	if _, err := f.Token(t.Context(), ""); err == nil {
		t.Error("an empty token file gave a token")
	}
}

func TestARememberedTokenIsRefusedOnceItExpires(t *testing.T) {
	t.Parallel()
	key := identity.GenerateKey()
	v := key.Verifier(audience)
	token, err := key.Sign(trigger, audience, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if subject, err := v.Verify(t.Context(), token); err != nil || subject != trigger {
			t.Fatalf("fresh token: %q, %v", subject, err)
		}
	}
	// The same claims under a broken signature are another token.
	broken := []byte(token)
	if i := len(broken) - 10; broken[i] == 'A' {
		broken[i] = 'B'
	} else {
		broken[i] = 'A'
	}
	if _, err := v.Verify(t.Context(), string(broken)); err == nil {
		t.Error("a token with a broken signature passed after its original was verified")
	}
	time.Sleep(3 * time.Second)
	if _, err := v.Verify(t.Context(), token); err == nil {
		t.Error("a verified token still passes after its expiry")
	}
}
