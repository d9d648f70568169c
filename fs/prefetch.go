package fs

// The prefetcher of objectReader. A reader is in one of two modes:
//
//   - random: each read fetches only its own bytes (cache hits aside),
//     with a direct GET into the caller's buffer;
//   - sequential: the reader keeps `window` bytes past the end of the latest
//     read cached or in flight, as ranged GETs of whole blocks, at most
//     MaxGetSize each and Parallelism at once; the blocks go to the shared
//     BlockCache as they arrive, and reads wait for the block they need.
//
// A read near the previous one (see pattern.observe) is a sequential hit: it
// starts a sequential run with InitialWindow, or doubles the window up to
// MaxWindow; a hit that must wait for its block (the prefetch was late)
// doubles it once more. A read far from the previous one switches to random
// mode and resets the window.
//
// Two rules keep the pipe full with few, large GETs:
//   - a prefetch GET starts only once half the window, up to a full GET, is
//     missing (or the rest of the object is): the window's edge moves a block
//     at a time as the reader advances, and a GET per block would be small;
//   - a fetch that ends tops the window up itself, since the reader may be
//     blocked on an older fetch and send no read to do it.

import (
	"context"
	"fmt"
	"io"
)

// accessMode is what a reader believes about its access pattern.
type accessMode int

const (
	modeRandom     accessMode = iota // fetch only what is asked
	modeSequential                   // keep the window ahead cached or in flight
)

func (m accessMode) String() string {
	switch m {
	case modeRandom:
		return "random"
	case modeSequential:
		return "sequential"
	}
	return fmt.Sprintf("accessMode(%d)", int(m))
}

// pattern detects sequential runs in the reads of one reader.
type pattern struct {
	mode    accessMode
	initial int64 // the window of a new run
	window  int64 // bytes to keep ahead of the reader in sequential mode
	lastEnd int64 // sequential: the furthest end read in the run; random: the end of the last read
	lastLen int64 // the length of the last read
}

// newPattern starts in random mode at offset 0, so that a first read at 0
// starts a sequential run and a first read elsewhere is random.
func newPattern(initial int64) pattern {
	return pattern{mode: modeRandom, initial: initial, window: initial}
}

// observe classifies the read [off, end) and records it. It reports whether
// the read is sequential, and whether it starts a new sequential run.
//
// The kernel's readahead sends several reads at once and they arrive out of
// order, so a hit need not start where the previous read ended. In
// sequential mode a read anywhere within the window of the furthest end is a
// hit. In random mode only a read within two read lengths of the previous
// one's end is (the pair of reads of a readahead batch that came swapped),
// so that scattered reads rarely trigger prefetch by chance.
func (s *pattern) observe(off, end, maxWindow int64) (seq, restart bool) {
	tol := 2 * s.lastLen
	if s.mode == modeSequential {
		tol = s.window
	}
	near := off >= s.lastEnd-tol && off <= s.lastEnd+tol
	switch {
	case !near:
		s.mode, s.window, s.lastEnd = modeRandom, s.initial, end
	case s.mode == modeRandom:
		s.mode, s.window, s.lastEnd = modeSequential, s.initial, end
		restart = true
	default:
		s.window = min(2*s.window, maxWindow)
		s.lastEnd = max(s.lastEnd, end)
	}
	s.lastLen = end - off
	return s.mode == modeSequential, restart
}

// starved records that a sequential read found its block still in flight:
// the prefetch was late, so the window doubles once more. It shortens the
// ramp from InitialWindow when each round trip is long.
func (s *pattern) starved(maxWindow int64) {
	s.window = min(2*s.window, maxWindow)
}

// fetch is one ranged GET of the whole blocks [first, first+len(ready)).
// Each block is published on its own as soon as it arrived, so a read waits
// for its block, not for the whole GET.
type fetch struct {
	first int64
	// ready[i] is closed once block first+i is in data[i], or the fetch
	// failed before it and err is set.
	ready []chan struct{}
	data  [][]byte // data[i] is written before ready[i] is closed
	err   error    // written before the first ready[i] closed without data
}

// wait returns block b of f once it arrived, or the fetch's error.
func (f *fetch) wait(ctx context.Context, b int64) ([]byte, error) {
	i := b - f.first
	select {
	case <-f.ready[i]:
		if f.data[i] != nil {
			return f.data[i], nil
		}
		return nil, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// lookup finds block b in flight or in the cache. If it is in neither, a
// sequential read starts a fetch of it (and of the missing blocks after it,
// up to one GET's worth below want); a random read gets neither.
func (r *objectReader) lookup(b int64, seq bool, want int64) ([]byte, *fetch, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.stateErrLocked(); err != nil {
		return nil, nil, err
	}
	// In flight first: a fetch Puts a block before it leaves inflight, so
	// checking in this order never misses a block being fetched.
	if f := r.inflight[b]; f != nil {
		return nil, f, nil
	}
	if data, ok := r.cached(b, seq); ok {
		return data, nil, nil
	}
	if !seq {
		return nil, nil, nil
	}
	n := int64(1)
	for n < r.maxRun && b+n < want && !r.presentLocked(b+n) {
		n++
	}
	return nil, r.startFetchLocked(b, n, false), nil
}

// missingUntil returns the first block after b, up to and including last,
// that is cached or in flight, or last+1.
func (r *objectReader) missingUntil(b, last int64) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	for b++; b <= last && !r.presentLocked(b); b++ {
	}
	return b
}

// prefetchLocked starts the fetches that make blocks [max(ahead, first),
// want) cached or in flight, where [first, last] are the blocks the current
// read needs (none when last < first). Fetches of needed blocks always start
// (they wait for budget in their goroutine); pure prefetches start only with
// enough blocks (see the file comment), within Parallelism, and with budget
// free now; otherwise a later read or fetch end starts them.
func (r *objectReader) prefetchLocked(first, last, want int64) {
	// The smallest prefetch worth a GET: a full one, or half the window
	// while that is smaller (a new run ramps up in a few round trips).
	minRun := min(r.maxRun, max(1, r.windowLocked()/r.bs/2))
	b := max(r.ahead, first)
	for b < want {
		if r.presentLocked(b) {
			b++
			continue
		}
		n := int64(1)
		for n < r.maxRun && b+n < want && !r.presentLocked(b+n) {
			n++
		}
		if b <= last {
			r.startFetchLocked(b, n, false)
		} else {
			if n < minRun && b+n == want && want < r.nblocks {
				break
			}
			if r.running >= r.opts.Parallelism || !r.budget.TryAcquire(r.runBytes(b, n)) {
				break
			}
			r.startFetchLocked(b, n, true)
		}
		b += n
	}
	r.ahead = b
}

// presentLocked reports whether block b is in flight or cached.
func (r *objectReader) presentLocked(b int64) bool {
	if r.inflight[b] != nil {
		return true
	}
	_, ok := r.blocks.Peek(r.key, r.etag, b) // asking is not using
	return ok
}

// cached returns block b from the block cache. A sequential read uses each
// block once, so it does not make the block recently used: the blocks
// prefetched ahead of the reader, not yet read, must outlive it.
func (r *objectReader) cached(b int64, seq bool) ([]byte, bool) {
	if seq {
		return r.blocks.Peek(r.key, r.etag, b)
	}
	return r.blocks.Get(r.key, r.etag, b)
}

// runBytes returns the length of blocks [b, b+n).
func (r *objectReader) runBytes(b, n int64) int64 {
	return min(r.size, (b+n)*r.bs) - b*r.bs
}

// startFetchLocked registers a fetch of blocks [b, b+n) and starts it. If
// acquired, its bytes are already taken from the budget; otherwise the fetch
// acquires them first, waiting. The caller holds a count of r.wg (ReadAt
// does), so Close's Wait cannot have started from zero.
func (r *objectReader) startFetchLocked(b, n int64, acquired bool) *fetch {
	f := &fetch{first: b, ready: make([]chan struct{}, n), data: make([][]byte, n)}
	for i := range f.ready {
		f.ready[i] = make(chan struct{})
		r.inflight[b+int64(i)] = f
	}
	r.running++
	r.wg.Add(1)
	go r.runFetch(f, acquired)
	return f
}

// runFetch GETs the blocks of f and hands each to the cache, with its share
// of the fetch's budget, and to the reads waiting as it arrives. A failed
// fetch caches nothing it did not read whole, and gives back the budget of
// the blocks it did not hand over.
func (r *objectReader) runFetch(f *fetch, acquired bool) {
	defer r.wg.Done()
	off := f.first * r.bs
	n := r.runBytes(f.first, int64(len(f.ready)))
	var held int64
	if acquired {
		held = n
	}
	done := 0 // blocks published
	err := func() error {
		if !acquired {
			if err := r.budget.Acquire(r.ctx, n); err != nil {
				return fmt.Errorf("read %q: budget for %d bytes: %w", r.key, n, err)
			}
			held = n
		}
		res, err := r.get(r.ctx, off, n)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		for i := range f.ready {
			b := f.first + int64(i)
			blk := make([]byte, r.blockLen(b))
			if _, err := io.ReadFull(res.Body, blk); err != nil {
				return fmt.Errorf("read %q block %d: %w", r.key, b, err)
			}
			r.blocks.PutHeld(r.key, r.etag, b, blk) // the cache now holds its bytes of the budget
			held -= int64(len(blk))
			f.data[i] = blk
			close(f.ready[i])
			done++
		}
		return nil
	}()
	if held > 0 {
		r.budget.Release(held)
	}
	// Leave inflight before failing the waiters, so that their retry starts
	// a new fetch instead of finding this one.
	r.mu.Lock()
	for i := range f.ready {
		if b := f.first + int64(i); r.inflight[b] == f {
			delete(r.inflight, b)
		}
	}
	r.running--
	// The reader may be blocked on an older fetch and send no read to
	// start the next one: refill the pipe from here, or it drains.
	if err == nil && r.state == stateOpen && r.pat.mode == modeSequential {
		pos := r.blockOf(r.pat.lastEnd)
		r.prefetchLocked(pos, pos-1, r.blockOf(min(r.size, r.pat.lastEnd+r.windowLocked())-1)+1)
	}
	r.mu.Unlock()
	if err != nil {
		f.err = err
		for _, c := range f.ready[done:] {
			close(c)
		}
	}
}
