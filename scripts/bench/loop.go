package main

import (
	"context"
	"sync"
	"time"
)

// forEachWithin calls fn(ctx, i) for i = 0, 1, ... with at most width
// calls at once, until n calls were started or budget has passed since it
// began, whichever comes first: a timed loop whose length is bounded in
// count and in time. Calls under way when the budget ends complete. It
// returns how many calls were started, which are calls 0..done-1, all
// complete; the first error cancels the calls not yet started.
func forEachWithin(ctx context.Context, n, width int, budget time.Duration, fn func(context.Context, int) error) (done int, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	deadline := time.Now().Add(budget)
	var (
		mu       sync.Mutex // serialises taking an index with checking the deadline
		next     int        // GUARDED_BY(mu)
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if next >= n || ctx.Err() != nil || time.Now().After(deadline) {
			return 0, false
		}
		next++
		return next - 1, true
	}
	for range min(width, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i, ok := take()
				if !ok {
					return
				}
				if err := fn(ctx, i); err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	return next, firstErr
}
