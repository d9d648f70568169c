package cache

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"sync"
)

// ErrOverBudget is returned by Budget.Acquire for a request larger than the
// whole budget, which could never be granted.
var ErrOverBudget = errors.New("cache: request larger than the whole byte budget")

// Budget is the one byte budget of the file data a mount holds in memory
// (DESIGN §4): the buffers of reads in flight, the blocks of the BlockCache
// built on it (BlockOptions.Budget), and the part buffers of uploads. Its
// holders together never hold more than Max bytes, whatever the number of
// open files. It is safe for concurrent use.
//
// The cached blocks are the budget's slack. When a request finds too few
// bytes free, the budget has the cache drop its least recently used blocks
// until the request fits, and every request waiting before it: a full
// cache never keeps a read or a write waiting, while the cache may fill all
// that the others leave free. Bytes that other holders have are given back
// only by them (a GET or an upload part ending).
//
// Waiters are served in arrival order: a large request is not starved by a
// stream of small ones, and small ones queue behind it. The budget is its
// own semaphore rather than x/sync's semaphore.Weighted, which does not say
// how much its waiters want: the budget needs that to know how much of the
// cache to shed.
//
// LOCK ORDERING: reclaimMu, then the reclaimer's own lock, then mu. The
// budget never calls out while holding mu; the reclaimer calls Release with
// its lock held.
//
// INVARIANT: 0 <= used <= max; waiting is the sum of n over waiters; the
// first waiter, if any, wants more than max-used (notifyLocked grants it
// otherwise).
type Budget struct {
	max int64
	// reclaimer holds bytes of the budget that it can give back on demand;
	// set once, by NewBlockCache, before the budget is shared.
	reclaimer reclaimer
	// reclaimMu makes one makeRoom run at a time, so that each sees what
	// the previous one shed and none sheds twice for the same waiter.
	reclaimMu sync.Mutex

	mu      sync.Mutex
	used    int64     // GUARDED_BY(mu)
	waiters list.List // GUARDED_BY(mu): of *budgetWaiter, in arrival order
	waiting int64     // GUARDED_BY(mu)
}

// budgetWaiter is one Acquire waiting for n bytes; ready is closed once they
// are granted.
type budgetWaiter struct {
	n     int64
	ready chan struct{}
}

// reclaimer holds bytes of a Budget that it can give back at any time.
type reclaimer interface {
	// reclaim gives back at least n bytes with Release, fewer only when
	// it holds fewer. It runs with no lock of the Budget held.
	reclaim(n int64)
}

// NewBudget returns a budget of max bytes, all free. max must be positive.
func NewBudget(max int64) (*Budget, error) {
	if max <= 0 {
		return nil, fmt.Errorf("cache: byte budget %d: must be positive", max)
	}
	return &Budget{max: max}, nil
}

// Acquire takes n bytes of the budget, shedding cached blocks if they are
// what holds them, else waiting until other holders give them back or ctx
// is done; on failure it takes nothing. A request for more than the whole
// budget fails at once with an error wrapping ErrOverBudget, rather than
// waiting for ever. The caller must Release the same n.
func (b *Budget) Acquire(ctx context.Context, n int64) error {
	if n < 0 {
		return fmt.Errorf("cache: acquire %d bytes: negative", n)
	}
	if n > b.max {
		return fmt.Errorf("%w: %d bytes asked, budget is %d", ErrOverBudget, n, b.max)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	if b.waiters.Len() == 0 && b.max-b.used >= n {
		b.used += n
		b.mu.Unlock()
		return nil
	}
	w := &budgetWaiter{n: n, ready: make(chan struct{})}
	elem := b.waiters.PushBack(w)
	b.waiting += n
	b.mu.Unlock()

	// Queued first, so that what the cache sheds comes to this request (or
	// one before it) and not to a TryAcquire that arrives meanwhile.
	b.makeRoom(0)

	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		b.mu.Lock()
		defer b.mu.Unlock()
		select {
		case <-w.ready: // granted as ctx ended: give the bytes back
			b.used -= n
		default:
			b.waiters.Remove(elem)
			b.waiting -= n
		}
		// Either way the waiters after this one may fit now.
		b.notifyLocked()
		return ctx.Err()
	}
}

// TryAcquire takes n bytes if no one waits and they are free now, or can be
// made free at once by shedding cached blocks, and reports whether it did.
// It never waits for other holders, so it suits work that can be skipped,
// such as prefetch.
func (b *Budget) TryAcquire(n int64) bool {
	if n < 0 || n > b.max {
		return false
	}
	if ok, short := b.tryTake(n); ok || !short {
		return ok
	}
	b.makeRoom(n)
	ok, _ := b.tryTake(n)
	return ok
}

// tryTake takes n bytes if no one waits and they are free. short reports a
// failure that shedding could cure: no one waits, the bytes are not free.
func (b *Budget) tryTake(n int64) (ok, short bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.waiters.Len() > 0 {
		return false, false
	}
	if b.max-b.used < n {
		return false, true
	}
	b.used += n
	return true, false
}

// Release gives back n bytes taken by Acquire or TryAcquire. Releasing more
// than is held panics, as it is a bug that would void the bound.
func (b *Budget) Release(n int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if n < 0 || n > b.used {
		panic(fmt.Sprintf("cache: budget release of %d bytes with %d held", n, b.used))
	}
	b.used -= n
	b.notifyLocked()
}

// notifyLocked grants the waiters at the front of the queue whose bytes are
// free, in order: one that does not fit stops the others behind it.
//
// LOCKS_REQUIRED(b.mu)
func (b *Budget) notifyLocked() {
	for e := b.waiters.Front(); e != nil; e = b.waiters.Front() {
		w := e.Value.(*budgetWaiter)
		if b.max-b.used < w.n {
			return
		}
		b.used += w.n
		b.waiting -= w.n
		b.waiters.Remove(e)
		close(w.ready)
	}
}

// makeRoom has the reclaimer shed what the waiters, and extra more bytes,
// lack beyond the free bytes. It runs after every event that can leave a
// waiter short while the cache holds blocks: a waiter queued, and a block
// cached (BlockCache.PutHeld, which Put uses, and Fetch). No other event can: bytes are granted only
// to waiters while any wait, so the free bytes never fall without the
// waiting ones falling as much.
//
// The first look, without reclaimMu, keeps the common case (no one short)
// from queueing on it; returning on it is safe, as any event after it makes
// its own call.
func (b *Budget) makeRoom(extra int64) {
	if b.reclaimer == nil || b.shortfall(extra) <= 0 {
		return
	}
	b.reclaimMu.Lock()
	defer b.reclaimMu.Unlock()
	if need := b.shortfall(extra); need > 0 {
		b.reclaimer.reclaim(need)
	}
}

// shortfall returns how many bytes the waiters, and extra more, lack
// beyond the free ones.
func (b *Budget) shortfall(extra int64) int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.waiting + extra - (b.max - b.used)
}

// setReclaimer makes r the holder that makeRoom sheds; a budget has at
// most one.
func (b *Budget) setReclaimer(r reclaimer) error {
	if b.reclaimer != nil {
		return errors.New("cache: the byte budget already has a block cache")
	}
	b.reclaimer = r
	return nil
}

// InUse returns the bytes held now, cached blocks included, for metrics and
// tests.
func (b *Budget) InUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// Waiting returns the bytes that Acquire calls wait for now, for metrics and
// tests.
func (b *Budget) Waiting() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.waiting
}

// Max returns the size of the budget.
func (b *Budget) Max() int64 { return b.max }
