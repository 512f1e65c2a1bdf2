package auth

import (
	"cmp"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token defaults (DESIGN §4).
const (
	// DefaultIssuer is the iss claim when TokenConfig.Issuer is empty.
	DefaultIssuer = "buytickets"
	// DefaultAudience is the aud claim when TokenConfig.Audience is empty.
	DefaultAudience = "buytickets"
	// AccessLifetime is the access token's lifetime when TokenConfig.Lifetime is zero.
	AccessLifetime = 15 * time.Minute
	// MinKeyLen is the shortest HS256 key NewTokens accepts, in bytes.
	MinKeyLen = 32
)

// signingMethod is the only algorithm issued and accepted.
var signingMethod = jwt.SigningMethodHS256

// TokenConfig configures Tokens. Only Key is required.
type TokenConfig struct {
	// Key is the HS256 secret (JWT_KEY), at least MinKeyLen bytes.
	Key []byte
	// Issuer is the iss claim issued and required; DefaultIssuer when empty.
	Issuer string
	// Audience is the aud claim issued and required; DefaultAudience when empty.
	Audience string
	// Lifetime is how long an access token is valid; AccessLifetime when zero.
	Lifetime time.Duration
	// Leeway tolerates clock skew between the issuing and the verifying
	// process when checking exp and iat; zero when unset.
	Leeway time.Duration
	// Now is the clock; time.Now when nil. Tests set it.
	Now func() time.Time
}

// Tokens issues and verifies access tokens. It is safe for concurrent use.
type Tokens struct {
	key      []byte
	issuer   string
	audience string
	lifetime time.Duration
	now      func() time.Time
	parser   *jwt.Parser
}

// claims is the access token's payload: the registered claims plus the
// email and, for an admin, the role.
type claims struct {
	Email string `json:"email"`
	Role  Role   `json:"role,omitempty"`
	jwt.RegisteredClaims
}

// CheckKey reports a key too short to sign or verify access tokens with,
// as a function's Config.Validate does with its JWT_KEY: the error names
// the setting but never its value.
func CheckKey(key string) error {
	if len(key) < MinKeyLen {
		return fmt.Errorf("JWT_KEY must be at least %d bytes", MinKeyLen)
	}
	return nil
}

// NewTokens returns Tokens for cfg, or an error when the key is shorter than
// MinKeyLen bytes or a duration is negative.
func NewTokens(cfg TokenConfig) (*Tokens, error) {
	if len(cfg.Key) < MinKeyLen {
		return nil, fmt.Errorf("auth.NewTokens: key is %d bytes, need at least %d", len(cfg.Key), MinKeyLen)
	}
	if cfg.Lifetime < 0 || cfg.Leeway < 0 {
		return nil, fmt.Errorf("auth.NewTokens: negative lifetime %v or leeway %v", cfg.Lifetime, cfg.Leeway)
	}
	t := &Tokens{
		key:      append([]byte(nil), cfg.Key...),
		issuer:   cmp.Or(cfg.Issuer, DefaultIssuer),
		audience: cmp.Or(cfg.Audience, DefaultAudience),
		lifetime: cmp.Or(cfg.Lifetime, AccessLifetime),
		now:      cfg.Now,
	}
	if t.now == nil {
		t.now = time.Now
	}
	t.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{signingMethod.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithIssuer(t.issuer),
		jwt.WithAudience(t.audience),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithTimeFunc(t.now),
	)
	return t, nil
}

// Lifetime returns how long the tokens Issue signs are valid, which is also
// the session cookie's Max-Age.
func (t *Tokens) Lifetime() time.Duration { return t.lifetime }

// Issue signs an access token for the user, valid from now for the lifetime,
// and returns it with the User it describes (times at one-second precision,
// as Verify will return them). userID and email must not be empty.
func (t *Tokens) Issue(userID, email string) (string, User, error) {
	return t.IssueAs(userID, email, RoleUser)
}

// IssueAs is Issue for a user of role: the token carries it, so that every
// function knows an admin without asking auth.
func (t *Tokens) IssueAs(userID, email string, role Role) (string, User, error) {
	if userID == "" || email == "" {
		return "", User{}, errors.New("auth.Issue: empty user id or email")
	}
	if role != RoleUser && role != RoleAdmin {
		return "", User{}, fmt.Errorf("auth.Issue: unknown role %q", role)
	}
	iat := t.now().UTC().Truncate(time.Second)
	u := User{ID: userID, Email: email, Role: role, TokenID: rand.Text(), IssuedAt: iat, ExpiresAt: iat.Add(t.lifetime)}
	c := claims{
		Email: email,
		Role:  role,
		RegisteredClaims: jwt.RegisteredClaims{
			ID:        u.TokenID,
			Issuer:    t.issuer,
			Subject:   userID,
			Audience:  jwt.ClaimStrings{t.audience},
			IssuedAt:  jwt.NewNumericDate(u.IssuedAt),
			ExpiresAt: jwt.NewNumericDate(u.ExpiresAt),
		},
	}
	token, err := jwt.NewWithClaims(signingMethod, c).SignedString(t.key)
	if err != nil {
		return "", User{}, fmt.Errorf("auth.Issue: sign: %w", err)
	}
	return token, u, nil
}

// Verify checks token's signature (HS256 only), exp, iat, iss, aud and sub,
// and that it lives no longer than the access lifetime, and returns the
// User it describes. Every failure is ErrNotAuthorized
// (errors.Is matches) wrapping the reason, which is safe to log: it never
// contains the token.
func (t *Tokens) Verify(token string) (User, error) {
	var c claims
	if _, err := t.parser.ParseWithClaims(token, &c, t.keyFunc); err != nil {
		return User{}, unauthorized(err)
	}
	// golang-jwt checks iat only when present; the design requires it.
	switch {
	case c.IssuedAt == nil:
		return User{}, unauthorized(errors.New("token has no iat claim"))
	case c.Subject == "":
		return User{}, unauthorized(errors.New("token has no sub claim"))
	case c.Email == "":
		return User{}, unauthorized(errors.New("token has no email claim"))
	case c.Role != RoleUser && c.Role != RoleAdmin:
		return User{}, unauthorized(fmt.Errorf("token has an unknown role %q", c.Role))
	case c.ExpiresAt.Sub(c.IssuedAt.Time) > t.lifetime:
		// A token minted with the key for longer than sessions allow (a
		// leaked key's ten-year token, say) is refused all the same.
		return User{}, unauthorized(fmt.Errorf("token lives %v, longer than %v", c.ExpiresAt.Sub(c.IssuedAt.Time), t.lifetime))
	}
	return User{
		ID:        c.Subject,
		Email:     c.Email,
		Role:      c.Role,
		TokenID:   c.ID,
		IssuedAt:  c.IssuedAt.UTC(),
		ExpiresAt: c.ExpiresAt.UTC(),
	}, nil
}

// keyFunc returns the HMAC key. The parser has already refused any method
// but HS256; the type check keeps a key of the wrong kind from ever being used.
func (t *Tokens) keyFunc(tok *jwt.Token) (any, error) {
	if _, ok := tok.Method.(*jwt.SigningMethodHMAC); !ok {
		return nil, fmt.Errorf("unexpected signing method %q", tok.Method.Alg())
	}
	return t.key, nil
}

func unauthorized(cause error) error {
	return ErrNotAuthorized.With(fmt.Errorf("auth.Verify: %w", cause))
}
