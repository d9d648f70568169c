package fs

import (
	"bytes"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ossfuse/ossfuse/ossio"
)

// Tests of the one memory budget (the `memory=` option): the block cache,
// the prefetch windows and the buffers of reads and uploads all come out of
// it, so the file data held never exceeds it, and cached blocks give way to
// reads and writes that need the room.

// sampleBudget records the most bytes e's budget held, and fails the test
// if the cache ever held more than the budget counted, until the returned
// function is called.
func sampleBudget(t *testing.T, e *readerEnv) (stop func() (peak int64)) {
	var peak atomic.Int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			used, cached := e.budget.InUse(), e.blocks.Bytes()
			peak.Store(max(peak.Load(), used, cached))
			select {
			case <-done:
				return
			default:
			}
		}
	})
	return func() int64 {
		close(done)
		wg.Wait()
		return peak.Load()
	}
}

// TestReadersStayWithinBudget: four readers stream four objects at once
// through a budget far smaller than the objects, the block cache charged
// to it as the fs has it. The bytes held never exceed the budget, the cache
// sheds blocks to make room, every byte read is right, and every byte is
// fetched about once: the windows fit in the budget.
func TestReadersStayWithinBudget(t *testing.T) {
	ctx := readerCtx(t)
	const (
		streams = 4
		budget  = 16 * oneMiB
	)
	size := readerTestSize(t, 32*oneMiB, 12*oneMiB)
	e := newReaderEnv(t, budget, budget)
	keys, data := make([]string, streams), make([][]byte, streams)
	etags := make([]string, streams)
	for i := range streams {
		keys[i], data[i] = fmt.Sprintf("budget-%d", i), readerData(size, uint64(40+i))
		etags[i] = e.put(t, keys[i], data[i])
	}
	e.srv.ResetStats()

	stop := sampleBudget(t, e)
	var wg sync.WaitGroup
	for i := range streams {
		wg.Go(func() {
			r := e.reader(ReaderOptions{}, keys[i], etags[i], int64(size))
			defer r.Close()
			got, err := readSequential(ctx, r, 128<<10)
			if err != nil || !bytes.Equal(got, data[i]) {
				t.Errorf("%s: %d bytes read, equal %v, %v", keys[i], len(got), bytes.Equal(got, data[i]), err)
			}
		})
	}
	wg.Wait()
	peak := stop()

	_, out := e.gets()
	st := e.blocks.Stats()
	t.Logf("peak held %d KiB of a %d KiB budget; fetched %d MiB for %d MiB read; %d blocks shed",
		peak>>10, budget>>10, out/oneMiB, streams*size/oneMiB, st.Evictions)
	if peak > budget {
		t.Errorf("held %d bytes, over the budget of %d", peak, budget)
	}
	if st.Evictions == 0 {
		t.Errorf("no block shed reading %d MiB through a %d MiB budget", streams*size/oneMiB, budget/oneMiB)
	}
	if limit := int64(streams*size) * 5 / 4; out > limit {
		t.Errorf("fetched %d bytes to read %d: blocks were shed before they were read", out, streams*size)
	}
	e.checkIdle(t)
}

// TestUploadGetsBudgetFromCache: with the budget full of cached blocks and
// a reader streaming all the while, an upload whose part buffers come from
// the same budget is not kept waiting: the cache sheds blocks for it, and
// the reader queues behind it rather than starving it.
func TestUploadGetsBudgetFromCache(t *testing.T) {
	ctx := readerCtx(t)
	const budget = 24 * oneMiB
	size := readerTestSize(t, 48*oneMiB, 32*oneMiB)
	e := newReaderEnv(t, budget, budget)
	data := readerData(size, 50)
	etag := e.put(t, "cached", data)

	// Fill the budget with cached blocks.
	r := e.reader(ReaderOptions{}, "cached", etag, int64(size))
	if _, err := readSequential(ctx, r, oneMiB); err != nil {
		t.Fatal(err)
	}
	r.Close()
	if got := e.blocks.Bytes(); got < budget*3/4 {
		t.Fatalf("cache holds %d bytes after reading %d through a budget of %d; want it nearly full", got, size, budget)
	}

	// Stream the object again and again while the upload runs.
	var reading sync.WaitGroup
	uploaded := make(chan struct{})
	var rounds atomic.Int64
	reading.Go(func() {
		for {
			select {
			case <-uploaded:
				return
			default:
			}
			e.blocks.InvalidateObject("cached") // every round fetches anew
			r := e.reader(ReaderOptions{}, "cached", etag, int64(size))
			got, err := readSequential(ctx, r, 128<<10)
			r.Close()
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("reader during the upload: %d bytes, equal %v, %v", len(got), bytes.Equal(got, data), err)
				return
			}
			rounds.Add(1)
		}
	})
	stop := sampleBudget(t, e)

	body := readerData(size, 51)
	up := ossio.NewUpload(e.client, "written", ossio.ObjectMeta{},
		ossio.UploadOptions{PartSize: 8 * oneMiB, Parallelism: 2, Budget: e.budget})
	err := func() error {
		for off := 0; off < len(body); off += oneMiB {
			if err := up.Write(ctx, body[off:min(off+oneMiB, len(body))]); err != nil {
				return err
			}
		}
		_, err := up.Close(ctx)
		return err
	}()
	close(uploaded)
	reading.Wait()
	peak := stop()
	if err != nil {
		t.Fatalf("upload with the budget full of cached blocks: %v (budget in use %d, cached %d, waiting %d)",
			err, e.budget.InUse(), e.blocks.Bytes(), e.budget.Waiting())
	}
	t.Logf("uploaded %d MiB while the reader streamed %d times; peak held %d KiB of %d KiB", size/oneMiB, rounds.Load(), peak>>10, budget>>10)
	if peak > budget {
		t.Errorf("held %d bytes, over the budget of %d", peak, budget)
	}
	res, err := e.client.GetObject(ctx, ossio.GetRequest{Key: "written", Length: int64(size)})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var got bytes.Buffer
	if _, err := got.ReadFrom(res.Body); err != nil || !bytes.Equal(got.Bytes(), body) {
		t.Fatalf("uploaded object: %d bytes, equal %v, %v", got.Len(), bytes.Equal(got.Bytes(), body), err)
	}
	e.checkIdle(t)
}

// TestNewSharesOneBudget: the filesystem charges its block cache to the
// one memory budget, which is all the file data it reports holding.
func TestNewSharesOneBudget(t *testing.T) {
	e := newReaderEnv(t, oneMiB, oneMiB)
	for _, tc := range []struct {
		budget, cacheBytes, wantCache int64
	}{
		{0, 0, DefaultMemoryBudget},
		{64 * oneMiB, 0, 64 * oneMiB},
		{64 * oneMiB, 16 * oneMiB, 16 * oneMiB},
		{64 * oneMiB, 128 * oneMiB, 64 * oneMiB},
	} {
		f, err := New(Options{Client: e.client, MemoryBudget: tc.budget, BlockCacheBytes: tc.cacheBytes, CacheDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		want := tc.budget
		if want == 0 {
			want = DefaultMemoryBudget
		}
		if f.DataBytes() != want || f.budget.Max() != want || f.blocks.MaxBytes() != tc.wantCache {
			t.Errorf("memory %d, cache %d: DataBytes %d, budget %d, cache %d; want %d, %d, %d",
				tc.budget, tc.cacheBytes, f.DataBytes(), f.budget.Max(), f.blocks.MaxBytes(), want, want, tc.wantCache)
		}
		// The cache is charged to the budget.
		f.blocks.Put("k", "e", 0, []byte("x"))
		if f.budget.InUse() != 1 {
			t.Errorf("a cached block of 1 byte: budget in use %d, want 1", f.budget.InUse())
		}
	}
}
