package cache

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"golang.org/x/sync/singleflight"
)

// State is what a StatCache knows about a key.
type State uint8

const (
	// Miss means the cache holds no fresh answer: ask OSS.
	Miss State = iota
	// Hit means the key exists and the returned value is fresh.
	Hit
	// NegativeHit means the key was recently seen not to exist.
	NegativeHit
)

// String returns the state's name, for logs and metric labels.
func (s State) String() string {
	switch s {
	case Miss:
		return "miss"
	case Hit:
		return "hit"
	case NegativeHit:
		return "negative-hit"
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// StatOptions configures a StatCache.
type StatOptions struct {
	// Capacity is the most entries kept, positive and negative together; the
	// least recently used entry goes first. It must be positive.
	Capacity int
	// PositiveTTL is how long an entry for an existing key is served. Zero or
	// less: such answers are not cached.
	PositiveTTL time.Duration
	// NegativeTTL is how long a "does not exist" entry is served. Zero or
	// less: such answers are not cached. It is usually shorter than
	// PositiveTTL, since another client creating the key is the common surprise.
	NegativeTTL time.Duration
	// Clock tells the time for expiry; nil means RealClock.
	Clock Clock
}

// StatCacheStats counts what a StatCache served, for metrics.
type StatCacheStats struct {
	Hits         uint64 // lookups answered by a fresh positive entry
	NegativeHits uint64 // lookups answered by a fresh negative entry
	Misses       uint64 // lookups that found no fresh entry (Get and Load)
	Loads        uint64 // calls of a Load's fn, after singleflight
}

type statEntry[V any] struct {
	value   V
	exists  bool
	expires time.Time
}

// loadState marks a Load in flight, so that a mutation of its key while it runs
// can tell it its answer is stale.
type loadState struct {
	stale bool // GUARDED_BY(StatCache.mu)
}

// StatCache maps string keys to positive entries (a value V) or negative
// entries (the key does not exist), each kind with its own TTL, in an LRU of
// bounded size. Its generic value serves attributes (V = attributes of an
// object) as well as directory listings (V = the entries of a directory).
// It is safe for concurrent use.
//
// INVARIANT: loading holds exactly the keys whose Load fn is running; at most
// one per key, since Loads of a key share one flight.
type StatCache[V any] struct {
	clock       Clock
	positiveTTL time.Duration
	negativeTTL time.Duration
	group       singleflight.Group
	// testHookWaiting, when set, runs when a Load has joined a flight.
	testHookWaiting func()

	mu      sync.Mutex
	entries *simplelru.LRU[string, statEntry[V]] // GUARDED_BY(mu)
	loading map[string]*loadState                // GUARDED_BY(mu)
	stats   StatCacheStats                       // GUARDED_BY(mu)
}

// NewStatCache returns an empty StatCache configured by opts.
func NewStatCache[V any](opts StatOptions) (*StatCache[V], error) {
	if opts.Capacity <= 0 {
		return nil, fmt.Errorf("cache: stat cache capacity %d: must be positive", opts.Capacity)
	}
	if opts.Clock == nil {
		opts.Clock = RealClock{}
	}
	entries, err := simplelru.NewLRU[string, statEntry[V]](opts.Capacity, nil)
	if err != nil {
		return nil, fmt.Errorf("cache: new stat cache: %w", err)
	}
	return &StatCache[V]{
		clock:       opts.Clock,
		positiveTTL: opts.PositiveTTL,
		negativeTTL: opts.NegativeTTL,
		entries:     entries,
		loading:     make(map[string]*loadState),
	}, nil
}

// Get returns the fresh entry for key: (v, Hit) when the key exists,
// (zero, NegativeHit) when it is known not to, and (zero, Miss) otherwise.
func (c *StatCache[V]) Get(key string) (V, State) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, st := c.lookupLocked(key)
	c.countLocked(st)
	return v, st
}

// Put records that key exists with value v. It wins over any Load of key in
// flight. With PositiveTTL zero it only drops what was cached for key.
func (c *StatCache[V]) Put(key string, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.markStaleLocked(key)
	c.storeLocked(key, v, true)
}

// PutNegative records that key does not exist. It wins over any Load of key in
// flight. With NegativeTTL zero it only drops what was cached for key.
func (c *StatCache[V]) PutNegative(key string) {
	var zero V
	c.mu.Lock()
	defer c.mu.Unlock()
	c.markStaleLocked(key)
	c.storeLocked(key, zero, false)
}

// Invalidate drops what is cached for key, including the answer of a Load of
// key in flight, which will be returned to its callers but not cached.
func (c *StatCache[V]) Invalidate(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.markStaleLocked(key)
	c.entries.Remove(key)
}

// Amend replaces the fresh value of key by change(value), keeping its
// expiry: a cached answer stays exactly as old as the request it came from,
// however often the owner amends it with its own changes. Without a fresh
// value it acts as Invalidate. Either way a Load of key in flight does not
// cache its answer, which may predate the change. change must not modify
// the value it is given (readers may hold it) but return a new one.
func (c *StatCache[V]) Amend(key string, change func(V) V) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.markStaleLocked(key)
	e, ok := c.entries.Peek(key)
	if !ok || !e.exists || !c.clock.Now().Before(e.expires) {
		c.entries.Remove(key)
		return false
	}
	e.value = change(e.value)
	c.entries.Add(key, e)
	return true
}

// InvalidatePrefix drops the entries of every key that starts with prefix, and
// keeps Loads of such keys in flight from caching their answer. It is for
// renames and removals of directories; it costs time linear in the number of
// entries.
func (c *StatCache[V]) InvalidatePrefix(prefix string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for key, l := range c.loading {
		if strings.HasPrefix(key, prefix) {
			l.stale = true
		}
	}
	for _, key := range c.entries.Keys() {
		if strings.HasPrefix(key, prefix) {
			c.entries.Remove(key)
		}
	}
}

// Len returns the number of entries held, including expired ones not yet
// dropped.
func (c *StatCache[V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.entries.Len()
}

// Stats returns the counters since the cache was made.
func (c *StatCache[V]) Stats() StatCacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// lookupLocked returns the fresh entry for key, dropping an expired one. It
// counts nothing, so that internal re-checks do not skew Stats.
func (c *StatCache[V]) lookupLocked(key string) (V, State) {
	var zero V
	e, ok := c.entries.Get(key)
	if !ok {
		return zero, Miss
	}
	if !c.clock.Now().Before(e.expires) {
		c.entries.Remove(key)
		return zero, Miss
	}
	if !e.exists {
		return zero, NegativeHit
	}
	return e.value, Hit
}

func (c *StatCache[V]) countLocked(st State) {
	switch st {
	case Hit:
		c.stats.Hits++
	case NegativeHit:
		c.stats.NegativeHits++
	default:
		c.stats.Misses++
	}
}

// storeLocked caches an answer, or drops the previous one when answers of that
// kind are not cached: an older answer must never outlive a newer one.
func (c *StatCache[V]) storeLocked(key string, v V, exists bool) {
	ttl := c.negativeTTL
	if exists {
		ttl = c.positiveTTL
	}
	if ttl <= 0 {
		c.entries.Remove(key)
		return
	}
	c.entries.Add(key, statEntry[V]{value: v, exists: exists, expires: c.clock.Now().Add(ttl)})
}

func (c *StatCache[V]) markStaleLocked(key string) {
	if l, ok := c.loading[key]; ok {
		l.stale = true
	}
}
