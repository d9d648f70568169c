package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// stuckGrace is how long forEachWithin waits for the calls under way once
// its budget is spent or its context is done. Calls on a hung mount never
// return by themselves; giving up on them lets the bench unmount (lazily,
// then killing ossfuse), which makes them fail.
const stuckGrace = 30 * time.Second

// forEachWithin calls fn(ctx, i) for i = 0, 1, ... with at most width
// calls at once, until n calls were started or budget has passed since it
// began, whichever comes first: a timed loop whose length is bounded in
// count and in time. Calls under way when the budget ends complete. It
// returns how many calls were started, which are calls 0..done-1, all
// complete unless err says otherwise; the first error cancels the calls
// not yet started. Calls still running stuckGrace after the budget (or
// after ctx ended) are left behind with an error.
func forEachWithin(ctx context.Context, n, width int, budget time.Duration, fn func(context.Context, int) error) (done int, err error) {
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	deadline := time.Now().Add(budget)
	var (
		mu       sync.Mutex
		next     int   // GUARDED_BY(mu); calls started
		firstErr error // GUARDED_BY(mu)
		wg       sync.WaitGroup
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
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
		}
		cancel()
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
					fail(err)
					return
				}
			}
		}()
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	giveUp := time.NewTimer(budget + stuckGrace)
	defer giveUp.Stop()
	select {
	case <-finished:
	case <-parent.Done():
		select {
		case <-finished:
		case <-time.After(stuckGrace):
		}
	case <-giveUp.C:
	}
	mu.Lock()
	defer mu.Unlock()
	select {
	case <-finished:
	default:
		stuck := fmt.Errorf("calls still under way %v after the loop's end: is the mount hung?", stuckGrace)
		return next, errors.Join(stuck, firstErr, parent.Err())
	}
	if firstErr == nil && parent.Err() != nil {
		firstErr = parent.Err()
	}
	return next, firstErr
}
