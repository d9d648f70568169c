package cache

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// Tests of a BlockCache charged to a Budget: the blocks and the other
// holders of the budget together never exceed it, and the cache gives room
// to whoever needs it.

const bbs = 64 // block size of these tests

// newCharged returns a budget of blocks full blocks and a cache that may
// fill it.
func newCharged(t *testing.T, blocks int64) (*Budget, *BlockCache) {
	t.Helper()
	b := newBudget(t, blocks*bbs)
	c, err := NewBlockCache(BlockOptions{BlockSize: bbs, MaxBytes: blocks * bbs, Budget: b})
	if err != nil {
		t.Fatal(err)
	}
	return b, c
}

// fill puts blocks 0..n-1 of key k.
func fill(t *testing.T, c *BlockCache, n int64) {
	t.Helper()
	for i := range n {
		if !c.Put("k", "e", i, block(byte(i), bbs)) {
			t.Fatalf("Put of block %d refused", i)
		}
	}
}

func budgetCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestBlockChargedToBudget(t *testing.T) {
	b, c := newCharged(t, 10)
	fill(t, c, 4)
	if b.InUse() != 4*bbs {
		t.Fatalf("4 blocks cached: budget in use %d, want %d", b.InUse(), 4*bbs)
	}
	c.Put("k", "e", 0, block('r', bbs/2)) // a replacement is counted once
	if b.InUse() != c.Bytes() || c.Bytes() != 3*bbs+bbs/2 {
		t.Fatalf("after a replacement: budget in use %d, cache %d bytes; want both %d", b.InUse(), c.Bytes(), 3*bbs+bbs/2)
	}
	// A block whose bytes the caller holds: PutHeld takes the charge over,
	// and gives it back at once when it does not cache the block.
	if err := b.Acquire(budgetCtx(t), 2*bbs); err != nil {
		t.Fatal(err)
	}
	if !c.PutHeld("h", "e", 0, block('h', bbs)) {
		t.Fatal("PutHeld refused a block")
	}
	if c.PutHeld("h", "e", -1, block('h', bbs)) {
		t.Fatal("PutHeld cached a block of negative index")
	}
	if b.InUse() != c.Bytes() {
		t.Fatalf("after PutHeld: budget in use %d, cache %d bytes; want equal", b.InUse(), c.Bytes())
	}
	if _, err := c.Fetch(budgetCtx(t), "f", "e", 0, func(context.Context) ([]byte, error) { return block('f', bbs), nil }); err != nil {
		t.Fatal(err)
	}
	if b.InUse() != c.Bytes() || c.Len() != 6 {
		t.Fatalf("after Fetch: budget in use %d, cache %d bytes in %d blocks; want equal, 6 blocks", b.InUse(), c.Bytes(), c.Len())
	}
	for _, k := range []string{"k", "h", "f"} {
		c.InvalidateObject(k)
	}
	if b.InUse() != 0 {
		t.Fatalf("every block dropped: budget in use %d, want 0", b.InUse())
	}
	checkInvariants(t, c)
}

// TestBlockShedsForAcquire: a request of the budget (a write's part buffer)
// that finds it full of cached blocks is granted at once, the cache
// dropping its least recently used blocks for it, and no more than it needs.
func TestBlockShedsForAcquire(t *testing.T) {
	b, c := newCharged(t, 10)
	fill(t, c, 10)
	c.Get("k", "e", 0) // recently used: it must stay
	if err := b.Acquire(budgetCtx(t), 3*bbs); err != nil {
		t.Fatalf("Acquire on a budget full of cached blocks: %v", err)
	}
	if c.Bytes() != 7*bbs || b.InUse() != 10*bbs {
		t.Fatalf("cache %d bytes, budget in use %d; want %d, %d", c.Bytes(), b.InUse(), 7*bbs, 10*bbs)
	}
	for i := range int64(10) {
		_, ok := c.Peek("k", "e", i)
		if want := i == 0 || i > 3; ok != want {
			t.Errorf("block %d cached: %v, want %v (the least recently used go first)", i, ok, want)
		}
	}
	// TryAcquire, as a prefetch asks, sheds too.
	if !b.TryAcquire(2 * bbs) {
		t.Fatal("TryAcquire on a budget full of cached blocks failed")
	}
	if c.Bytes() != 5*bbs {
		t.Fatalf("cache %d bytes, want %d", c.Bytes(), 5*bbs)
	}
	// What the cache cannot give, it does not pretend to.
	if b.TryAcquire(6 * bbs) {
		t.Fatal("TryAcquire of more than the cache and the free bytes hold succeeded")
	}
	checkInvariants(t, c)
}

// TestBlockPutHeldMakesRoomForWaiter: an Acquire that waits while the
// budget is held by GETs in flight is granted as the GETs hand their blocks
// to the cache, which sheds them for it: bytes moving into the cache never
// strand a waiter.
func TestBlockPutHeldMakesRoomForWaiter(t *testing.T) {
	b, c := newCharged(t, 4)
	ctx := budgetCtx(t)
	if err := b.Acquire(ctx, 4*bbs); err != nil { // a GET of 4 blocks
		t.Fatal(err)
	}
	granted := make(chan error, 1)
	go func() { granted <- b.Acquire(ctx, 2*bbs) }() // a write's part buffer
	waitWaiting(t, b, 2*bbs)
	for i := range int64(4) {
		c.PutHeld("k", "e", i, block(byte(i), bbs))
		if i == 0 {
			select {
			case err := <-granted:
				t.Fatalf("Acquire of 2 blocks returned %v with 1 block shed", err)
			default:
			}
		}
	}
	if err := <-granted; err != nil {
		t.Fatal(err)
	}
	if b.InUse() != 4*bbs || c.Bytes() != 2*bbs || b.Waiting() != 0 {
		t.Fatalf("budget in use %d, cache %d bytes, waiting %d; want %d, %d, 0", b.InUse(), c.Bytes(), b.Waiting(), 4*bbs, 2*bbs)
	}
	checkInvariants(t, c)
}

// TestBlockPutWithoutRoom: a block whose bytes the budget cannot give, the
// others holding all of it, is not cached.
func TestBlockPutWithoutRoom(t *testing.T) {
	b, c := newCharged(t, 2)
	if err := b.Acquire(budgetCtx(t), 2*bbs); err != nil {
		t.Fatal(err)
	}
	if c.Put("k", "e", 0, block('x', bbs)) {
		t.Fatal("Put cached a block with the budget held by others")
	}
	if b.InUse() != 2*bbs || c.Bytes() != 0 {
		t.Fatalf("budget in use %d, cache %d bytes; want %d, 0", b.InUse(), c.Bytes(), 2*bbs)
	}
}

func TestBlockOneCachePerBudget(t *testing.T) {
	b, _ := newCharged(t, 2)
	if _, err := NewBlockCache(BlockOptions{BlockSize: bbs, MaxBytes: bbs, Budget: b}); err == nil {
		t.Fatal("a second cache on one budget: no error")
	}
}

// TestBlockBudgetBoundUnderLoad runs readers that fetch blocks into the
// cache (Acquire, then PutHeld) without pause, next to writers that take
// and give back large buffers and a stream of Puts and invalidations. The
// cache and the holders together never exceed the budget, every request is
// served (reads cannot starve writes: the cache sheds for them), and when
// all is done only the cache holds budget.
func TestBlockBudgetBoundUnderLoad(t *testing.T) {
	const blocks = 16
	b, c := newCharged(t, blocks)
	ctx := budgetCtx(t)
	stop := make(chan struct{})
	var readers, writers, checker sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 4 {
		readers.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for {
				select {
				case <-stop:
					return
				default:
				}
				n := 1 + rng.Int64N(4)
				if err := b.Acquire(ctx, n*bbs); err != nil {
					errs <- fmt.Errorf("reader %d: %w", g, err)
					return
				}
				first := rng.Int64N(64)
				for i := range n {
					c.PutHeld(fmt.Sprintf("r%d", g), "e", first+i, block(byte(i), bbs))
				}
				switch rng.IntN(8) {
				case 0:
					c.InvalidateObject(fmt.Sprintf("r%d", rng.IntN(4)))
				case 1:
					c.Put("p", "e", rng.Int64N(8), block('p', 1+rng.IntN(bbs)))
				}
			}
		})
	}
	// The writers start once the readers have filled the budget.
	for deadline := time.Now().Add(5 * time.Second); b.InUse() < blocks*bbs/2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("readers filled %d bytes of %d in 5s", b.InUse(), blocks*bbs)
		}
	}
	const rounds = 500
	for g := range 2 {
		writers.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 2))
			for range rounds {
				n := 1 + rng.Int64N(blocks/2*bbs)
				if err := b.Acquire(ctx, n); err != nil {
					errs <- fmt.Errorf("writer %d: %w (budget in use %d, cache %d, waiting %d)", g, err, b.InUse(), c.Bytes(), b.Waiting())
					return
				}
				b.Release(n)
			}
		})
	}
	checker.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if err := invariantErr(c); err != nil {
				errs <- err
				return
			}
		}
	})
	writers.Wait()
	close(stop)
	readers.Wait()
	checker.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	checkInvariants(t, c)
	if b.InUse() != c.Bytes() || b.Waiting() != 0 {
		t.Fatalf("all done: budget in use %d, cache %d bytes, waiting %d; want in use = cached, 0 waiting", b.InUse(), c.Bytes(), b.Waiting())
	}
	if c.Stats().Evictions == 0 {
		t.Fatal("no evictions: the test never filled the budget")
	}
}
