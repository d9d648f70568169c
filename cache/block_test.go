package cache

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
)

func newBlocks(t *testing.T, blockSize int, maxBytes int64) *BlockCache {
	t.Helper()
	c, err := NewBlockCache(BlockOptions{BlockSize: blockSize, MaxBytes: maxBytes})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// checkInvariants verifies the INVARIANT of BlockCache.
func checkInvariants(t *testing.T, c *BlockCache) {
	t.Helper()
	if err := invariantErr(c); err != nil {
		t.Fatal(err)
	}
}

// invariantErr reports how c breaks its INVARIANT, or that the blocks
// hold more bytes than its budget has given; safe from any goroutine.
func invariantErr(c *BlockCache) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var sum int64
	perKey := map[string]int{}
	for _, id := range c.blocks.Keys() {
		data, _ := c.blocks.Peek(id)
		sum += int64(len(data))
		perKey[id.key]++
		if _, ok := c.byKey[id.key][id]; !ok {
			return fmt.Errorf("block %+v missing from byKey", id)
		}
	}
	if sum != c.bytes {
		return fmt.Errorf("bytes = %d, blocks hold %d", c.bytes, sum)
	}
	if c.bytes > c.maxBytes {
		return fmt.Errorf("bytes = %d, over MaxBytes %d", c.bytes, c.maxBytes)
	}
	for key, ids := range c.byKey {
		if len(ids) == 0 || len(ids) != perKey[key] {
			return fmt.Errorf("byKey[%q] has %d blocks, cache has %d", key, len(ids), perKey[key])
		}
	}
	// The cache gives a block's bytes back under mu, so with mu held all
	// of them are still counted in the budget.
	if c.budget != nil {
		if used := c.budget.InUse(); c.bytes > used || used > c.budget.Max() {
			return fmt.Errorf("cache holds %d bytes, budget counts %d in use of %d", c.bytes, used, c.budget.Max())
		}
	}
	return nil
}

func block(b byte, n int) []byte { return bytes.Repeat([]byte{b}, n) }

func TestBlockBudgetNeverExceeded(t *testing.T) {
	const blockSize, maxBytes = 64, 1000 // not a multiple: eviction must be exact
	c := newBlocks(t, blockSize, maxBytes)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 5000 {
		key := fmt.Sprintf("k%d", rng.IntN(8))
		etag := fmt.Sprintf("e%d", rng.IntN(2))
		index := rng.Int64N(6)
		switch op := rng.IntN(10); {
		case op < 6:
			n := 1 + rng.IntN(blockSize)
			if !c.Put(key, etag, index, block(byte(i), n)) {
				t.Fatalf("Put of %d bytes refused", n)
			}
			if got, ok := c.Get(key, etag, index); !ok || len(got) != n {
				t.Fatalf("block just put: got %d bytes, ok=%v; want %d", len(got), ok, n)
			}
		case op < 9:
			c.Get(key, etag, index)
		default:
			c.InvalidateObject(key)
		}
		checkInvariants(t, c)
	}
	if c.Stats().Evictions == 0 {
		t.Fatal("no evictions: the test did not reach the budget")
	}
}

func TestBlockBudgetConcurrent(t *testing.T) {
	const blockSize, maxBytes = 32, 500
	c := newBlocks(t, blockSize, maxBytes)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			for range 1000 {
				key, index := fmt.Sprintf("k%d", rng.IntN(4)), rng.Int64N(8)
				switch rng.IntN(4) {
				case 0:
					c.Put(key, "e", index, block('x', 1+rng.IntN(blockSize)))
				case 1:
					c.Get(key, "e", index)
				case 2:
					c.Fetch(context.Background(), key, "e", index, func(context.Context) ([]byte, error) {
						return block('y', 1+rng.IntN(blockSize)), nil
					})
				default:
					c.InvalidateObject(key)
				}
				if n := c.Bytes(); n > maxBytes {
					t.Errorf("Bytes() = %d, over %d", n, maxBytes)
				}
			}
		})
	}
	wg.Wait()
	checkInvariants(t, c)
}

func TestBlockLRUOrder(t *testing.T) {
	c := newBlocks(t, 10, 30)
	c.Put("a", "e", 0, block('a', 10))
	c.Put("b", "e", 0, block('b', 10))
	c.Put("c", "e", 0, block('c', 10))
	c.Get("a", "e", 0) // b is now the least recently used
	c.Put("d", "e", 0, block('d', 10))
	if _, ok := c.Get("b", "e", 0); ok {
		t.Fatal("b survived; the least recently used block must go first")
	}
	for _, k := range []string{"a", "c", "d"} {
		if _, ok := c.Get(k, "e", 0); !ok {
			t.Fatalf("%s evicted", k)
		}
	}
	// A short last block and a replacement: bytes are counted exactly.
	c.Put("c", "e", 0, block('C', 4)) // 10+4+10 = 24
	if got := c.Bytes(); got != 24 {
		t.Fatalf("Bytes() = %d, want 24", got)
	}
	c.Put("f", "e", 0, block('f', 6)) // fits exactly: 30, no eviction
	if got, want := c.Stats().Evictions, uint64(1); got != want || c.Bytes() != 30 || c.Len() != 4 {
		t.Fatalf("evictions %d (want %d), Bytes() %d (want 30), Len() %d (want 4)", got, want, c.Bytes(), c.Len())
	}
	checkInvariants(t, c)
}

func TestBlockPutRefuses(t *testing.T) {
	c := newBlocks(t, 10, 100)
	for name, ok := range map[string]bool{
		"empty":    c.Put("k", "e", 0, nil),
		"too long": c.Put("k", "e", 0, block('x', 11)),
		"negative": c.Put("k", "e", -1, block('x', 1)),
	} {
		if ok {
			t.Errorf("%s block cached", name)
		}
	}
	if c.Len() != 0 {
		t.Fatalf("Len() = %d", c.Len())
	}
	disabled := newBlocks(t, 10, 0)
	if disabled.Put("k", "e", 0, block('x', 1)) {
		t.Fatal("MaxBytes 0 cached a block")
	}
}

func TestBlockETagsAreDistinct(t *testing.T) {
	c := newBlocks(t, 10, 100)
	c.Put("k", "v1", 0, []byte("old"))
	c.Put("k", "v2", 0, []byte("new"))
	for etag, want := range map[string]string{"v1": "old", "v2": "new"} {
		if got, ok := c.Get("k", etag, 0); !ok || string(got) != want {
			t.Fatalf("Get(k, %s, 0) = (%q, %v), want %q", etag, got, ok, want)
		}
	}
	if _, ok := c.Get("k", "v3", 0); ok {
		t.Fatal("unknown ETag hit")
	}
}

func TestBlockInvalidateObject(t *testing.T) {
	c := newBlocks(t, 10, 1000)
	for _, etag := range []string{"v1", "v2"} {
		for i := range int64(3) {
			c.Put("k", etag, i, block('k', 10))
			c.Put("k/child", etag, i, block('c', 5)) // another key sharing a prefix
		}
	}
	c.InvalidateObject("k")
	c.InvalidateObject("absent")
	if c.Len() != 6 || c.Bytes() != 30 {
		t.Fatalf("Len() = %d, Bytes() = %d; want 6 blocks of k/child, 30 bytes", c.Len(), c.Bytes())
	}
	for _, etag := range []string{"v1", "v2"} {
		if _, ok := c.Get("k", etag, 0); ok {
			t.Fatalf("block of k at %s survived", etag)
		}
	}
	checkInvariants(t, c)
}

func TestFlightKeyUnambiguous(t *testing.T) {
	a := blockID{key: "a1", etag: "2", index: 3}.flightKey()
	b := blockID{key: "a", etag: "12", index: 3}.flightKey()
	if a == b {
		t.Fatalf("distinct blocks share flight key %q", a)
	}
}

func TestNewBlockCacheRejectsBadOptions(t *testing.T) {
	for _, o := range []BlockOptions{{BlockSize: 0, MaxBytes: 10}, {BlockSize: 10, MaxBytes: -1}} {
		if _, err := NewBlockCache(o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

func TestBlockPeekDoesNotPromote(t *testing.T) {
	c, err := NewBlockCache(BlockOptions{BlockSize: 4, MaxBytes: 12})
	if err != nil {
		t.Fatal(err)
	}
	for i := range int64(3) {
		c.Put("k", "e", i, []byte("abcd"))
	}
	if _, ok := c.Peek("k", "e", 0); !ok {
		t.Fatal("block 0 not cached")
	}
	c.Put("k", "e", 3, []byte("abcd")) // evicts the least recently used
	if _, ok := c.Peek("k", "e", 0); ok {
		t.Error("a peeked block was promoted: block 0 survived instead of being evicted")
	}
	if _, ok := c.Get("k", "e", 1); !ok {
		t.Fatal("block 1 evicted before block 0")
	}
	c.Put("k", "e", 4, []byte("abcd"))
	if _, ok := c.Peek("k", "e", 1); !ok {
		t.Error("Get did not promote block 1")
	}
}
