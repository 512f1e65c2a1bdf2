package password

import (
	"context"
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/buytickets/buytickets/shared/apperr"
)

// testCost keeps each hash around a millisecond.
const testCost = 1 << 10

func newHasher(tb testing.TB, cost int) *Hasher {
	tb.Helper()
	h, err := NewHasher(cost)
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

func TestHashVerifiesTheRightPasswordOnly(t *testing.T) {
	t.Parallel()
	h := newHasher(t, testCost)
	ctx := context.Background()
	encoded, err := h.Hash(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, password string
		want           bool
	}{
		{"same password", "correct horse", true},
		{"wrong password", "correct horsf", false},
		{"different case", "Correct horse", false},
		{"prefix", "correct hors", false},
		{"longer", "correct horse ", false},
		{"empty", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ok, err := h.Verify(ctx, tc.password, encoded)
			if err != nil || ok != tc.want {
				t.Errorf("Verify(%q) = %v, %v; want %v", tc.password, ok, err, tc.want)
			}
		})
	}
}

func TestHashIsSelfDescribingAndSalted(t *testing.T) {
	t.Parallel()
	h := newHasher(t, testCost)
	a, err := h.Hash(context.Background(), "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.Hash(context.Background(), "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	format := regexp.MustCompile(`^scrypt\$1024\$8\$1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !format.MatchString(a) {
		t.Errorf("hash %q does not read scrypt$1024$8$1$<16-byte salt>$<32-byte key>", a)
	}
	if a == b {
		t.Error("two hashes of one password are equal: the salt is not fresh")
	}
	if strings.Contains(a, "correct horse") {
		t.Error("the hash contains the password")
	}
}

func TestCostIsHonoured(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cheap, dear := newHasher(t, testCost), newHasher(t, 2*testCost)
	if dear.Cost() != 2*testCost {
		t.Fatalf("Cost() = %d, want %d", dear.Cost(), 2*testCost)
	}
	encoded, err := dear.Hash(ctx, "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Split(encoded, "$")[1]; n != strconv.Itoa(2*testCost) {
		t.Fatalf("hash records N=%s, want %d", n, 2*testCost)
	}
	// A hash made at another cost still verifies: the hash carries its cost.
	if ok, err := cheap.Verify(ctx, "correct horse", encoded); !ok || err != nil {
		t.Errorf("Verify of a hash made at another cost = %v, %v; want true", ok, err)
	}
	// And the recorded cost is the one used: the same key under another N does not match.
	parts := strings.Split(encoded, "$")
	parts[1] = strconv.Itoa(testCost)
	if ok, err := cheap.Verify(ctx, "correct horse", strings.Join(parts, "$")); ok || err != nil {
		t.Errorf("Verify with N changed = %v, %v; want false", ok, err)
	}
}

func TestNewHasherRefusesBadCosts(t *testing.T) {
	t.Parallel()
	for _, cost := range []int{-1, 0, 1, 3, 1000, 1 << 21} {
		if _, err := NewHasher(cost); err == nil {
			t.Errorf("NewHasher(%d) succeeded, want an error", cost)
		}
	}
	if _, err := NewHasher(DefaultCost); err != nil {
		t.Errorf("NewHasher(DefaultCost): %v", err)
	}
}

func TestVerifyRefusesMalformedHashes(t *testing.T) {
	t.Parallel()
	h := newHasher(t, testCost)
	good, err := h.Hash(context.Background(), "correct horse")
	if err != nil {
		t.Fatal(err)
	}
	replace := func(i int, v string) string {
		parts := strings.Split(good, "$")
		parts[i] = v
		return strings.Join(parts, "$")
	}
	tests := map[string]string{
		"empty":              "",
		"plain text":         "correct horse",
		"other scheme":       replace(0, "bcrypt"),
		"too few parts":      "scrypt$1024$8$1$c2FsdA",
		"too many parts":     good + "$x",
		"N not a number":     replace(1, "many"),
		"N not a power of 2": replace(1, "1000"),
		"N of 1":             replace(1, "1"),
		"N too large":        replace(1, strconv.Itoa(1<<30)),
		"r of 0":             replace(2, "0"),
		"p of 0":             replace(3, "0"),
		"salt not base64":    replace(4, "!!!!"),
		"salt too short":     replace(4, "c2FsdA"),
		"key not base64":     replace(5, "????"),
		"key too short":      replace(5, "a2V5"),
	}
	for name, encoded := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ok, err := h.Verify(context.Background(), "correct horse", encoded)
			if ok || !errors.Is(err, ErrMalformedHash) {
				t.Errorf("Verify = %v, %v; want ErrMalformedHash", ok, err)
			}
			if encoded != "" && strings.Contains(err.Error(), encoded) {
				t.Errorf("error %q repeats the stored hash", err)
			}
		})
	}
}

func TestVerifyNoneMatchesNothing(t *testing.T) {
	t.Parallel()
	h := newHasher(t, testCost)
	if err := h.VerifyNone(context.Background(), "correct horse"); err != nil {
		t.Fatalf("VerifyNone: %v", err)
	}
	if ok, err := h.Verify(context.Background(), "", h.dummy); ok || err != nil {
		t.Errorf("the dummy hash verified the empty password: %v, %v", ok, err)
	}
	if n := strings.Split(h.dummy, "$")[1]; n != strconv.Itoa(testCost) {
		t.Errorf("dummy hash is at N=%s, want the hasher's cost %d, so it takes as long", n, testCost)
	}
}

func TestHashWaitsForASlotAndGivesUpWithTheRequest(t *testing.T) {
	t.Parallel()
	h := newHasher(t, testCost)
	for range cap(h.slots) {
		h.slots <- struct{}{} // every CPU busy
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(ctx, "correct horse"); !apperr.Is(err, apperr.Unavailable) {
		t.Errorf("Hash with every slot taken and the request gone = %v, want ErrBusy", err)
	}
	if _, err := h.Verify(ctx, "correct horse", h.dummy); !errors.Is(err, ErrBusy) {
		t.Errorf("Verify with every slot taken and the request gone = %v, want ErrBusy", err)
	}
	<-h.slots // one slot frees up
	if _, err := h.Hash(context.Background(), "correct horse"); err != nil {
		t.Errorf("Hash with a free slot: %v", err)
	}
}

func TestAdmissionFitsTheMemoryLimitAndTheCPUs(t *testing.T) {
	t.Parallel()
	const mib = 1 << 20
	tests := []struct {
		name     string
		memLimit int64
		procs    int
		want     Admission
	}{
		{"a 512 MiB pod with 8 CPUs hashes 3 at once", 512 * mib, 8, Admission{Slots: 3, Queue: 12}},
		{"no memory limit: one per CPU", math.MaxInt64, 2, Admission{Slots: 2, Queue: 8}},
		{"a 2 GiB pod with 2 CPUs: the CPUs bound it", 2048 * mib, 2, Admission{Slots: 2, Queue: 8}},
		{"less than one hash of room still hashes one", 100 * mib, 4, Admission{Slots: 1, Queue: 4}},
		{"less than the headroom still hashes one", 10 * mib, 4, Admission{Slots: 1, Queue: 4}},
	}
	// A cheap cost hashes fast: as many wait as get through in two seconds.
	if got := AdmissionFor(DefaultCost/16, math.MaxInt64, 2); got != (Admission{Slots: 2, Queue: 2 * 71}) {
		t.Errorf("AdmissionFor a 16 times cheaper cost = %+v, want a queue of 71 per slot", got)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := AdmissionFor(DefaultCost, tc.memLimit, tc.procs); got != tc.want {
				t.Errorf("AdmissionFor(%d MiB, %d CPUs) = %+v, want %+v", tc.memLimit/mib, tc.procs, got, tc.want)
			}
		})
	}
}

func TestABurstOfHashesRunsNoMoreThanTheSlotsAndRefusesBeyondTheQueue(t *testing.T) {
	t.Parallel()
	h, err := NewHasherAdmitting(testCost, Admission{Slots: 2, Queue: 3})
	if err != nil {
		t.Fatal(err)
	}
	// Both slots held: five requests wait, the sixth is refused at once.
	h.slots <- struct{}{}
	h.slots <- struct{}{}
	results := make(chan error, 5)
	for range 5 {
		go func() {
			_, err := h.Hash(context.Background(), "correct horse")
			results <- err
		}()
	}
	for deadline := time.Now().Add(10 * time.Second); h.waiting.Load() < 5; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d hashes waiting, want 5", h.waiting.Load())
		}
	}
	if _, err := h.Hash(context.Background(), "correct horse"); !errors.Is(err, ErrBusy) {
		t.Errorf("a hash beyond the slots and the queue = %v, want ErrBusy at once", err)
	}
	<-h.slots
	<-h.slots
	for range 5 {
		if err := <-results; err != nil {
			t.Errorf("a queued hash: %v", err)
		}
	}

	// Forty at once: never more than two run together.
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() { h.Hash(context.Background(), "correct horse") })
	}
	wg.Wait()
	if peak := h.Peak(); peak < 1 || peak > 2 {
		t.Errorf("%d hashes ran at once, want at most the 2 slots", peak)
	}
}
