package auth_test

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/buytickets/buytickets/shared/apperr"
	"github.com/buytickets/buytickets/shared/auth"
)

var (
	testKey  = []byte("0123456789abcdef0123456789abcdef")
	otherKey = []byte("fedcba9876543210fedcba9876543210")
	// t0 is the fixed "now" of every test clock.
	t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
)

func clockAt(t time.Time) func() time.Time { return func() time.Time { return t } }

// newTokens returns Tokens with the test key whose clock reads now.
func newTokens(tb testing.TB, now time.Time) *auth.Tokens {
	tb.Helper()
	tokens, err := auth.NewTokens(auth.TokenConfig{Key: testKey, Now: clockAt(now)})
	if err != nil {
		tb.Fatalf("NewTokens: %v", err)
	}
	return tokens
}

// issue returns a token for user-1 signed by Tokens whose clock reads now.
func issue(tb testing.TB, now time.Time) string {
	tb.Helper()
	token, _, err := newTokens(tb, now).Issue("user-1", "a@example.com")
	if err != nil {
		tb.Fatalf("Issue: %v", err)
	}
	return token
}

// sign signs claims with method and key, as a forger would.
func sign(tb testing.TB, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	tb.Helper()
	token, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		tb.Fatalf("sign: %v", err)
	}
	return token
}

// validClaims are the claims Issue would write at t0, for forgers to alter.
func validClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"iss":   auth.DefaultIssuer,
		"aud":   []string{auth.DefaultAudience},
		"sub":   "user-1",
		"email": "a@example.com",
		"iat":   t0.Unix(),
		"exp":   t0.Add(auth.AccessLifetime).Unix(),
	}
}

func without(c jwt.MapClaims, key string) jwt.MapClaims {
	delete(c, key)
	return c
}

func with(c jwt.MapClaims, key string, v any) jwt.MapClaims {
	c[key] = v
	return c
}

// forgedToken is a token that must not verify at t0.
type forgedToken struct {
	name  string
	token string
}

// forgedTokens returns one token for each way a session can be forged,
// stale or malformed, judged by Tokens whose clock reads t0.
// eachForged runs check as a parallel subtest per forged token, named
// after it, with tokens of t0 that must refuse it.
func eachForged(t *testing.T, check func(t *testing.T, tokens *auth.Tokens, token string)) {
	t.Helper()
	tokens := newTokens(t, t0)
	for _, tc := range forgedTokens(t) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			check(t, tokens, tc.token)
		})
	}
}

func forgedTokens(tb testing.TB) []forgedToken {
	tb.Helper()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatalf("rsa.GenerateKey: %v", err)
	}
	valid := issue(tb, t0)
	parts := strings.Split(valid, ".")
	return []forgedToken{
		{"empty", ""},
		{"not a JWT", "not-a-token"},
		{"alg none", sign(tb, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, validClaims())},
		{"wrong key", sign(tb, jwt.SigningMethodHS256, otherKey, validClaims())},
		{"HS512 with the right key", sign(tb, jwt.SigningMethodHS512, testKey, validClaims())},
		{"RS256 signed with an RSA key", sign(tb, jwt.SigningMethodRS256, rsaKey, validClaims())},
		{"RS256 header over an HMAC signature", hmacUnderHeader(tb, `{"alg":"RS256","typ":"JWT"}`, validClaims())},
		{"tampered payload", parts[0] + "." + encodeSegment(tb, with(validClaims(), "sub", "user-2")) + "." + parts[2]},
		{"signature stripped", parts[0] + "." + parts[1] + "."},
		{"expired", issue(tb, t0.Add(-auth.AccessLifetime-time.Second))},
		{"expiring exactly now", issue(tb, t0.Add(-auth.AccessLifetime))},
		{"issued in the future", issue(tb, t0.Add(time.Minute))},
		{"missing iat", sign(tb, jwt.SigningMethodHS256, testKey, without(validClaims(), "iat"))},
		{"missing exp", sign(tb, jwt.SigningMethodHS256, testKey, without(validClaims(), "exp"))},
		{"missing sub", sign(tb, jwt.SigningMethodHS256, testKey, without(validClaims(), "sub"))},
		{"empty sub", sign(tb, jwt.SigningMethodHS256, testKey, with(validClaims(), "sub", ""))},
		{"missing email", sign(tb, jwt.SigningMethodHS256, testKey, without(validClaims(), "email"))},
		{"wrong audience", sign(tb, jwt.SigningMethodHS256, testKey, with(validClaims(), "aud", []string{"elsewhere"}))},
		{"missing audience", sign(tb, jwt.SigningMethodHS256, testKey, without(validClaims(), "aud"))},
		{"wrong issuer", sign(tb, jwt.SigningMethodHS256, testKey, with(validClaims(), "iss", "elsewhere"))},
		{"missing issuer", sign(tb, jwt.SigningMethodHS256, testKey, without(validClaims(), "iss"))},
		{"unknown role", sign(tb, jwt.SigningMethodHS256, testKey, with(validClaims(), "role", "owner"))},
	}
}

func encodeSegment(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatalf("json.Marshal: %v", err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// hmacUnderHeader signs header.claims with HMAC-SHA256 and the real key,
// whatever alg the header names: the algorithm-confusion attack.
func hmacUnderHeader(tb testing.TB, header string, claims jwt.MapClaims) string {
	tb.Helper()
	signing := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + encodeSegment(tb, claims)
	mac := hmac.New(sha256.New, testKey)
	mac.Write([]byte(signing))
	return signing + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

func TestIssuedTokenVerifiesAsTheSameUser(t *testing.T) {
	t.Parallel()
	tokens := newTokens(t, t0.Add(500*time.Millisecond))
	token, issued, err := tokens.Issue("user-1", "a@example.com")
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	want := auth.User{ID: "user-1", Email: "a@example.com", TokenID: issued.TokenID, IssuedAt: t0, ExpiresAt: t0.Add(15 * time.Minute)}
	if _, again, _ := tokens.Issue("user-1", "a@example.com"); issued.TokenID == "" || again.TokenID == issued.TokenID {
		t.Errorf("token ids %q and %q, want each token its own", issued.TokenID, again.TokenID)
	}
	if issued != want {
		t.Errorf("Issue returned %+v, want %+v", issued, want)
	}
	got, err := tokens.Verify(token)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if got != want {
		t.Errorf("Verify = %+v, want %+v", got, want)
	}
}

func TestAnAdminsTokenSaysSoAndAnUnknownRoleIsRefused(t *testing.T) {
	t.Parallel()
	tokens := newTokens(t, t0)
	token, issued, err := tokens.IssueAs("user-1", "a@example.com", auth.RoleAdmin)
	if err != nil {
		t.Fatalf("IssueAs: %v", err)
	}
	got, err := tokens.Verify(token)
	if err != nil || got != issued || !got.Admin() {
		t.Errorf("Verify = %+v, %v; want the admin issued, %+v", got, err, issued)
	}
	if _, _, err := tokens.IssueAs("user-1", "a@example.com", "owner"); err == nil {
		t.Error("IssueAs issued a token of an unknown role")
	}
}

func TestTokenVerifiesUntilItsLifetimeEnds(t *testing.T) {
	t.Parallel()
	token := issue(t, t0)
	tests := []struct {
		name  string
		now   time.Time
		valid bool
	}{
		{"at issue", t0, true},
		{"one second before expiry", t0.Add(auth.AccessLifetime - time.Second), true},
		{"at expiry", t0.Add(auth.AccessLifetime), false},
		{"a day later", t0.Add(24 * time.Hour), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := newTokens(t, tc.now).Verify(token)
			if (err == nil) != tc.valid {
				t.Errorf("Verify at %v: err = %v, want valid %v", tc.now, err, tc.valid)
			}
		})
	}
}

func TestVerifyRejectsForgedTokensAsNotAuthorized(t *testing.T) {
	t.Parallel()
	eachForged(t, func(t *testing.T, tokens *auth.Tokens, token string) {
		u, err := tokens.Verify(token)
		if err == nil {
			t.Fatalf("Verify accepted a forged token as %+v", u)
		}
		if !errors.Is(err, auth.ErrNotAuthorized) || apperr.KindOf(err) != apperr.Unauthorized {
			t.Errorf("Verify error = %v, want ErrNotAuthorized", err)
		}
		if errors.Unwrap(err) == nil {
			t.Errorf("Verify error %v does not wrap its cause", err)
		}
		if token != "" && strings.Contains(err.Error(), token) {
			t.Errorf("Verify error contains the token: %v", err)
		}
		if u != (auth.User{}) {
			t.Errorf("Verify returned %+v with its error, want the zero User", u)
		}
	})
}

func TestVerifyHonoursConfiguredIssuerAndAudience(t *testing.T) {
	t.Parallel()
	other, err := auth.NewTokens(auth.TokenConfig{Key: testKey, Issuer: "other", Audience: "other", Now: clockAt(t0)})
	if err != nil {
		t.Fatalf("NewTokens: %v", err)
	}
	token, _, err := other.Issue("user-1", "a@example.com")
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	if _, err := other.Verify(token); err != nil {
		t.Errorf("Verify with the same issuer and audience: %v", err)
	}
	if _, err := newTokens(t, t0).Verify(token); err == nil {
		t.Error("default Tokens accepted a token for another issuer and audience")
	}
}

func TestLeewayToleratesClockSkew(t *testing.T) {
	t.Parallel()
	tokens, err := auth.NewTokens(auth.TokenConfig{Key: testKey, Leeway: 5 * time.Second, Now: clockAt(t0)})
	if err != nil {
		t.Fatalf("NewTokens: %v", err)
	}
	if _, err := tokens.Verify(issue(t, t0.Add(2*time.Second))); err != nil {
		t.Errorf("token issued 2s ahead with 5s leeway: %v", err)
	}
	if _, err := tokens.Verify(issue(t, t0.Add(10*time.Second))); err == nil {
		t.Error("token issued 10s ahead verified with 5s leeway")
	}
}

func TestNewTokensValidatesConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     auth.TokenConfig
		wantErr bool
	}{
		{"no key", auth.TokenConfig{}, true},
		{"31-byte key", auth.TokenConfig{Key: testKey[:31]}, true},
		{"32-byte key", auth.TokenConfig{Key: testKey}, false},
		{"negative lifetime", auth.TokenConfig{Key: testKey, Lifetime: -time.Minute}, true},
		{"negative leeway", auth.TokenConfig{Key: testKey, Leeway: -time.Second}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := auth.NewTokens(tc.cfg)
			if (err != nil) != tc.wantErr {
				t.Errorf("NewTokens err = %v, want error %v", err, tc.wantErr)
			}
		})
	}
}

func TestDefaultLifetimeIsFifteenMinutes(t *testing.T) {
	t.Parallel()
	if got := newTokens(t, t0).Lifetime(); got != 15*time.Minute {
		t.Errorf("Lifetime = %v, want 15m", got)
	}
}

func TestIssueRefusesAnEmptyIdentity(t *testing.T) {
	t.Parallel()
	tokens := newTokens(t, t0)
	for _, id := range [][2]string{{"", "a@example.com"}, {"user-1", ""}} {
		if _, _, err := tokens.Issue(id[0], id[1]); err == nil {
			t.Errorf("Issue(%q, %q) succeeded", id[0], id[1])
		}
	}
}

func TestNewTokensCopiesTheKey(t *testing.T) {
	t.Parallel()
	key := append([]byte(nil), testKey...)
	tokens, err := auth.NewTokens(auth.TokenConfig{Key: key, Now: clockAt(t0)})
	if err != nil {
		t.Fatalf("NewTokens: %v", err)
	}
	token, _, err := tokens.Issue("user-1", "a@example.com")
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	key[0] ^= 0xff
	if _, err := tokens.Verify(token); err != nil {
		t.Errorf("changing the caller's key slice broke verification: %v", err)
	}
}

func TestUserJSONHasUnixSecondTimes(t *testing.T) {
	t.Parallel()
	u := auth.User{ID: "user-1", Email: "a@example.com", IssuedAt: t0, ExpiresAt: t0.Add(15 * time.Minute)}
	b, err := json.Marshal(u)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	want := `{"id":"user-1","email":"a@example.com","iat":1893553445,"exp":1893554345}`
	if string(b) != want {
		t.Errorf("Marshal = %s, want %s", b, want)
	}
	var back auth.User
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("Unmarshal: %v", err)
	}
	if back != u {
		t.Errorf("round trip = %+v, want %+v", back, u)
	}
}
