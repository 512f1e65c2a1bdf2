package account

import (
	"time"

	"github.com/buytickets/buytickets/shared/apperr"
)

// The per-account limit on sign-ins: an account takes FreeAttempts wrong
// passwords in a row; then each sign-in of it must wait a second, doubled
// at every further failure, up to MaxSigninWait. Exponential, not a lock: a
// guesser gets a few tries an hour at most, and the owner, who waits at
// most MaxSigninWait, is never locked out for good.
const (
	FreeAttempts  = 5
	MaxSigninWait = 15 * time.Minute
)

// ErrTooManySignins refuses a sign-in of an account that must wait.
var ErrTooManySignins = apperr.New(apperr.TooMany, "Too many failed sign-ins for this account, please wait before trying again")

// Failures are the wrong passwords given for an account in a row, and when
// the last was.
type Failures struct {
	Count int
	Last  time.Time
}

// Wait returns how long from now a sign-in of the account must wait: zero
// within FreeAttempts, then 1 s after the last failure, doubling with each
// failure beyond, capped at MaxSigninWait.
func (f Failures) Wait(now time.Time) time.Duration {
	if f.Count < FreeAttempts {
		return 0
	}
	wait := MaxSigninWait
	if shift := f.Count - FreeAttempts; shift < 20 {
		wait = min(time.Second<<shift, MaxSigninWait)
	}
	return max(f.Last.Add(wait).Sub(now), 0)
}

// Check returns ErrTooManySignins, telling when to come back, while the
// account must wait.
func (f Failures) Check(now time.Time) error {
	if wait := f.Wait(now); wait > 0 {
		return ErrTooManySignins.After(wait)
	}
	return nil
}
