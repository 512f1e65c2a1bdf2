package testenv

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
)

// recorder is a testing.TB that records failures instead of failing its
// test, so that a test can see a helper fail it. What it does not override
// goes to the test it wraps.
type recorder struct {
	testing.TB
	mu       sync.Mutex
	failures []string
	cleanups []func()
}

func (r *recorder) Errorf(format string, args ...any) { r.fail(fmt.Sprintf(format, args...)) }

func (r *recorder) Fatal(args ...any) {
	r.fail(fmt.Sprint(args...))
	runtime.Goexit()
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.fail(fmt.Sprintf(format, args...))
	runtime.Goexit()
}

func (r *recorder) Cleanup(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cleanups = append(r.cleanups, f)
}

func (r *recorder) fail(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, msg)
}

// Record runs test as t's body would run, with a testing.TB that records
// failures instead of failing t, then the cleanups test registered, last
// first, and returns the failures recorded. Tests of test helpers use it
// to see a helper fail.
func Record(t *testing.T, test func(tb testing.TB)) []string {
	r := &recorder{TB: t}
	alone(func() { test(r) })
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		alone(r.cleanups[i])
	}
	return r.failures
}

// alone runs f on a goroutine of its own, where a Fatal ends f alone.
func alone(f func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	<-done
}
