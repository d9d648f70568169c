package cache

import (
	"sync"
	"testing"
	"time"
)

var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// waiters counts the callers that joined a flight, so a test can release the
// flight's fn only once all of them wait on it, without sleeping.
type waiters struct{ wg sync.WaitGroup }

func newWaiters(n int) (*waiters, func()) {
	w := &waiters{}
	w.wg.Add(n)
	return w, w.wg.Done
}

func (w *waiters) wait() { w.wg.Wait() }

func TestFakeClock(t *testing.T) {
	c := NewFakeClock(epoch)
	if got := c.Now(); !got.Equal(epoch) {
		t.Fatalf("Now() = %v, want %v", got, epoch)
	}
	c.Advance(90 * time.Second)
	if got, want := c.Now(), epoch.Add(90*time.Second); !got.Equal(want) {
		t.Fatalf("after Advance: Now() = %v, want %v", got, want)
	}
	var _ Clock = RealClock{}
}
