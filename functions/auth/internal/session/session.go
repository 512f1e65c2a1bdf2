// Package session holds the rules of refresh tokens (DESIGN §4): a random
// 256-bit secret that only the browser keeps, known to the store by its
// hash; tokens chained in a family that a sign-in starts; each token used
// once, and a second use of one revoking its whole family, unless it comes
// within Grace of the first (two tabs refreshing at once).
package session

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"

	"github.com/buytickets/buytickets/shared/apperr"
)

// SecretLen is the length of a refresh secret, in bytes.
const SecretLen = 32

// Grace is how long after its rotation a refresh token still yields the
// successor it was exchanged for, rather than revoking its family: two tabs,
// or two requests of one page, that refresh with the same token at once all
// stay signed in. A later reuse is taken for a stolen token.
const Grace = 10 * time.Second

// The reasons a refresh token is refused. Each is answered 401 "Not
// authorized"; Refused wraps them in that apperr.Unauthorized, and errors.Is
// still tells them apart, for logs and tests.
var (
	// ErrUnknown is a token never issued, or no token at all.
	ErrUnknown = errors.New("session: unknown refresh token")
	// ErrExpired is a token past its expiry.
	ErrExpired = errors.New("session: refresh token expired")
	// ErrRevoked is a token whose family was revoked, by a sign-out or a reuse.
	ErrRevoked = errors.New("session: refresh token's family revoked")
	// ErrReused is a token presented again after it was exchanged.
	ErrReused = errors.New("session: refresh token used twice; family revoked")
)

// ErrRefused is the one answer to every refused refresh token, whatever its
// reason: 401 "Not authorized", as to a request with no session at all.
var ErrRefused = apperr.New(apperr.Unauthorized, "Not authorized")

// Refused returns reason as the ErrRefused a client sees.
func Refused(reason error) error {
	return ErrRefused.With(reason)
}

// Refresh is a stored refresh token.
type Refresh struct {
	// ID is the hex SHA-256 of the secret: the store never sees the secret.
	ID        string
	UserID    string
	FamilyID  string
	ExpiresAt time.Time
	// Rotated is set once the token has been exchanged for the next one,
	// at RotatedAt.
	Rotated   bool
	RotatedAt time.Time
}

// Family is a chain of refresh tokens started by one sign-in.
type Family struct {
	ID      string
	UserID  string
	Revoked bool
}

// NewSecret returns a fresh secret, for the browser's cookie, and its ID,
// for the store.
func NewSecret() (secret, id string) {
	var b [SecretLen]byte
	// crypto/rand.Read never returns an error since Go 1.24.
	_, _ = rand.Read(b[:])
	secret = base64.RawURLEncoding.EncodeToString(b[:])
	return secret, hashID(b[:])
}

// IDOf returns the ID of a secret presented by a browser, or ErrUnknown when
// it cannot be a secret NewSecret made.
func IDOf(secret string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(secret)
	if err != nil || len(b) != SecretLen {
		return "", ErrUnknown
	}
	return hashID(b), nil
}

func hashID(secret []byte) string {
	sum := sha256.Sum256(secret)
	return hex.EncodeToString(sum[:])
}

// Start returns the first token of a new family for userID, with a fresh
// secret, valid for lifetime from now.
func Start(userID string, now time.Time, lifetime time.Duration) (secret string, f Family, r Refresh) {
	secret, id := NewSecret()
	_, familyID := NewSecret()
	f = Family{ID: familyID, UserID: userID}
	r = Refresh{ID: id, UserID: userID, FamilyID: familyID, ExpiresAt: now.Add(lifetime).UTC()}
	return secret, f, r
}

// Check says what presenting r, of family f, at now does: ErrRevoked when
// its family is revoked, ErrExpired past its expiry, ErrReused when it was
// exchanged more than Grace ago (the caller must then revoke the family).
// Otherwise it may be used: replay is true when it was exchanged within
// Grace, and the caller answers the successor it was exchanged for again;
// false when it is to be exchanged now.
func (r Refresh) Check(f Family, now time.Time) (replay bool, err error) {
	switch {
	case f.Revoked:
		return false, ErrRevoked
	case !now.Before(r.ExpiresAt):
		return false, ErrExpired
	case r.Rotated && now.Before(r.RotatedAt.Add(Grace)):
		return true, nil
	case r.Rotated:
		return false, ErrReused
	}
	return false, nil
}

// Rotate returns r marked as exchanged at now.
func (r Refresh) Rotate(now time.Time) Refresh {
	r.Rotated, r.RotatedAt = true, now.UTC()
	return r
}

// Next returns the token that replaces r, in r's family, known by nextID
// and valid for lifetime from now.
func (r Refresh) Next(nextID string, now time.Time, lifetime time.Duration) Refresh {
	return Refresh{ID: nextID, UserID: r.UserID, FamilyID: r.FamilyID, ExpiresAt: now.Add(lifetime).UTC()}
}

// Successors derives the secret each refresh secret is exchanged for. The
// store keeps no secret, only its hash, so a successor that must be answered
// twice (a replay within Grace) has to be derivable again from what the
// browser presents: it is the HMAC-SHA256 of the presented secret under a
// server key, which no one without that key can compute.
type Successors struct {
	key []byte
}

// successorLabel separates the successors' key from other uses of the
// server key it is derived from.
const successorLabel = "buytickets refresh successor v1"

// NewSuccessors returns the Successors keyed by serverKey (the JWT key,
// which every replica of auth shares, so each derives the same successor).
func NewSuccessors(serverKey []byte) Successors {
	m := hmac.New(sha256.New, serverKey)
	m.Write([]byte(successorLabel))
	return Successors{key: m.Sum(nil)}
}

// Of returns the successor of secret, for the browser's cookie, and its ID,
// for the store; ErrUnknown when secret cannot be a refresh secret.
func (s Successors) Of(secret string) (next, nextID string, err error) {
	b, err := base64.RawURLEncoding.DecodeString(secret)
	if err != nil || len(b) != SecretLen {
		return "", "", ErrUnknown
	}
	m := hmac.New(sha256.New, s.key)
	m.Write(b)
	sum := m.Sum(nil)
	return base64.RawURLEncoding.EncodeToString(sum), hashID(sum), nil
}
