// Package testclock is a settable clock for tests of time-dependent code:
// pass Now to a WithClock option and move time with Advance instead of
// sleeping.
package testclock

import (
	"sync"
	"sync/atomic"
	"time"
)

// Start is the instant a new Clock shows.
var Start = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// Clock is a clock that moves only when told. It is safe for concurrent use.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New returns a Clock at Start.
func New() *Clock { return &Clock{now: Start} }

// At returns a Clock at t. Never advanced, it is a fixed clock.
func At(t time.Time) *Clock { return &Clock{now: t} }

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

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Ticking returns a clock function that moves c forward by step before
// every reading, so that no two readings show the same instant, as on a
// busy host.
func (c *Clock) Ticking(step time.Duration) func() time.Time {
	return func() time.Time {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.now = c.now.Add(step)
		return c.now
	}
}

// Wall is the wall clock moved ahead by Advance, for tests that talk to
// something keeping real time (an OpenID provider signs with the wall
// clock, so the relying party's clock must stay near it). The zero value
// is the wall clock; it is safe for concurrent use.
type Wall struct{ ahead atomic.Int64 }

// Now returns the wall clock's time plus every Advance so far.
func (c *Wall) Now() time.Time { return time.Now().Add(time.Duration(c.ahead.Load())) }

// Advance moves the clock ahead by d.
func (c *Wall) Advance(d time.Duration) { c.ahead.Add(int64(d)) }
