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
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

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

// Admission is how many hashes a Hasher runs at once (Slots) and how many
// more may wait for a slot (Queue); one more is refused with ErrBusy.
type Admission struct {
	Slots, Queue int
}

// headroom is the memory kept for everything but hashing: the server, the
// store, the requests.
const headroom = 64 << 20

// AdmissionFor returns the admission that fits a process of memLimit bytes
// (math.MaxInt64 for none) and procs CPUs, hashing at cost: as many slots
// as the memory left after headroom holds hashes of 128·N·r bytes, and no
// more than the CPUs can run (at least one); and a queue of as many as the
// slots get through in maxQueueWait (at least four per slot), so no request
// waits for much longer than that. A hash takes about hashTime at
// DefaultCost, and proportionally less at a lower cost.
func AdmissionFor(cost int, memLimit int64, procs int) Admission {
	perHash := max(int64(128*cost*BlockSize), 1)
	slots := max(procs, 1)
	if memLimit > headroom {
		slots = min(slots, int(max((memLimit-headroom)/perHash, 1)))
	} else if memLimit > 0 {
		slots = 1
	}
	each := max(hashTime*time.Duration(cost)/DefaultCost, time.Microsecond)
	return Admission{Slots: slots, Queue: slots * max(4, int(maxQueueWait/each))}
}

// hashTime is how long one hash at DefaultCost takes on one CPU (measured:
// about 0.45 s), and maxQueueWait how long a request may wait in the queue.
const (
	hashTime     = 450 * time.Millisecond
	maxQueueWait = 2 * time.Second
)

// SystemAdmission is AdmissionFor the process as it runs: its memory limit
// is the lower of GOMEMLIMIT and its cgroup's (memory.max), and its CPUs are
// GOMAXPROCS, which the Go runtime sets from the cgroup's CPU limit.
func SystemAdmission(cost int) Admission {
	return AdmissionFor(cost, memoryLimit(), runtime.GOMAXPROCS(0))
}

// memoryLimit is the lower of GOMEMLIMIT and the cgroup v2 memory.max;
// math.MaxInt64 when neither is set.
func memoryLimit() int64 {
	limit := debug.SetMemoryLimit(-1) // reads it
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 {
			limit = min(limit, n)
		}
	}
	return limit
}

// Hasher hashes and verifies passwords. It is safe for concurrent use.
type Hasher struct {
	cost  int
	slots chan struct{}
	// waiting counts the hashes in a slot or waiting for one; admitted
	// bounds it at Slots+Queue.
	waiting  atomic.Int64
	admitted int64
	// running and peak count the hashes running, and the most at once.
	running, peak atomic.Int64
	// dummy is a well-formed hash of no password, verified in place of an
	// account's hash when the account does not exist.
	dummy string
}

// NewHasher returns a Hasher that hashes at cost N (a power of two, at least
// 2; DefaultCost in production, something cheap like 1<<10 in tests) with
// the process's SystemAdmission.
func NewHasher(cost int) (*Hasher, error) {
	return NewHasherAdmitting(cost, SystemAdmission(cost))
}

// NewHasherAdmitting is NewHasher with admission a.
func NewHasherAdmitting(cost int, a Admission) (*Hasher, error) {
	if err := checkParams(cost, BlockSize, Parallelism); err != nil {
		return nil, fmt.Errorf("password.NewHasher: %w", err)
	}
	if a.Slots < 1 || a.Queue < 0 {
		return nil, fmt.Errorf("password.NewHasher: admission %+v: at least one slot and no negative queue", a)
	}
	h := &Hasher{cost: cost, slots: make(chan struct{}, a.Slots), admitted: int64(a.Slots + a.Queue)}
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

// Peak is the most hashes that ran at once.
func (h *Hasher) Peak() int { return int(h.peak.Load()) }

// derive runs scrypt in one of the Hasher's slots: ErrBusy at once when the
// slots and the queue are full, or when ctx ends while it waits.
func (h *Hasher) derive(ctx context.Context, password string, salt []byte, n, r, p, keyLen int) ([]byte, error) {
	if h.waiting.Add(1) > h.admitted {
		h.waiting.Add(-1)
		return nil, ErrBusy.With(errors.New("password: every slot taken and the queue full"))
	}
	defer h.waiting.Add(-1)
	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ErrBusy.With(fmt.Errorf("password: waiting for a slot: %w", ctx.Err()))
	}
	defer func() { <-h.slots }()
	running := h.running.Add(1)
	defer h.running.Add(-1)
	for peak := h.peak.Load(); running > peak && !h.peak.CompareAndSwap(peak, running); peak = h.peak.Load() {
	}
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
