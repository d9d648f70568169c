package cache

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

type loadResult struct {
	v      string
	exists bool
	err    error
}

func TestStatLoadSingleflight(t *testing.T) {
	const n = 50
	c, _ := newStat(t, StatOptions{Capacity: 10, PositiveTTL: time.Minute})
	w, hook := newWaiters(n)
	c.testHookWaiting = hook
	release := make(chan struct{})
	var calls atomic.Int32
	fn := func(context.Context) (string, bool, error) {
		calls.Add(1)
		<-release
		return "A", true, nil
	}
	results := make(chan loadResult, n)
	for range n {
		go func() {
			v, ok, err := c.Load(context.Background(), "a", fn)
			results <- loadResult{v, ok, err}
		}()
	}
	w.wait() // all n callers have joined the flight
	close(release)
	for range n {
		if r := <-results; r != (loadResult{"A", true, nil}) {
			t.Fatalf("Load = %+v", r)
		}
	}
	if got := calls.Load(); got != 1 {
		t.Fatalf("fn called %d times, want 1", got)
	}
	if got := c.Stats(); got.Loads != 1 || got.Misses != n {
		t.Fatalf("Stats() = %+v, want 1 load and %d misses", got, n)
	}
	wantGet(t, c, "a", "A", Hit)
}

func TestStatLoadCachesBothKinds(t *testing.T) {
	c, clock := newStat(t, StatOptions{Capacity: 10, PositiveTTL: time.Minute, NegativeTTL: time.Second})
	var calls int
	fn := func(exists bool) func(context.Context) (string, bool, error) {
		return func(context.Context) (string, bool, error) {
			calls++
			if !exists {
				return "ignored", false, nil // the value of a missing key is dropped
			}
			return "P", true, nil
		}
	}
	ctx := context.Background()
	for range 2 {
		if v, ok, err := c.Load(ctx, "neg", fn(false)); v != "" || ok || err != nil {
			t.Fatalf("Load(neg) = (%q, %v, %v)", v, ok, err)
		}
		if v, ok, err := c.Load(ctx, "pos", fn(true)); v != "P" || !ok || err != nil {
			t.Fatalf("Load(pos) = (%q, %v, %v)", v, ok, err)
		}
	}
	if calls != 2 {
		t.Fatalf("fn called %d times, want 2 (one per key)", calls)
	}
	wantGet(t, c, "neg", "", NegativeHit)
	clock.Advance(time.Second) // the negative entry expires, the positive one stays
	c.Load(ctx, "neg", fn(false))
	c.Load(ctx, "pos", fn(true))
	if calls != 3 {
		t.Fatalf("fn called %d times, want 3", calls)
	}
}

func TestStatLoadErrorNotCached(t *testing.T) {
	c, _ := newStat(t, StatOptions{Capacity: 10, PositiveTTL: time.Minute, NegativeTTL: time.Minute})
	boom := errors.New("boom")
	_, _, err := c.Load(context.Background(), "a", func(context.Context) (string, bool, error) {
		return "", false, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Load error = %v, want %v", err, boom)
	}
	wantGet(t, c, "a", "", Miss)
	v, ok, err := c.Load(context.Background(), "a", func(context.Context) (string, bool, error) {
		return "A", true, nil
	})
	if v != "A" || !ok || err != nil {
		t.Fatalf("Load after error = (%q, %v, %v)", v, ok, err)
	}
}

// TestStatMutationDuringLoadWins checks that what is recorded while a load is
// in flight is not overwritten by the load's older answer.
func TestStatMutationDuringLoadWins(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(c *StatCache[string])
		wantLd  loadResult // what the waiting Load returns
		wantV   string
		wantSt  State
		wantLen int
	}{
		{"Invalidate", func(c *StatCache[string]) { c.Invalidate("dir/a") }, loadResult{"old", true, nil}, "", Miss, 0},
		{"InvalidatePrefix", func(c *StatCache[string]) { c.InvalidatePrefix("dir/") }, loadResult{"old", true, nil}, "", Miss, 0},
		{"Put", func(c *StatCache[string]) { c.Put("dir/a", "new") }, loadResult{"new", true, nil}, "new", Hit, 1},
		{"PutNegative", func(c *StatCache[string]) { c.PutNegative("dir/a") }, loadResult{"", false, nil}, "", NegativeHit, 1},
		{"other key", func(c *StatCache[string]) { c.Invalidate("dir/b") }, loadResult{"old", true, nil}, "old", Hit, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newStat(t, StatOptions{Capacity: 10, PositiveTTL: time.Minute, NegativeTTL: time.Minute})
			started, release := make(chan struct{}), make(chan struct{})
			done := make(chan loadResult)
			go func() {
				v, ok, err := c.Load(context.Background(), "dir/a", func(context.Context) (string, bool, error) {
					close(started)
					<-release
					return "old", true, nil
				})
				done <- loadResult{v, ok, err}
			}()
			<-started
			tt.mutate(c)
			close(release)
			if got := <-done; got != tt.wantLd {
				t.Fatalf("Load = %+v, want %+v", got, tt.wantLd)
			}
			wantGet(t, c, "dir/a", tt.wantV, tt.wantSt)
			if n := c.Len(); n != tt.wantLen {
				t.Fatalf("Len() = %d, want %d", n, tt.wantLen)
			}
		})
	}
}

func TestStatLoadCallerCancel(t *testing.T) {
	c, _ := newStat(t, StatOptions{Capacity: 10, PositiveTTL: time.Minute})
	w, hook := newWaiters(2)
	c.testHookWaiting = hook
	release := make(chan struct{})
	fn := func(ctx context.Context) (string, bool, error) {
		<-release
		return "A", true, ctx.Err() // the flight must not see the caller's cancellation
	}
	ctx, cancel := context.WithCancel(context.Background())
	canceled, patient := make(chan loadResult), make(chan loadResult)
	load := func(ctx context.Context, out chan<- loadResult) {
		v, ok, err := c.Load(ctx, "a", fn)
		out <- loadResult{v, ok, err}
	}
	go load(ctx, canceled)
	go load(context.Background(), patient)
	w.wait()
	cancel()
	// The canceled caller returns while the flight is still blocked.
	if r := <-canceled; !errors.Is(r.err, context.Canceled) {
		t.Fatalf("canceled caller: %+v, want context.Canceled", r)
	}
	close(release)
	if r := <-patient; r != (loadResult{"A", true, nil}) {
		t.Fatalf("waiting caller: %+v", r)
	}
	wantGet(t, c, "a", "A", Hit)
	if _, _, err := c.Load(ctx, "b", fn); !errors.Is(err, context.Canceled) {
		t.Fatalf("Load with a done ctx: %v, want context.Canceled", err)
	}
}
