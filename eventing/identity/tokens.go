package identity

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TokenSource presents tokens: Token returns one for audience, valid for a
// while yet.
type TokenSource interface {
	Token(ctx context.Context, audience string) (string, error)
}

// EmbeddedIssuer is the issuer of a Key's tokens.
const EmbeddedIssuer = "https://buytickets.localhost/events"

// Lifetime is how long a Key's token is valid; a Signer presents the same
// one until it has less than a quarter of that left.
const Lifetime = 10 * time.Minute

// Key is the embedded default's token issuer: an Ed25519 key the stack
// generates into its data folder, as the cluster's issuer is on Knative.
type Key struct {
	private ed25519.PrivateKey
	now     func() time.Time
}

// NewKey returns the key of seed (ed25519.SeedSize bytes).
func NewKey(seed []byte) (*Key, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("identity.NewKey: a seed is %d bytes, not %d", ed25519.SeedSize, len(seed))
	}
	return &Key{private: ed25519.NewKeyFromSeed(seed), now: time.Now}, nil
}

// GenerateKey returns a new random key.
func GenerateKey() *Key {
	seed := make([]byte, ed25519.SeedSize)
	rand.Read(seed)
	k, _ := NewKey(seed)
	return k
}

// Seed is the key's seed, to keep it.
func (k *Key) Seed() []byte { return k.private.Seed() }

// Public is the key's public half.
func (k *Key) Public() crypto.PublicKey { return k.private.Public() }

// Verifier returns the verifier of this key's tokens for audience.
func (k *Key) Verifier(audience string) *Verifier {
	return NewKeyVerifier(EmbeddedIssuer, audience, k.Public())
}

// Sign returns a token for subject and audience, valid for ttl from now,
// shaped as a Kubernetes service-account token is.
func (k *Key) Sign(subject, audience string, ttl time.Duration) (string, error) {
	now := k.now()
	claims := jwt.RegisteredClaims{
		Issuer:    EmbeddedIssuer,
		Subject:   subject,
		Audience:  jwt.ClaimStrings{audience},
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	}
	token, err := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims).SignedString(k.private)
	if err != nil {
		return "", fmt.Errorf("identity.Key.Sign: %w", err)
	}
	return token, nil
}

// Signer returns the token source of subject: the identity of one sender
// (a function, a Trigger, a PingSource).
func (k *Key) Signer(subject string) *Signer {
	return &Signer{key: k, subject: subject, cache: map[string]cached{}}
}

// Signer presents one subject's tokens, signed by a Key. It keeps each
// audience's token until it nears its expiry, so that a busy sender signs
// a few times an hour, not on every request.
type Signer struct {
	key     *Key
	subject string

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	token   string
	renewAt time.Time
}

// Subject is the identity the signer speaks for.
func (s *Signer) Subject() string { return s.subject }

// Token returns a token for audience.
func (s *Signer) Token(_ context.Context, audience string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.key.now()
	if c, ok := s.cache[audience]; ok && now.Before(c.renewAt) {
		return c.token, nil
	}
	token, err := s.key.Sign(s.subject, audience, Lifetime)
	if err != nil {
		return "", err
	}
	s.cache[audience] = cached{token: token, renewAt: now.Add(Lifetime * 3 / 4)}
	return token, nil
}

// DefaultTokenFile is where each publisher's Knative Service projects its
// own service-account token for the broker's audience (config/<function>/
// service.yaml). Not the SinkBinding's /oidc/token: that one is the
// SinkBinding's identity, shared by every function it binds, so the
// broker's EventPolicies could not tell one publisher from another.
const DefaultTokenFile = "/var/run/secrets/buytickets/tokens/broker/token" // Settings.TokenFile's default

// File presents the token Kubernetes keeps in a file: a projected
// service-account token, which the kubelet (or Knative's controller)
// renews well before it expires. File reads it again when it changes, so
// each request carries the current one; the audience is the one the
// projection names, so Token ignores its argument.
type File struct {
	path string

	mu      sync.Mutex
	token   string
	modTime time.Time
}

// NewFile returns the token source of the file at path.
func NewFile(path string) *File { return &File{path: path} }

// Token returns the file's token, read again when the file has changed.
func (f *File) Token(context.Context, string) (string, error) {
	info, err := os.Stat(f.path)
	if err != nil {
		return "", fmt.Errorf("identity.File: %w", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.token != "" && info.ModTime().Equal(f.modTime) {
		return f.token, nil
	}
	b, err := os.ReadFile(f.path)
	if err != nil {
		return "", fmt.Errorf("identity.File: %w", err)
	}
	token := strings.TrimSpace(string(b))
	if token == "" {
		return "", errors.New("identity.File: " + f.path + " is empty")
	}
	f.token, f.modTime = token, info.ModTime()
	return token, nil
}
