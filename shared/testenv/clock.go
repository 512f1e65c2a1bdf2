package testenv

import (
	"sync"
	"time"
)

// Clock is a test clock that moves only when told; its Now method is what
// functions take as their clock.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock standing at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Epoch is when the tests' clocks start: a fixed instant, far from the
// real time, so that no test depends on when it runs.
var Epoch = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
