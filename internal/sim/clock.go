package sim

import (
	"sync"
	"time"
)

// Clock is a settable clock for simulators and the code under test, so
// that hours of verification windows pass in a test without sleeping. The
// zero value reads as the zero time; it is safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock showing t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time; pass c.Now where a func() time.Time is wanted.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Wall is real time plus every wait a test chose to skip, for limits that
// run on wall time (jirasim.RateLimit): a retry policy that does not
// really sleep calls Skip instead, and the simulator sees the time pass.
// The zero value is real time; it is safe for concurrent use.
type Wall struct {
	mu      sync.Mutex
	skipped time.Duration
}

// Now is real time plus the waits skipped so far.
func (w *Wall) Now() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return time.Now().Add(w.skipped)
}

// Skip moves the clock on by d without waiting.
func (w *Wall) Skip(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.skipped += d
}
