package fs

// The read path of one open file (DESIGN §4): the block cache first, then
// ranged GETs with If-Match, sequential reads served by a growing prefetch
// window (prefetch.go), random reads by small direct GETs.
//
// LOCK ORDERING inside a reader: objectReader.mu before the locks of the
// BlockCache and the Budget (which never call out of package cache).
// Budget.TryAcquire may be called with mu held, as it never waits (it may
// make the cache shed blocks); Budget.Acquire never is.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/ossfuse/ossfuse/cache"
	"github.com/ossfuse/ossfuse/ossio"
)

// errStale reports that the object changed under an open reader: a GET with
// If-Match answered 412. The fs maps it to ESTALE; the next open sees the new
// version.
var errStale = errors.New("object changed while open")

// objectGetter is the one call the reader needs (declared by the consumer, STYLE.md).
type objectGetter interface {
	GetObject(ctx context.Context, req ossio.GetRequest) (*ossio.GetResult, error)
}

// Defaults of ReaderOptions.
const (
	defaultMaxGetSize    = 8 << 20
	defaultMaxWindow     = 64 << 20
	defaultInitialWindow = 1 << 20
	defaultParallelism   = 8
	// defaultRandomAlign is the page size: FUSE asks for whole pages, so a
	// random read costs exactly what the kernel asked for. A wider alignment
	// would only pay if the extra bytes were kept for a neighbouring read,
	// and keeping them would hold budget in idle open files.
	defaultRandomAlign = 4 << 10
)

// ReaderOptions tune reads; zero (or negative) values mean the defaults.
type ReaderOptions struct {
	// BlockSize must be the BlockCache's block size (1 MiB in the fs); zero
	// takes it from the cache. Another value panics: blocks are cached by
	// index, so a reader with another size would read wrong bytes.
	BlockSize int
	// MaxGetSize bounds one ranged GET of the prefetcher; default 8 MiB. It
	// is rounded down to whole blocks (at least one) and to the Budget's size.
	MaxGetSize int64
	// MaxWindow bounds the prefetch window; default 64 MiB. The block cache
	// should hold a window for every file read at once, or prefetched blocks
	// are evicted before they are read and fetched again.
	MaxWindow int64
	// InitialWindow is the window of a new sequential run; default 1 MiB.
	InitialWindow int64
	// Parallelism bounds the prefetch GETs in flight per reader; default 8.
	// Fetches a read waits for are not counted against it.
	Parallelism int
	// RandomAlign rounds the range of a random read out; default 4 KiB.
	// Amplification of a read of n bytes is at most (n + 2*RandomAlign) / n.
	RandomAlign int64
}

// withDefaults returns o with zero fields set and the window clamped.
func (o ReaderOptions) withDefaults(blockSize int) ReaderOptions {
	if o.BlockSize != 0 && o.BlockSize != blockSize {
		panic(fmt.Sprintf("fs: reader block size %d differs from the block cache's %d", o.BlockSize, blockSize))
	}
	o.BlockSize = blockSize
	if o.MaxGetSize <= 0 {
		o.MaxGetSize = defaultMaxGetSize
	}
	if o.MaxWindow <= 0 {
		o.MaxWindow = defaultMaxWindow
	}
	if o.InitialWindow <= 0 {
		o.InitialWindow = defaultInitialWindow
	}
	o.InitialWindow = min(o.InitialWindow, o.MaxWindow)
	if o.Parallelism <= 0 {
		o.Parallelism = defaultParallelism
	}
	if o.RandomAlign <= 0 {
		o.RandomAlign = defaultRandomAlign
	}
	return o
}

// readerState is the life cycle of a reader: open until the object is seen to
// change (stale) or the file is closed; both are final but closed wins.
type readerState int

const (
	stateOpen   readerState = iota // reads are served
	stateStale                     // a GET saw another version: every read fails with errStale
	stateClosed                    // Close ran: every read fails with os.ErrClosed
)

func (s readerState) String() string {
	switch s {
	case stateOpen:
		return "open"
	case stateStale:
		return "stale"
	case stateClosed:
		return "closed"
	}
	return fmt.Sprintf("readerState(%d)", int(s))
}

// objectReader reads one version (key, etag, size) of an object for one open
// file. It is safe for concurrent ReadAt calls (the kernel issues parallel
// reads). Blocks it fetches go to the shared BlockCache, so other readers of
// the same version get them for free.
//
// Memory: the BlockCache is charged to the Budget, so a block holds budget
// from its GET until the cache drops it. The buffer of every block fetch is
// taken from the Budget before its GET and handed over to the cache block by
// block (BlockCache.PutHeld). Prefetches only TryAcquire and are skipped
// when the budget is short of what the cache can shed; a fetch a read waits
// for Acquires, waiting its turn (the Budget is FIFO). That cannot deadlock:
// no fetch waits for budget while holding any, every other holder is a GET
// or an upload part that ends (or is cancelled) on its own, and the cache
// sheds blocks for any waiter. Random reads GET straight into the caller's
// buffer and take no budget. A Budget smaller than one block makes every
// read direct.
//
// Fetches in flight are shared by the reads of this reader only; other
// readers of the same version share the blocks once they are cached.
//
// INVARIANT: inflight[b] == f exactly for the blocks b of the fetches f that
// have not finished, and running is their number. A fetch Puts a block in
// the cache before it leaves inflight, so a lookup that checks inflight
// first, then the cache, never misses a block being fetched.
type objectReader struct {
	g       objectGetter
	blocks  *cache.BlockCache
	budget  *cache.Budget
	streams *streamCount  // the mount's sequential readers; nil counts this one alone
	opts    ReaderOptions // defaults applied
	key     string
	etag    string // "" when unknown: no If-Match, only the size is checked
	size    int64
	bs      int64 // block size
	nblocks int64
	// maxRun is the number of blocks in one GET: MaxGetSize and the budget
	// allow, at least one.
	maxRun int64
	// blockFits is false when the budget cannot hold one block; every read
	// is then direct.
	blockFits bool

	// ctx is cancelled by Close and when the object is found stale, to stop
	// every fetch and every read waiting.
	ctx    context.Context
	cancel context.CancelFunc
	// wg counts the ReadAt calls and fetches running, for Close to wait on.
	wg sync.WaitGroup

	mu        sync.Mutex
	state     readerState      // GUARDED_BY(mu)
	streaming bool             // GUARDED_BY(mu): counted in streams
	pat       pattern          // GUARDED_BY(mu)
	ahead     int64            // GUARDED_BY(mu): first block the prefetcher has not yet seen to
	inflight  map[int64]*fetch // GUARDED_BY(mu)
	running   int              // GUARDED_BY(mu): fetches not finished
}

// newObjectReader returns a reader of version etag of key, of size bytes.
// blocks and budget are shared by all readers; their block sizes must agree
// with opts.BlockSize (see ReaderOptions).
func newObjectReader(g objectGetter, blocks *cache.BlockCache, budget *cache.Budget, streams *streamCount, opts ReaderOptions,
	key, etag string, size int64) *objectReader {
	opts = opts.withDefaults(blocks.BlockSize())
	bs := int64(opts.BlockSize)
	ctx, cancel := context.WithCancel(context.Background())
	r := &objectReader{
		g: g, blocks: blocks, budget: budget, streams: streams, opts: opts,
		key: key, etag: etag, size: max(size, 0),
		bs:        bs,
		maxRun:    max(1, min(opts.MaxGetSize, budget.Max())/bs),
		blockFits: budget.Max() >= bs,
		ctx:       ctx,
		cancel:    cancel,
		pat:       newPattern(opts.InitialWindow),
		inflight:  make(map[int64]*fetch),
	}
	r.nblocks = (r.size + bs - 1) / bs
	return r
}

// ReadAt reads len(p) bytes at off, with io.ReaderAt's contract: fewer bytes
// come with an error, io.EOF at the end of the object. Reads of a changed
// object fail with errStale, reads after Close with os.ErrClosed; a transport
// failure is retried once. Cancelling ctx ends the wait, not the fetches that
// other reads share.
func (r *objectReader) ReadAt(ctx context.Context, p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("read %q at %d: negative offset", r.key, off)
	}
	if off >= r.size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	var eof error
	if int64(len(p)) > r.size-off {
		p, eof = p[:r.size-off], io.EOF
	}
	end := off + int64(len(p))

	r.mu.Lock()
	if err := r.stateErrLocked(); err != nil {
		r.mu.Unlock()
		return 0, err
	}
	r.wg.Add(1)
	defer r.wg.Done()
	seq, restart := r.pat.observe(off, end, r.maxWindowLocked())
	seq = seq && r.blockFits
	r.setStreamingLocked(seq)
	var want int64 // in sequential mode: blocks [off/bs, want) are to be cached or in flight
	if seq {
		if restart {
			r.ahead = off / r.bs
		} else if r.inflight[off/r.bs] != nil {
			r.pat.starved(r.maxWindowLocked())
		}
		want = r.blockOf(min(r.size, end+r.windowLocked())-1) + 1
		r.prefetchLocked(off/r.bs, r.blockOf(end-1), want)
	}
	r.mu.Unlock()

	// Close and staleness cancel r.ctx; a read waiting must end with them.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(r.ctx, cancel)()

	n, err := r.fill(ctx, p, off, seq, want)
	if err != nil {
		return n, err
	}
	return n, eof
}

// fill copies [off, off+len(p)) into p, block by block, and returns how many
// bytes from the start of p it filled.
func (r *objectReader) fill(ctx context.Context, p []byte, off int64, seq bool, want int64) (int, error) {
	end := off + int64(len(p))
	pos := off
	failures := 0 // of fetches of the current block; one retry each
	for pos < end {
		b := pos / r.bs
		data, f, err := r.lookup(b, seq, want)
		if err != nil {
			return int(pos - off), err
		}
		if data == nil && f != nil {
			data, err = f.wait(ctx, b)
			if err != nil {
				if t := r.terminal(ctx, err); t != nil {
					return int(pos - off), t
				}
				if failures++; failures > 1 {
					return int(pos - off), err
				}
				continue
			}
		}
		if data != nil {
			in := pos - b*r.bs
			if in >= int64(len(data)) {
				return int(pos - off), fmt.Errorf("read %q: block %d has %d bytes, want more than %d", r.key, b, len(data), in)
			}
			pos += int64(copy(p[pos-off:], data[in:]))
			failures = 0
			continue
		}
		// A random read of blocks neither cached nor in flight: GET just
		// the bytes asked, into p.
		stop := min(end, r.missingUntil(b, r.blockOf(end-1))*r.bs)
		if err := r.direct(ctx, p[pos-off:stop-off], pos); err != nil {
			return int(pos - off), err
		}
		pos = stop
	}
	return len(p), nil
}

// direct reads [off, off+len(p)) into p with one GET rounded out to
// RandomAlign, retrying once after a transport failure.
func (r *objectReader) direct(ctx context.Context, p []byte, off int64) error {
	var err error
	for range 2 {
		if err = r.directOnce(ctx, p, off); err == nil {
			return nil
		}
		if t := r.terminal(ctx, err); t != nil {
			return t
		}
	}
	return err
}

func (r *objectReader) directOnce(ctx context.Context, p []byte, off int64) error {
	a := r.opts.RandomAlign
	start := off / a * a
	stop := min(r.size, (off+int64(len(p))+a-1)/a*a)
	res, err := r.get(ctx, start, stop-start)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if _, err := io.CopyN(io.Discard, res.Body, off-start); err != nil {
		return fmt.Errorf("read %q at %d: %w", r.key, start, err)
	}
	if _, err := io.ReadFull(res.Body, p); err != nil {
		return fmt.Errorf("read %q at %d: %w", r.key, off, err)
	}
	// Drain the few alignment bytes left, so the connection is reused.
	if _, err := io.Copy(io.Discard, res.Body); err != nil {
		return fmt.Errorf("read %q at %d: %w", r.key, off, err)
	}
	return nil
}

// get issues the ranged GET of [off, off+n) with If-Match, and checks that
// the answer is that range of this version.
func (r *objectReader) get(ctx context.Context, off, n int64) (*ossio.GetResult, error) {
	res, err := r.g.GetObject(ctx, ossio.GetRequest{Key: r.key, Offset: off, Length: n, IfMatch: r.etag})
	if errors.Is(err, ossio.ErrPreconditionFailed) {
		return nil, r.markStale(err)
	}
	if err != nil {
		return nil, fmt.Errorf("read %q [%d, %d): %w", r.key, off, off+n, err)
	}
	// A server that ignores If-Match, or an unknown ETag, must not make us
	// mix versions: check what the answer says it is.
	if (r.etag != "" && res.Info.ETag != "" && !strings.EqualFold(res.Info.ETag, r.etag)) || res.Info.Size != r.size {
		res.Body.Close()
		return nil, r.markStale(fmt.Errorf("got etag %q size %d", res.Info.ETag, res.Info.Size))
	}
	if res.RangeStart != off || res.ContentLength != n {
		res.Body.Close()
		return nil, fmt.Errorf("read %q [%d, %d): got %d bytes at %d", r.key, off, off+n, res.ContentLength, res.RangeStart)
	}
	return res, nil
}

// markStale records that the object changed: it cancels every fetch, drops
// the object's cached blocks, and returns the error for the read that saw it.
func (r *objectReader) markStale(cause error) error {
	r.mu.Lock()
	first := r.state == stateOpen
	if first {
		r.state = stateStale
	}
	r.mu.Unlock()
	if first {
		r.cancel()
		r.blocks.InvalidateObject(r.key)
	}
	return fmt.Errorf("read %q (etag %s): %w: %w", r.key, r.etag, errStale, cause)
}

// terminal returns the error that ends a read after a fetch failed with err,
// or nil when the failure was a transport one worth retrying.
func (r *objectReader) terminal(ctx context.Context, err error) error {
	// A timeout was retried by the client already: a server that does not
	// answer twice will not a third time, and each try costs the reader a
	// request bound.
	if errors.Is(err, errStale) || errors.Is(err, ossio.ErrTimeout) {
		return err
	}
	r.mu.Lock()
	serr := r.stateErrLocked()
	r.mu.Unlock()
	if serr != nil {
		return serr
	}
	return ctx.Err()
}

func (r *objectReader) stateErrLocked() error {
	switch r.state {
	case stateStale:
		return fmt.Errorf("read %q (etag %s): %w", r.key, r.etag, errStale)
	case stateClosed:
		return fmt.Errorf("read %q: %w", r.key, os.ErrClosed)
	}
	return nil
}

// Close cancels the fetches in flight, waits for them and for the reads in
// progress to end, and so gives back all of the reader's budget. Blocks
// already cached stay for other readers. It is idempotent.
func (r *objectReader) Close() {
	r.mu.Lock()
	r.state = stateClosed
	r.setStreamingLocked(false)
	r.mu.Unlock()
	r.cancel()
	r.wg.Wait()
}

// blockOf returns the index of the block holding byte off.
func (r *objectReader) blockOf(off int64) int64 { return off / r.bs }

// blockLen returns the length of block b; the last one may be short.
func (r *objectReader) blockLen(b int64) int64 { return min(r.bs, r.size-b*r.bs) }
