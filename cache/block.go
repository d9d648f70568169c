package cache

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"sync"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	"golang.org/x/sync/singleflight"
)

// BlockOptions configures a BlockCache.
type BlockOptions struct {
	// BlockSize is the size of every block of an object but its last, which
	// may be shorter. It must be positive; 1 MiB is a good start.
	BlockSize int
	// MaxBytes is a hard bound on the sum of the lengths of cached blocks.
	// Zero caches nothing (Fetch still shares concurrent misses); it must not
	// be negative.
	MaxBytes int64
	// Budget, when set, is the byte budget the cached blocks are charged
	// to: the cache holds the bytes of its blocks in it, gives them back as
	// it drops blocks, and drops its least recently used blocks whenever
	// the budget's other holders need the room (see Budget). MaxBytes may
	// then be the budget's whole size. A budget serves one cache.
	Budget *Budget
}

// BlockCacheStats counts what a BlockCache did, for metrics.
type BlockCacheStats struct {
	Hits      uint64 // Get and Fetch calls answered from the cache
	Misses    uint64 // Get and Fetch calls that found no block
	Evictions uint64 // blocks dropped to stay within MaxBytes, or to make room in the Budget
	Fetches   uint64 // calls of a Fetch's fn, after singleflight
}

// blockID names a block. The ETag is part of it so that a block is immutable:
// a changed object has a new ETag, hence new blocks, and readers of the old
// version can never be served bytes of the new one or the reverse.
type blockID struct {
	key   string
	etag  string
	index int64
}

// flightKey encodes id for singleflight; length prefixes keep it unambiguous
// whatever bytes key and etag hold.
func (id blockID) flightKey() string {
	return strconv.Itoa(len(id.key)) + ":" + id.key + strconv.Itoa(len(id.etag)) + ":" + id.etag +
		strconv.FormatInt(id.index, 10)
}

// fetchState marks a Fetch in flight, so that InvalidateObject can keep its
// block out of the cache.
type fetchState struct {
	stale bool // GUARDED_BY(BlockCache.mu)
}

// BlockCache holds fixed-size blocks of object data, keyed by (object key,
// ETag, block index), and drops the least recently used blocks to keep their
// total length within MaxBytes. It is safe for concurrent use.
//
// Blocks are shared, not copied: a slice given to Put or returned by a Fetch's
// fn becomes the cache's, and the slices that Get and Fetch return may be read
// by any number of callers at once. The cache never modifies a block; callers
// must not modify one either, neither before nor after it is evicted.
//
// With a Budget, the cache holds exactly bytes of it: a block's bytes are
// taken from it (or handed over by PutHeld) before the block is cached and
// given back when the block leaves. The cache never waits for the budget.
// A dropped block is no longer counted even if a caller is still copying
// from it: the budget bounds what is kept, not the reads of the moment.
//
// LOCK ORDERING: mu before the Budget's lock; the Budget calls reclaim with
// none of its locks held.
//
// INVARIANT: bytes is the sum of the lengths of the blocks in blocks, and
// bytes <= maxBytes; byKey[k] holds exactly the IDs in blocks whose key is k,
// and no empty set; fetching holds exactly the IDs whose Fetch fn is running.
type BlockCache struct {
	blockSize int
	maxBytes  int64
	budget    *Budget // nil: blocks are bounded by maxBytes alone
	group     singleflight.Group
	// testHookWaiting, when set, runs when a Fetch has joined a flight.
	testHookWaiting func()

	mu       sync.Mutex
	blocks   *simplelru.LRU[blockID, []byte] // GUARDED_BY(mu)
	byKey    map[string]map[blockID]struct{} // GUARDED_BY(mu)
	fetching map[blockID]*fetchState         // GUARDED_BY(mu)
	bytes    int64                           // GUARDED_BY(mu)
	stats    BlockCacheStats                 // GUARDED_BY(mu)
}

// NewBlockCache returns an empty BlockCache configured by opts.
func NewBlockCache(opts BlockOptions) (*BlockCache, error) {
	if opts.BlockSize <= 0 {
		return nil, fmt.Errorf("cache: block size %d: must be positive", opts.BlockSize)
	}
	if opts.MaxBytes < 0 {
		return nil, fmt.Errorf("cache: block cache size %d: must not be negative", opts.MaxBytes)
	}
	c := &BlockCache{
		blockSize: opts.BlockSize,
		maxBytes:  opts.MaxBytes,
		budget:    opts.Budget,
		byKey:     make(map[string]map[blockID]struct{}),
		fetching:  make(map[blockID]*fetchState),
	}
	// No bound on the count: bytes are the bound, and since empty blocks are
	// never cached there are at most MaxBytes blocks. onRemove runs for every
	// removal, so the byte count and the per-key index cannot drift.
	blocks, err := simplelru.NewLRU[blockID, []byte](math.MaxInt, c.onRemoveLocked)
	if err != nil {
		return nil, fmt.Errorf("cache: new block cache: %w", err)
	}
	c.blocks = blocks
	if c.budget != nil {
		if err := c.budget.setReclaimer(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// BlockSize returns the size of a full block.
func (c *BlockCache) BlockSize() int { return c.blockSize }

// MaxBytes returns the byte bound of the cache.
func (c *BlockCache) MaxBytes() int64 { return c.maxBytes }

// Get returns block index of the object key at version etag, if cached, and
// marks it most recently used. The caller must not modify the slice.
func (c *BlockCache) Get(key, etag string, index int64) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	data, ok := c.blocks.Get(blockID{key: key, etag: etag, index: index})
	if ok {
		c.stats.Hits++
	} else {
		c.stats.Misses++
	}
	return data, ok
}

// Peek is Get without making the block recently used. A sequential reader
// reads each block once: marking it used would keep it over the blocks
// prefetched ahead of the reader, which LRU would then evict first, to be
// fetched again when the reader reaches them.
func (c *BlockCache) Peek(key, etag string, index int64) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	data, ok := c.blocks.Peek(blockID{key: key, etag: etag, index: index})
	if ok {
		c.stats.Hits++
	} else {
		c.stats.Misses++
	}
	return data, ok
}

// Put caches data as block index of the object key at version etag, replacing
// the block if present, and evicts least recently used blocks as needed. It
// takes ownership of data, which the caller must no longer modify. data should
// not be a small window on a much larger buffer: the cache counts len(data),
// but the block keeps the whole buffer alive.
//
// Put reports whether it cached the block: it does not when data is empty,
// longer than BlockSize or than MaxBytes, or index is negative, nor when
// the cache has a Budget that cannot give the block's bytes now (see
// Budget.TryAcquire: the cache may drop older blocks for them).
func (c *BlockCache) Put(key, etag string, index int64, data []byte) bool {
	id := blockID{key: key, etag: etag, index: index}
	if !c.charge(id, data) {
		return false
	}
	return c.PutHeld(key, etag, index, data)
}

// PutHeld is Put for a caller that already holds len(data) bytes of the
// cache's Budget for data, such as the buffer of a GET: the cache takes
// that charge over, so the bytes move from in flight to cached without
// being counted twice or given back. The cache gives them back when it
// drops the block, or at once when it does not cache it; the caller must
// not Release them. Without a Budget it is Put.
func (c *BlockCache) PutHeld(key, etag string, index int64, data []byte) bool {
	c.mu.Lock()
	ok := c.putHeldLocked(blockID{key: key, etag: etag, index: index}, data)
	c.mu.Unlock()
	if ok && c.budget != nil {
		// The block may be room that a waiter of the budget needs.
		c.budget.makeRoom(0)
	}
	return ok
}

// charge takes the bytes of data from the budget, if the cache has one, for
// a block it may cache; it reports false when it will not cache the block.
// It must run without mu held: the budget may call reclaim.
func (c *BlockCache) charge(id blockID, data []byte) bool {
	if c.budget == nil {
		return true
	}
	return c.cacheable(id, data) && c.budget.TryAcquire(int64(len(data)))
}

// cacheable reports whether a block of data may be cached at all.
func (c *BlockCache) cacheable(id blockID, data []byte) bool {
	n := int64(len(data))
	return n > 0 && len(data) <= c.blockSize && n <= c.maxBytes && id.index >= 0
}

// Fetch returns block index of the object key at version etag: from the cache,
// or else from fn, whose result it caches. Concurrent Fetches of one block
// share one call of fn; an error from fn is returned to them and not cached.
// fn must return at most BlockSize bytes, and less only for an object's last
// block; it runs with ctx's values but not its cancellation, so that one
// caller giving up does not fail the others, and a caller whose ctx is done
// returns ctx.Err() without waiting. If InvalidateObject(key) runs while fn
// does, the block is returned to the callers but not cached; with a Budget
// it is cached only if its bytes can be had, as with Put.
//
// The caller must not modify the returned slice.
func (c *BlockCache) Fetch(ctx context.Context, key, etag string, index int64,
	fn func(ctx context.Context) ([]byte, error)) ([]byte, error) {
	if index < 0 {
		return nil, fmt.Errorf("cache: fetch block %d of %q: negative index", index, key)
	}
	if data, ok := c.Get(key, etag, index); ok {
		return data, nil
	}
	id := blockID{key: key, etag: etag, index: index}
	return shared(ctx, &c.group, id.flightKey(), c.testHookWaiting,
		func(ctx context.Context) ([]byte, error) { return c.fetch(ctx, id, fn) })
}

// fetch is the body of a Fetch's flight.
func (c *BlockCache) fetch(ctx context.Context, id blockID,
	fn func(ctx context.Context) ([]byte, error)) ([]byte, error) {
	c.mu.Lock()
	// An earlier flight or a Put may have cached the block since the caller
	// missed it.
	if data, ok := c.blocks.Get(id); ok {
		c.mu.Unlock()
		return data, nil
	}
	f := &fetchState{}
	c.fetching[id] = f
	c.stats.Fetches++
	c.mu.Unlock()

	data, err := fn(ctx)
	charged := err == nil && len(data) <= c.blockSize && c.charge(id, data)

	c.mu.Lock()
	delete(c.fetching, id)
	var cached bool
	switch {
	case err != nil:
	case len(data) > c.blockSize:
		err = fmt.Errorf("cache: fetch block %d of %q: got %d bytes, more than the block size %d",
			id.index, id.key, len(data), c.blockSize)
	case !charged:
	case f.stale:
		c.uncharge(int64(len(data)))
	default:
		cached = c.putHeldLocked(id, data)
	}
	c.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if cached && c.budget != nil {
		c.budget.makeRoom(0)
	}
	return data, nil
}

// InvalidateObject drops every cached block of the object key, whatever its
// ETag, and keeps Fetches of its blocks in flight from caching them. It costs
// time in proportion to the blocks of key, plus the Fetches in flight.
func (c *BlockCache) InvalidateObject(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id := range c.byKey[key] {
		c.blocks.Remove(id) // onRemoveLocked edits byKey[key]; deleting while ranging is allowed
	}
	for id, f := range c.fetching {
		if id.key == key {
			f.stale = true
		}
	}
}

// Len returns the number of cached blocks.
func (c *BlockCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.blocks.Len()
}

// Bytes returns the sum of the lengths of the cached blocks; it never exceeds
// MaxBytes.
func (c *BlockCache) Bytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}

// Stats returns the counters since the cache was made.
func (c *BlockCache) Stats() BlockCacheStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// putHeldLocked caches data as block id, evicting least recently used
// blocks to stay within maxBytes. With a budget, the caller holds
// len(data) bytes of it, which the cache takes over: it keeps them with the
// block, or gives them back at once when it does not cache it.
//
// LOCKS_REQUIRED(c.mu)
func (c *BlockCache) putHeldLocked(id blockID, data []byte) bool {
	n := int64(len(data))
	if !c.cacheable(id, data) {
		c.uncharge(n)
		return false
	}
	// Remove first, so that the old block's bytes are released through
	// onRemoveLocked and the eviction loop below sees the true total.
	c.blocks.Remove(id)
	for c.bytes+n > c.maxBytes {
		c.blocks.RemoveOldest()
		c.stats.Evictions++
	}
	c.blocks.Add(id, data)
	c.bytes += n
	ids := c.byKey[id.key]
	if ids == nil {
		ids = make(map[blockID]struct{})
		c.byKey[id.key] = ids
	}
	ids[id] = struct{}{}
	return true
}

// reclaim drops least recently used blocks until at least n bytes went
// back to the budget, or none is left. The budget calls it when its other
// holders need the room.
func (c *BlockCache) reclaim(n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for freed := int64(0); freed < n && c.blocks.Len() > 0; {
		_, data, _ := c.blocks.RemoveOldest()
		freed += int64(len(data))
		c.stats.Evictions++
	}
}

// onRemoveLocked is the LRU's removal callback; every LRU call is made under
// mu. The block's bytes go back to the budget.
func (c *BlockCache) onRemoveLocked(id blockID, data []byte) {
	c.bytes -= int64(len(data))
	c.uncharge(int64(len(data)))
	ids := c.byKey[id.key]
	delete(ids, id)
	if len(ids) == 0 {
		delete(c.byKey, id.key)
	}
}

// uncharge gives n bytes of the cache's blocks back to its budget, if any.
func (c *BlockCache) uncharge(n int64) {
	if c.budget != nil {
		c.budget.Release(n)
	}
}
