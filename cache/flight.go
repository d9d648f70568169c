package cache

import (
	"context"

	"golang.org/x/sync/singleflight"
)

// shared runs fn once for all concurrent callers that pass the same key to g,
// and gives each of them its result.
//
// The flight outlives any one caller: fn runs with the values of the ctx of the
// caller that started it but without its cancellation, so a caller that gives
// up (an interrupted syscall) returns ctx.Err() at once without failing the
// others, and the answer still lands in the cache. fn must bound its own
// duration (the OSS client has timeouts).
//
// hook, when not nil, runs once the caller has joined the flight and before it
// waits; tests use it to know that every caller is waiting.
func shared[T any](ctx context.Context, g *singleflight.Group, key string, hook func(),
	fn func(ctx context.Context) (T, error)) (T, error) {
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	detached := context.WithoutCancel(ctx)
	ch := g.DoChan(key, func() (any, error) { return fn(detached) })
	if hook != nil {
		hook()
	}
	select {
	case r := <-ch:
		if r.Err != nil {
			return zero, r.Err
		}
		return r.Val.(T), nil
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}
