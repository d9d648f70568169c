package cache

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"golang.org/x/sync/semaphore"
)

// ErrOverBudget is returned by Budget.Acquire for a request larger than the
// whole budget, which could never be granted.
var ErrOverBudget = errors.New("cache: request larger than the whole byte budget")

// Budget is the one byte budget that the buffers of reads in flight and of
// writes share (DESIGN §4), so that memory stays bounded whatever the number
// of open files. Blocks in the BlockCache are outside it: they are bounded by
// BlockOptions.MaxBytes (see the package documentation). It is safe for
// concurrent use.
//
// Waiters are served in arrival order: a large request is not starved by a
// stream of small ones, and small ones queue behind it.
type Budget struct {
	max   int64
	sem   *semaphore.Weighted
	inUse atomic.Int64 // at most the bytes held in sem, so never above max
}

// NewBudget returns a budget of max bytes, all free. max must be positive.
func NewBudget(max int64) (*Budget, error) {
	if max <= 0 {
		return nil, fmt.Errorf("cache: byte budget %d: must be positive", max)
	}
	return &Budget{max: max, sem: semaphore.NewWeighted(max)}, nil
}

// Acquire takes n bytes of the budget, waiting until they are free or ctx is
// done; on failure it takes nothing. A request for more than the whole budget
// fails at once with an error wrapping ErrOverBudget, rather than waiting for
// ever. The caller must Release the same n.
func (b *Budget) Acquire(ctx context.Context, n int64) error {
	if n < 0 {
		return fmt.Errorf("cache: acquire %d bytes: negative", n)
	}
	if n > b.max {
		return fmt.Errorf("%w: %d bytes asked, budget is %d", ErrOverBudget, n, b.max)
	}
	if err := b.sem.Acquire(ctx, n); err != nil {
		return err
	}
	b.inUse.Add(n)
	return nil
}

// TryAcquire takes n bytes if they are free now and no one waits before it,
// and reports whether it did. It suits work that can be skipped, such as
// prefetch.
func (b *Budget) TryAcquire(n int64) bool {
	if n < 0 || n > b.max || !b.sem.TryAcquire(n) {
		return false
	}
	b.inUse.Add(n)
	return true
}

// Release gives back n bytes taken by Acquire or TryAcquire. Releasing more
// than is held panics, as it is a bug that would void the bound.
func (b *Budget) Release(n int64) {
	b.inUse.Add(-n)
	b.sem.Release(n)
}

// InUse returns the bytes held now, for metrics and tests.
func (b *Budget) InUse() int64 { return b.inUse.Load() }

// Max returns the size of the budget.
func (b *Budget) Max() int64 { return b.max }
