package cache

import (
	"sync"
	"time"
)

// Clock tells the time. Caches take one so that tests can expire entries by
// advancing a FakeClock instead of sleeping.
type Clock interface {
	Now() time.Time
}

// RealClock is the Clock of the running system.
type RealClock struct{}

// Now returns time.Now(), whose monotonic reading makes TTLs immune to changes
// of the wall clock.
func (RealClock) Now() time.Time { return time.Now() }

// FakeClock is a Clock that moves only when told to. It is safe for concurrent
// use. It is exported for the tests of packages that use this one.
type FakeClock struct {
	mu  sync.Mutex
	now time.Time // GUARDED_BY(mu)
}

// NewFakeClock returns a FakeClock that reads start until it is advanced.
func NewFakeClock(start time.Time) *FakeClock {
	return &FakeClock{now: start}
}

// Now returns the clock's current time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
