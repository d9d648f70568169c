package fs

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ossfuse/ossfuse/cache"
	"github.com/ossfuse/ossfuse/ossio"
	"github.com/ossfuse/ossfuse/ossio/ossemu"
)

const (
	oneMiB      = 1 << 20
	readerBlock = 1 * oneMiB
)

// readerEnv is an in-process emulator with a client, and a block cache
// charged to a budget, as the fs has them.
type readerEnv struct {
	srv     *ossemu.Server
	client  ossio.Client
	blocks  *cache.BlockCache
	budget  *cache.Budget
	streams streamCount
}

// newTestEmulator starts an emulator in process, with bucket "bkt", and
// a client of it that makes one attempt per request, so that injected
// faults reach the caller as they are.
func newTestEmulator(tb testing.TB) (*ossemu.Server, ossio.Client) {
	tb.Helper()
	srv, err := ossemu.New(ossemu.Options{Buckets: []string{"bkt"}})
	if err != nil {
		tb.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	tb.Cleanup(hs.Close)
	client, err := ossio.New(ossio.Config{Endpoint: hs.URL, Region: "cn-hangzhou", Bucket: "bkt", MaxAttempts: 1})
	if err != nil {
		tb.Fatal(err)
	}
	return srv, client
}

// newReaderEnv starts an emulator. The client makes one attempt per request,
// so that injected faults reach the reader as they are.
func newReaderEnv(tb testing.TB, cacheBytes, budgetBytes int64) *readerEnv {
	tb.Helper()
	srv, client := newTestEmulator(tb)
	budget, err := cache.NewBudget(budgetBytes)
	if err != nil {
		tb.Fatal(err)
	}
	blocks, err := cache.NewBlockCache(cache.BlockOptions{BlockSize: readerBlock, MaxBytes: cacheBytes, Budget: budget})
	if err != nil {
		tb.Fatal(err)
	}
	return &readerEnv{srv: srv, client: client, blocks: blocks, budget: budget}
}

// put uploads data at key and returns its ETag.
func (e *readerEnv) put(tb testing.TB, key string, data []byte) string {
	tb.Helper()
	res, err := e.client.PutObject(context.Background(), ossio.PutRequest{Key: key, Body: bytes.NewReader(data), Size: int64(len(data))})
	if err != nil {
		tb.Fatal(err)
	}
	return res.ETag
}

// gets returns the GetObject requests and body bytes since the last ResetStats.
func (e *readerEnv) gets() (requests, bytesOut int64) {
	s := e.srv.Stats()
	return s.Requests["GetObject"], s.BytesOutByOp["GetObject"]
}

// checkIdle fails the test unless the cached blocks are all that holds
// budget: what every closed reader must leave.
func (e *readerEnv) checkIdle(tb testing.TB) {
	tb.Helper()
	if used, cached := e.budget.InUse(), e.blocks.Bytes(); used != cached {
		tb.Errorf("budget in use with every reader closed: %d bytes, of which %d cached", used, cached)
	}
}

func (e *readerEnv) reader(opts ReaderOptions, key, etag string, size int64) *objectReader {
	return newObjectReader(e.client, e.blocks, e.budget, &e.streams, opts, key, etag, size)
}

func readerData(n int, seed uint64) []byte {
	b := make([]byte, n)
	_, _ = rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)}).Read(b)
	return b
}

// readerCtx bounds a test's reads: a guard against hangs, generous
// enough for a loaded machine running the race detector.
func readerCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// readSequential reads r from 0 to EOF with reads of bs bytes.
func readSequential(ctx context.Context, r *objectReader, bs int) ([]byte, error) {
	var out []byte
	buf := make([]byte, bs)
	for off := int64(0); ; {
		n, err := r.ReadAt(ctx, buf, off)
		out = append(out, buf[:n]...)
		off += int64(n)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if n == 0 {
			return out, errors.New("ReadAt returned 0 bytes without an error")
		}
	}
}

func readerTestSize(t *testing.T, full, short int) int {
	if testing.Short() {
		return short
	}
	return full
}

func TestReaderSequential(t *testing.T) {
	ctx := readerCtx(t)
	size := readerTestSize(t, 64*oneMiB, 16*oneMiB)
	e := newReaderEnv(t, 128*oneMiB, 256*oneMiB)
	data := readerData(size, 1)
	etag := e.put(t, "seq", data)
	e.srv.ResetStats()

	r := e.reader(ReaderOptions{}, "seq", etag, int64(size))
	got, err := readSequential(ctx, r, 128<<10)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if sha256.Sum256(got) != sha256.Sum256(data) {
		t.Fatalf("read %d bytes that differ from the %d written", len(got), len(data))
	}
	reqs, out := e.gets()
	t.Logf("%d GETs, %d bytes, mean GET %.2f MiB", reqs, out, float64(out)/float64(reqs)/oneMiB)
	if mean := out / reqs; mean < 4*oneMiB {
		t.Errorf("mean GET %d bytes, want >= 4 MiB", mean)
	}
	if out > int64(size)+defaultMaxGetSize {
		t.Errorf("fetched %d bytes for an object of %d: bytes fetched twice", out, size)
	}
	e.checkIdle(t)
}

func TestReaderConcurrentDisjoint(t *testing.T) {
	ctx := readerCtx(t)
	const size = 16 * oneMiB
	e := newReaderEnv(t, 64*oneMiB, 64*oneMiB)
	data := readerData(size, 2)
	etag := e.put(t, "conc", data)
	r := e.reader(ReaderOptions{}, "conc", etag, size)
	defer r.Close()

	const workers = 4
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Go(func() {
			part := int64(size / workers)
			buf := make([]byte, 128<<10)
			for off := int64(w) * part; off < int64(w+1)*part; off += int64(len(buf)) {
				n, err := r.ReadAt(ctx, buf, off)
				if err != nil || n != len(buf) {
					errs[w] = errors.Join(err, errors.New("short read"))
					return
				}
				if !bytes.Equal(buf, data[off:off+int64(n)]) {
					errs[w] = errors.New("wrong bytes")
					return
				}
			}
		})
	}
	wg.Wait()
	for w, err := range errs {
		if err != nil {
			t.Errorf("worker %d: %v", w, err)
		}
	}
}

// TestReaderSharesFetches: reads of a block being fetched wait for that
// fetch instead of issuing their own GET.
func TestReaderSharesFetches(t *testing.T) {
	ctx := readerCtx(t)
	const size = 4 * oneMiB
	e := newReaderEnv(t, 64*oneMiB, 64*oneMiB)
	data := readerData(size, 3)
	etag := e.put(t, "share", data)
	e.srv.ResetStats()
	r := e.reader(ReaderOptions{}, "share", etag, size)
	defer r.Close()

	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			buf := make([]byte, 64<<10)
			if n, err := r.ReadAt(ctx, buf, 0); err != nil || !bytes.Equal(buf[:n], data[:n]) {
				t.Errorf("ReadAt(0) = %d, %v; or wrong bytes", n, err)
			}
		})
	}
	wg.Wait()
	// The reads also grow the window and prefetch the rest: every byte at
	// most once, and block 0 in one GET.
	if reqs, out := e.gets(); out > size || reqs > 2 {
		t.Errorf("8 concurrent reads of block 0 cost %d GETs of %d bytes in all, want <= 2 and <= %d", reqs, out, size)
	}
}

func TestReaderRandom(t *testing.T) {
	ctx := readerCtx(t)
	size := readerTestSize(t, 32*oneMiB, 16*oneMiB)
	e := newReaderEnv(t, 64*oneMiB, 64*oneMiB)
	data := readerData(size, 4)
	etag := e.put(t, "rand", data)
	rng := rand.New(rand.NewPCG(1, 2))

	for _, tc := range []struct {
		readSize, reads int
	}{{4 << 10, 200}, {256 << 10, 100}} {
		e.srv.ResetStats()
		r := e.reader(ReaderOptions{}, "rand", etag, int64(size))
		buf := make([]byte, tc.readSize)
		for range tc.reads {
			off := rng.Int64N(int64(size - tc.readSize)) // unaligned on purpose
			n, err := r.ReadAt(ctx, buf, off)
			if err != nil || n != len(buf) {
				t.Fatalf("ReadAt(%d bytes at %d) = %d, %v", len(buf), off, n, err)
			}
			if !bytes.Equal(buf, data[off:off+int64(n)]) {
				t.Fatalf("ReadAt(%d bytes at %d): wrong bytes", len(buf), off)
			}
		}
		r.Close()
		reqs, out := e.gets()
		amp := float64(out) / float64(tc.readSize*tc.reads)
		t.Logf("%d reads of %d bytes: %d GETs, amplification %.2f", tc.reads, tc.readSize, reqs, amp)
		if amp > 2 {
			t.Errorf("%d-byte random reads: amplification %.2f, want <= 2", tc.readSize, amp)
		}
	}
}

func TestReaderSecondReaderHitsCache(t *testing.T) {
	ctx := readerCtx(t)
	const size = 16*oneMiB + 12345 // a short last block
	e := newReaderEnv(t, 32*oneMiB, 64*oneMiB)
	data := readerData(size, 5)
	etag := e.put(t, "twice", data)

	first := e.reader(ReaderOptions{}, "twice", etag, size)
	if _, err := readSequential(ctx, first, 128<<10); err != nil {
		t.Fatal(err)
	}
	first.Close()
	e.srv.ResetStats()

	second := e.reader(ReaderOptions{}, "twice", etag, size)
	defer second.Close()
	got, err := readSequential(ctx, second, 1*oneMiB)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("second reader read wrong bytes")
	}
	if reqs, _ := e.gets(); reqs != 0 {
		t.Errorf("second reader of a cached version cost %d GETs, want 0", reqs)
	}
}

func TestReaderStale(t *testing.T) {
	ctx := readerCtx(t)
	const size = 16 * oneMiB
	e := newReaderEnv(t, 64*oneMiB, 64*oneMiB)
	old := readerData(size, 6)
	etag := e.put(t, "stale", old)
	// A small window, so that most of the object is fetched after the overwrite.
	r := e.reader(ReaderOptions{MaxWindow: 2 * oneMiB, MaxGetSize: 1 * oneMiB}, "stale", etag, size)
	defer r.Close()

	buf := make([]byte, 128<<10)
	var err error
	off := int64(0)
	for ; off < size; off += int64(len(buf)) {
		if off == 2*oneMiB {
			e.put(t, "stale", readerData(size, 7)) // same size, new ETag
		}
		var n int
		n, err = r.ReadAt(ctx, buf, off)
		if err != nil {
			break
		}
		if !bytes.Equal(buf[:n], old[off:off+int64(n)]) {
			t.Fatalf("read at %d returned bytes of another version", off)
		}
	}
	if !errors.Is(err, errStale) {
		t.Fatalf("reading on after an overwrite: err = %v at %d, want errStale", err, off)
	}
	// Staleness sticks, even for blocks that were cached.
	if _, err := r.ReadAt(ctx, buf, 0); !errors.Is(err, errStale) {
		t.Errorf("read at 0 after staleness: err = %v, want errStale", err)
	}
	if _, ok := e.blocks.Get("stale", etag, 0); ok {
		t.Error("blocks of the old version still cached")
	}
}

func TestReaderEOF(t *testing.T) {
	ctx := readerCtx(t)
	const size = 2*oneMiB + oneMiB/2 + 123
	e := newReaderEnv(t, 64*oneMiB, 64*oneMiB)
	data := readerData(size, 8)
	etag := e.put(t, "eof", data)
	r := e.reader(ReaderOptions{}, "eof", etag, size)
	defer r.Close()

	buf := make([]byte, 1*oneMiB)
	for _, off := range []int64{size, size + 1, size + 10*oneMiB} {
		if n, err := r.ReadAt(ctx, buf, off); n != 0 || err != io.EOF {
			t.Errorf("ReadAt at %d (size %d) = %d, %v; want 0, EOF", off, size, n, err)
		}
	}
	off := int64(size - 1000)
	n, err := r.ReadAt(ctx, buf, off)
	if n != 1000 || err != io.EOF || !bytes.Equal(buf[:n], data[off:]) {
		t.Errorf("ReadAt straddling the end = %d, %v; want 1000, EOF and the last bytes", n, err)
	}
	whole := make([]byte, size+100)
	n, err = r.ReadAt(ctx, whole, 0)
	if n != size || err != io.EOF || !bytes.Equal(whole[:n], data) {
		t.Errorf("ReadAt of more than the object = %d, %v; want %d, EOF and its bytes", n, err, size)
	}
	if n, err := r.ReadAt(ctx, nil, 5); n != 0 || err != nil {
		t.Errorf("empty ReadAt = %d, %v; want 0, nil", n, err)
	}
	if _, err := r.ReadAt(ctx, buf, -1); err == nil {
		t.Error("ReadAt at -1 succeeded")
	}
}

func TestReaderEmptyObject(t *testing.T) {
	e := newReaderEnv(t, oneMiB, 16*oneMiB)
	etag := e.put(t, "empty", nil)
	e.srv.ResetStats()
	r := e.reader(ReaderOptions{}, "empty", etag, 0)
	defer r.Close()
	if n, err := r.ReadAt(readerCtx(t), make([]byte, 4096), 0); n != 0 || err != io.EOF {
		t.Errorf("ReadAt of an empty object = %d, %v; want 0, EOF", n, err)
	}
	if reqs, _ := e.gets(); reqs != 0 {
		t.Errorf("reading an empty object cost %d GETs", reqs)
	}
}

// gatedGetter holds every GET at or past offset from until its context ends,
// as a server that does not answer would.
type gatedGetter struct {
	objectGetter
	from    int64
	entered chan struct{} // one value per held GET, when there is room
}

func (g *gatedGetter) GetObject(ctx context.Context, req ossio.GetRequest) (*ossio.GetResult, error) {
	if req.Offset < g.from {
		return g.objectGetter.GetObject(ctx, req)
	}
	select {
	case g.entered <- struct{}{}:
	default:
	}
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestReaderCloseCancelsPrefetch(t *testing.T) {
	ctx := readerCtx(t)
	const size = 32 * oneMiB
	e := newReaderEnv(t, 64*oneMiB, 64*oneMiB)
	data := readerData(size, 9)
	etag := e.put(t, "close", data)
	g := &gatedGetter{objectGetter: e.client, from: 2 * oneMiB, entered: make(chan struct{}, 1)}
	r := newObjectReader(g, e.blocks, e.budget, &e.streams, ReaderOptions{}, "close", etag, size)

	// Read the first 2 MiB until a prefetch past it is held in flight.
	buf := make([]byte, 128<<10)
	held := false
	for off := int64(0); off < 2*oneMiB && !held; off += int64(len(buf)) {
		if _, err := r.ReadAt(ctx, buf, off); err != nil {
			t.Fatalf("ReadAt at %d: %v", off, err)
		}
		select {
		case <-g.entered:
			held = true
		default:
		}
	}
	if !held {
		select {
		case <-g.entered:
		case <-ctx.Done():
			t.Fatal("no prefetch started while reading the first 2 MiB")
		}
	}
	if e.budget.InUse() <= e.blocks.Bytes() {
		t.Fatal("a prefetch is in flight but holds no budget")
	}
	// A read waiting for the held prefetch must end with Close.
	waiting := make(chan error, 1)
	go func() {
		_, err := r.ReadAt(ctx, buf, 2*oneMiB)
		waiting <- err
	}()

	// The held GET ends only when its request is canceled: a Close that
	// waited for it instead of canceling it would never return.
	closed := make(chan struct{})
	go func() {
		r.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-ctx.Done():
		t.Fatal("Close waits for the prefetch it should cancel")
	}
	e.checkIdle(t)
	if err := <-waiting; !errors.Is(err, os.ErrClosed) {
		t.Errorf("read waiting during Close: err = %v, want os.ErrClosed", err)
	}
	if _, err := r.ReadAt(ctx, buf, 0); !errors.Is(err, os.ErrClosed) {
		t.Errorf("read after Close: err = %v, want os.ErrClosed", err)
	}
	r.Close() // idempotent
}

func TestReaderSmallBudget(t *testing.T) {
	ctx := readerCtx(t)
	const size = 16 * oneMiB
	for _, tc := range []struct {
		name   string
		budget int64
	}{
		{"two GETs", 2 * defaultMaxGetSize},
		{"one block", readerBlock},
		{"under a block", readerBlock / 2}, // every read is direct
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newReaderEnv(t, 64*oneMiB, tc.budget)
			// Two readers at once share the budget.
			var wg sync.WaitGroup
			for i := range 2 {
				data := readerData(size, uint64(10+i))
				key := "small" + string(rune('a'+i))
				etag := e.put(t, key, data)
				wg.Go(func() {
					r := e.reader(ReaderOptions{}, key, etag, size)
					defer r.Close()
					got, err := readSequential(ctx, r, 1*oneMiB)
					if err != nil {
						t.Errorf("%s: %v", key, err)
						return
					}
					if !bytes.Equal(got, data) {
						t.Errorf("%s: wrong bytes", key)
					}
				})
			}
			wg.Wait()
			e.checkIdle(t)
		})
	}
}

func TestReaderTransportErrors(t *testing.T) {
	ctx := readerCtx(t)
	const size = 8 * oneMiB
	e := newReaderEnv(t, 64*oneMiB, 64*oneMiB)
	data := readerData(size, 12)
	etag := e.put(t, "flaky", data)

	// One failed GET is retried.
	if err := e.srv.SetFaults(ossemu.Faults{FailRate: 1, FailCodes: []string{"500"}, FailOps: []string{"GetObject"}, MaxFailures: 1}); err != nil {
		t.Fatal(err)
	}
	r := e.reader(ReaderOptions{}, "flaky", etag, size)
	got, err := readSequential(ctx, r, 128<<10)
	r.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read with one failed GET: err %v, equal %v", err, bytes.Equal(got, data))
	}
	if n := e.srv.Stats().InjectedFaults; n != 1 {
		t.Fatalf("%d faults injected, want 1", n)
	}

	// A GET that keeps failing fails the read, caches nothing, and does not
	// poison the reader.
	etag2 := e.put(t, "flaky2", data)
	if err := e.srv.SetFaults(ossemu.Faults{FailRate: 1, FailCodes: []string{"500"}, FailOps: []string{"GetObject"}}); err != nil {
		t.Fatal(err)
	}
	r = e.reader(ReaderOptions{}, "flaky2", etag2, size)
	defer r.Close()
	buf := make([]byte, 128<<10)
	if _, err := r.ReadAt(ctx, buf, 0); !errors.Is(err, ossio.ErrUnavailable) || errors.Is(err, errStale) {
		t.Fatalf("read with failing GETs: err = %v, want ErrUnavailable", err)
	}
	if _, ok := e.blocks.Get("flaky2", etag2, 0); ok {
		t.Fatal("a failed fetch left a block in the cache")
	}
	if err := e.srv.SetFaults(ossemu.Faults{}); err != nil {
		t.Fatal(err)
	}
	if n, err := r.ReadAt(ctx, buf, 0); err != nil || !bytes.Equal(buf[:n], data[:n]) {
		t.Fatalf("read after the faults ended = %d, %v", n, err)
	}
}

// benchObject uploads an object of size bytes for a benchmark, with latency
// added to every request.
func benchObject(b *testing.B, latency time.Duration, size int64) (*readerEnv, string) {
	e := newReaderEnv(b, 2*defaultMaxWindow, 256*oneMiB)
	etag := e.put(b, "bench", readerData(int(size), 13))
	if err := e.srv.SetFaults(ossemu.Faults{Latency: ossemu.Duration(latency)}); err != nil {
		b.Fatal(err)
	}
	return e, etag
}

var benchLatencies = []struct {
	name    string
	latency time.Duration
}{{"L0", 0}, {"L2", 30 * time.Millisecond}}

// BenchmarkSequentialRead reads a 256 MiB object with 1 MiB reads from a
// cold cache; compare with BenchmarkDirectParallelGets.
func BenchmarkSequentialRead(b *testing.B) {
	const size = 256 * oneMiB
	for _, l := range benchLatencies {
		b.Run(l.name, func(b *testing.B) {
			e, etag := benchObject(b, l.latency, size)
			ctx := context.Background()
			buf := make([]byte, 1*oneMiB)
			e.srv.ResetStats()
			b.SetBytes(size)
			b.ResetTimer()
			for range b.N {
				e.blocks.InvalidateObject("bench")
				r := e.reader(ReaderOptions{}, "bench", etag, size)
				for off := int64(0); off < size; off += int64(len(buf)) {
					if _, err := r.ReadAt(ctx, buf, off); err != nil && err != io.EOF {
						b.Fatal(err)
					}
				}
				r.Close()
			}
			b.StopTimer()
			reqs, out := e.gets()
			b.ReportMetric(float64(out)/float64(reqs)/oneMiB, "MiB/GET")
			b.ReportMetric(float64(out)/float64(size)/float64(b.N), "fetched/size")
		})
	}
}

// BenchmarkDirectParallelGets is the reference of BENCH.md: the same bytes
// as 8 parallel 8 MiB ranged GETs through ossio, into reused buffers.
func BenchmarkDirectParallelGets(b *testing.B) {
	const (
		size     = 256 * oneMiB
		getSize  = 8 * oneMiB
		parallel = 8
	)
	for _, l := range benchLatencies {
		b.Run(l.name, func(b *testing.B) {
			e, etag := benchObject(b, l.latency, size)
			ctx := context.Background()
			b.SetBytes(size)
			b.ResetTimer()
			for range b.N {
				offs := make(chan int64, size/getSize)
				for off := int64(0); off < size; off += getSize {
					offs <- off
				}
				close(offs)
				var wg sync.WaitGroup
				for range parallel {
					wg.Go(func() {
						buf := make([]byte, getSize)
						for off := range offs {
							res, err := e.client.GetObject(ctx, ossio.GetRequest{Key: "bench", Offset: off, Length: getSize, IfMatch: etag})
							if err != nil {
								b.Error(err)
								return
							}
							_, err = io.ReadFull(res.Body, buf)
							res.Body.Close()
							if err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
			}
		})
	}
}

// TestReaderParallelStreamsFetchOnce reads four objects, one stream each,
// with a block cache that holds exactly four full windows, and a consumer
// slower than the network: between two reads every fetch has finished, so
// each window is full. Unread prefetched blocks alone would then fill the
// cache, and each new block would evict the one due to be read next. The
// streams' windows must shrink to share half the cache, so that every byte
// is fetched once. (Separate objects, so that no stream's readahead past
// its end lands on another's blocks.)
func TestReaderParallelStreamsFetchOnce(t *testing.T) {
	ctx := readerCtx(t)
	const (
		size    = 32 * oneMiB
		streams = 4
		window  = 8 * oneMiB
		chunk   = 256 << 10
	)
	e := newReaderEnv(t, streams*window, 256*oneMiB)
	readers := make([]*objectReader, streams)
	data := make([][]byte, streams)
	for w := range streams {
		key := fmt.Sprintf("stream-%d", w)
		data[w] = readerData(size, uint64(10+w))
		readers[w] = e.reader(ReaderOptions{MaxWindow: window}, key, e.put(t, key, data[w]), size)
		defer readers[w].Close()
	}
	buf := make([]byte, chunk)
	for off := int64(0); off < size; off += chunk {
		for w, r := range readers {
			if n, err := r.ReadAt(ctx, buf, off); err != nil || !bytes.Equal(buf[:n], data[w][off:off+int64(n)]) {
				t.Fatalf("stream %d at %d: %d bytes, %v", w, off, n, err)
			}
			waitFetches(t, r)
		}
	}
	if _, out := e.gets(); out > streams*size {
		t.Errorf("fetched %d MiB to read %d MiB: blocks were evicted before they were read (cache %+v)",
			out/oneMiB, streams*size/oneMiB, e.blocks.Stats())
	}
}

// waitFetches waits until r has no fetch running: the state of a slow
// consumer, whose reader is always ahead. Bounded by the test's context.
func waitFetches(t *testing.T, r *objectReader) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r.mu.Lock()
		running := r.running
		r.mu.Unlock()
		if running == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("fetches still running after 30 s")
		}
		runtime.Gosched()
	}
}

// timingOutClient answers every GET as a server that never answers would,
// once the client's own retry is spent.
type timingOutClient struct {
	ossio.Client
	gets atomic.Int64
}

func (c *timingOutClient) GetObject(ctx context.Context, req ossio.GetRequest) (*ossio.GetResult, error) {
	c.gets.Add(1)
	return nil, fmt.Errorf("oss GetObject %q: %w", req.Key, ossio.ErrTimeout)
}

// TestReadGivesUpOnTimeout: a read whose GET timed out (the client
// retried it already) fails with the timeout after that one GET, random
// or sequential, rather than trying again.
func TestReadGivesUpOnTimeout(t *testing.T) {
	e := newReaderEnv(t, 64<<20, 64<<20)
	etag := e.put(t, "obj", readerData(8<<20, 1))
	c := &timingOutClient{Client: e.client}
	for _, off := range []int64{5 << 20, 0} { // a random read, then the start of a sequential one
		r := newObjectReader(c, e.blocks, e.budget, &e.streams, ReaderOptions{}, "obj", etag, 8<<20)
		before := c.gets.Load()
		if _, err := r.ReadAt(readerCtx(t), make([]byte, 4096), off); !errors.Is(err, ossio.ErrTimeout) {
			t.Errorf("read at %d: %v, want ErrTimeout", off, err)
		}
		if n := c.gets.Load() - before; n != 1 {
			t.Errorf("read at %d: %d GETs after a timeout, want 1", off, n)
		}
		r.Close()
	}
}
