// Package password hashes and verifies passwords with scrypt (DESIGN §4).
//
// A hash is encoded with its parameters, "scrypt$N$r$p$salt$key" with the
// salt and key in unpadded standard base64, so a hash keeps verifying after
// the cost changes. Each hash holds 128·N·r bytes while it runs (128 MiB at
// the default cost), so a Hasher runs at most one hash per CPU at a time and
// a burst of sign-ins queues instead of exhausting memory.
package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/crypto/scrypt"

	"github.com/buytickets/buytickets/shared/apperr"
)

// The parameters of DESIGN §4. Only the cost N is configurable.
const (
	// DefaultCost is scrypt's N in production.
	DefaultCost = 1 << 17
	// BlockSize is scrypt's r.
	BlockSize = 8
	// Parallelism is scrypt's p.
	Parallelism = 1
	// SaltLen is the length of a fresh salt, in bytes.
	SaltLen = 16
	// KeyLen is the length of a fresh derived key, in bytes.
	KeyLen = 32
)

// maxMemory bounds 128·N·r for a stored hash, so a corrupt hash cannot make
// a verification take the process's memory.
const maxMemory = 1 << 30

const scheme = "scrypt"

var b64 = base64.RawStdEncoding

var (
	// ErrBusy is a hash that could not start before the request ended,
	// because every slot stayed taken. It is an apperr.Unavailable.
	ErrBusy = apperr.New(apperr.Unavailable, "Service is busy, please try again")
	// ErrMalformedHash is a stored hash this package cannot read.
	ErrMalformedHash = errors.New("password: malformed hash")
)

// Hasher hashes and verifies passwords. It is safe for concurrent use.
type Hasher struct {
	cost  int
	slots chan struct{}
	// dummy is a well-formed hash of no password, verified in place of an
	// account's hash when the account does not exist.
	dummy string
}

// NewHasher returns a Hasher that hashes at cost N (a power of two, at least
// 2; DefaultCost in production, something cheap like 1<<10 in tests) and
// runs at most runtime.NumCPU() hashes at once.
func NewHasher(cost int) (*Hasher, error) {
	if err := checkParams(cost, BlockSize, Parallelism); err != nil {
		return nil, fmt.Errorf("password.NewHasher: %w", err)
	}
	h := &Hasher{cost: cost, slots: make(chan struct{}, runtime.NumCPU())}
	h.dummy = encode(cost, BlockSize, Parallelism, random(SaltLen), random(KeyLen))
	return h, nil
}

// Cost returns the N that Hash uses.
func (h *Hasher) Cost() int { return h.cost }

// Hash returns the encoded hash of password with a fresh salt. It waits for
// a free slot, and returns ErrBusy if ctx ends first.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := random(SaltLen)
	key, err := h.derive(ctx, password, salt, h.cost, BlockSize, Parallelism, KeyLen)
	if err != nil {
		return "", err
	}
	return encode(h.cost, BlockSize, Parallelism, salt, key), nil
}

// Verify reports whether password matches encoded, a hash from Hash made at
// any cost, comparing in constant time. It returns ErrMalformedHash for a
// hash it cannot read and ErrBusy when ctx ends before a slot is free.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (bool, error) {
	n, r, p, salt, want, err := decode(encoded)
	if err != nil {
		return false, err
	}
	got, err := h.derive(ctx, password, salt, n, r, p, len(want))
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// VerifyNone does the work of Verify against a hash no password matches,
// so that a sign-in for an unknown email takes as long as one with a wrong
// password. It returns only ErrBusy, when ctx ends before a slot is free.
func (h *Hasher) VerifyNone(ctx context.Context, password string) error {
	_, err := h.Verify(ctx, password, h.dummy)
	return err
}

// derive runs scrypt in one of the Hasher's slots.
func (h *Hasher) derive(ctx context.Context, password string, salt []byte, n, r, p, keyLen int) ([]byte, error) {
	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ErrBusy.With(fmt.Errorf("password: waiting for a slot: %w", ctx.Err()))
	}
	defer func() { <-h.slots }()
	key, err := scrypt.Key([]byte(password), salt, n, r, p, keyLen)
	if err != nil {
		return nil, fmt.Errorf("scrypt.Key: %w", err)
	}
	return key, nil
}

func encode(n, r, p int, salt, key []byte) string {
	return strings.Join([]string{scheme, strconv.Itoa(n), strconv.Itoa(r), strconv.Itoa(p),
		b64.EncodeToString(salt), b64.EncodeToString(key)}, "$")
}

// decode reads a hash encode wrote. Its errors never contain the hash.
func decode(encoded string) (n, r, p int, salt, key []byte, err error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != scheme {
		return 0, 0, 0, nil, nil, fmt.Errorf("%w: not an %s hash", ErrMalformedHash, scheme)
	}
	var nums [3]int
	for i, s := range parts[1:4] {
		v, err := strconv.Atoi(s)
		if err != nil {
			return 0, 0, 0, nil, nil, fmt.Errorf("%w: parameter %d is not a number", ErrMalformedHash, i+1)
		}
		nums[i] = v
	}
	n, r, p = nums[0], nums[1], nums[2]
	if err := checkParams(n, r, p); err != nil {
		return 0, 0, 0, nil, nil, fmt.Errorf("%w: %v", ErrMalformedHash, err)
	}
	salt, err = b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 || len(salt) > 64 {
		return 0, 0, 0, nil, nil, fmt.Errorf("%w: bad salt", ErrMalformedHash)
	}
	key, err = b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 64 {
		return 0, 0, 0, nil, nil, fmt.Errorf("%w: bad key", ErrMalformedHash)
	}
	return n, r, p, salt, key, nil
}

// checkParams accepts the parameters scrypt accepts, within maxMemory.
func checkParams(n, r, p int) error {
	switch {
	case n < 2 || n&(n-1) != 0:
		return fmt.Errorf("cost N=%d is not a power of two of at least 2", n)
	case r < 1 || r > 64 || p < 1 || p > 16:
		return fmt.Errorf("r=%d, p=%d out of range", r, p)
	case n > maxMemory/128/r:
		return fmt.Errorf("cost N=%d with r=%d needs more than %d bytes", n, r, maxMemory)
	}
	return nil
}

func random(n int) []byte {
	b := make([]byte, n)
	// crypto/rand.Read never returns an error since Go 1.24.
	_, _ = rand.Read(b)
	return b
}
