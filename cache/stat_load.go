package cache

import "context"

type statResult[V any] struct {
	value  V
	exists bool
}

// Load returns the fresh answer for key, or else asks fn for it: exists reports
// whether the key exists, and v is its value when it does (the zero V when it
// does not).
//
// Concurrent Loads of one key share one call of fn (see below for its context).
// Its answer, positive or negative, is cached under the matching TTL; an error
// is returned to the callers sharing the call and is not cached. If Put,
// PutNegative, Invalidate or InvalidatePrefix touches key while fn runs, fn's
// answer is older than that mutation and is not cached; the callers then get
// the mutation's answer if it cached one, else fn's.
//
// fn runs with ctx's values but not its cancellation, so that one caller giving
// up does not fail the others; a caller whose ctx is done returns ctx.Err()
// without waiting.
func (c *StatCache[V]) Load(ctx context.Context, key string,
	fn func(ctx context.Context) (v V, exists bool, err error)) (v V, exists bool, err error) {
	c.mu.Lock()
	v, st := c.lookupLocked(key)
	c.countLocked(st)
	c.mu.Unlock()
	if st != Miss {
		return v, st == Hit, nil
	}
	r, err := shared(ctx, &c.group, key, c.testHookWaiting,
		func(ctx context.Context) (statResult[V], error) { return c.load(ctx, key, fn) })
	return r.value, r.exists, err
}

// load is the body of a Load's flight.
func (c *StatCache[V]) load(ctx context.Context, key string,
	fn func(ctx context.Context) (V, bool, error)) (statResult[V], error) {
	c.mu.Lock()
	// Between the caller's miss and this flight, an earlier flight may have
	// finished and cached the answer; asking OSS again would be waste.
	if v, st := c.lookupLocked(key); st != Miss {
		c.mu.Unlock()
		return statResult[V]{value: v, exists: st == Hit}, nil
	}
	l := &loadState{}
	c.loading[key] = l
	c.stats.Loads++
	c.mu.Unlock()

	v, exists, err := fn(ctx)

	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.loading, key)
	if err != nil {
		return statResult[V]{}, err
	}
	if !exists {
		var zero V
		v = zero
	}
	if l.stale {
		if cv, st := c.lookupLocked(key); st != Miss {
			return statResult[V]{value: cv, exists: st == Hit}, nil
		}
		return statResult[V]{value: v, exists: exists}, nil
	}
	c.storeLocked(key, v, exists)
	return statResult[V]{value: v, exists: exists}, nil
}
