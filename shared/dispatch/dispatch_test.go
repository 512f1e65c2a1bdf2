package dispatch_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/buytickets/buytickets/shared/dispatch"
)

func TestBackoffDoublesWithinItsBounds(t *testing.T) {
	t.Parallel()
	b := dispatch.Backoff{Min: 5 * time.Millisecond, Max: 100 * time.Millisecond}
	ceiling := b.Min
	for n := 1; n <= 100; n++ {
		if d := b.Delay(n); d < ceiling/2 || d > ceiling {
			t.Fatalf("Delay(%d) = %v, want within [%v, %v]", n, d, ceiling/2, ceiling)
		}
		ceiling = min(2*ceiling, b.Max)
	}
}

func TestBackoffOrFillsZeroBoundsAndKeepsMaxAboveMin(t *testing.T) {
	t.Parallel()
	def := dispatch.Backoff{Min: time.Second, Max: time.Minute}
	if got := (dispatch.Backoff{}).Or(def); got != def {
		t.Errorf("zero Or = %v, want %v", got, def)
	}
	if got := (dispatch.Backoff{Min: 2 * time.Minute}).Or(def); got.Max != 2*time.Minute {
		t.Errorf("Max = %v, want raised to Min", got.Max)
	}
}

func TestInFlightClaimsAnIDOnce(t *testing.T) {
	t.Parallel()
	var s dispatch.InFlight
	if !s.Claim("a") || s.Claim("a") {
		t.Fatal("a second claim of a succeeded, or the first failed")
	}
	s.Release("a")
	if !s.Claim("a") {
		t.Fatal("a released id cannot be claimed again")
	}
}

func TestSignalWakesEveryWaiterAndOnlyThoseWaitingBeforeIt(t *testing.T) {
	t.Parallel()
	s := dispatch.NewSignal()
	before := []<-chan struct{}{s.C(), s.C(), s.C()}
	s.Notify()
	for i, c := range before {
		select {
		case <-c:
		default:
			t.Errorf("waiter %d was not woken", i)
		}
	}
	select {
	case <-s.C():
		t.Error("a waiter that came after the notice was woken by it")
	default:
	}
}

func TestLoopRunsAtOnceOnWakeAndBacksOffWhileFailing(t *testing.T) {
	t.Parallel()
	var rounds atomic.Int32
	wake := dispatch.NewWaker()
	ran := make(chan int32, 10)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		dispatch.Loop{
			Name: "test",
			Round: func(context.Context) (time.Duration, error) {
				n := rounds.Add(1)
				ran <- n
				if n == 2 {
					return dispatch.Idle, errors.New("down")
				}
				return dispatch.Idle, nil
			},
			Wake:    wake,
			Backoff: dispatch.Backoff{Min: 50 * time.Millisecond, Max: 50 * time.Millisecond},
		}.Run(ctx)
	}()
	next := func(what string) {
		t.Helper()
		select {
		case <-ran:
		case <-time.After(5 * time.Second):
			t.Fatalf("no round %s", what)
		}
	}
	next("at start")
	wake.Notify()
	next("on wake") // fails: the loop backs off
	next("after the backoff")
	select {
	case <-ran:
		t.Fatal("an idle loop ran a round unwoken")
	case <-time.After(100 * time.Millisecond):
	}
	cancel()
	<-done
}
