package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/ossfuse/ossfuse/integration/harness"
	"github.com/ossfuse/ossfuse/ossio"
)

// directPartSize is the size of Direct's ranged GETs (BENCH.md: 8 MiB).
const directPartSize = 8 << 20

// directCheckBytes is how much of each part Direct compares with the
// seeded content: enough to prove the bytes are the object's, cheap enough
// not to weigh on the figure.
const directCheckBytes = 4 << 10

// directRead reads the first size bytes of key as ranged GETs of partSize
// bytes, inflight of them at once, each worker reusing one buffer: the
// tuned SDK reader BENCH.md calls "Direct". It returns the wall time.
func directRead(ctx context.Context, c ossio.Client, key string, size, partSize int64, inflight int) (time.Duration, error) {
	nparts := int((size + partSize - 1) / partSize)
	want := harness.Pattern{Seed: bigObjectSeed}
	buffers := make(chan []byte, inflight)
	for range inflight {
		buffers <- make([]byte, partSize)
	}
	start := time.Now()
	err := forEach(ctx, nparts, inflight, func(ctx context.Context, i int) error {
		buf := <-buffers
		defer func() { buffers <- buf }()
		off := int64(i) * partSize
		n := min(partSize, size-off)
		res, err := c.GetObject(ctx, ossio.GetRequest{Key: key, Offset: off, Length: n})
		if err != nil {
			return err
		}
		defer res.Body.Close()
		if res.ContentLength != n || res.RangeStart != off {
			return fmt.Errorf("direct: GET %s [%d,+%d): got %d bytes at %d", key, off, n, res.ContentLength, res.RangeStart)
		}
		if _, err := io.ReadFull(res.Body, buf[:n]); err != nil {
			return fmt.Errorf("direct: GET %s [%d,+%d): %w", key, off, n, err)
		}
		check := min(n, directCheckBytes)
		if !bytes.Equal(buf[:check], want.Bytes(off, int(check))) {
			return fmt.Errorf("direct: GET %s at %d: content differs from the seeded object", key, off)
		}
		return nil
	})
	return time.Since(start), err
}

// directSourceBytes is the size of the buffer Direct uploads read from,
// repeated up to the object's size: every byte is in memory, as for a
// client that holds its data, without a -size buffer in the bench.
const directSourceBytes = 64 << 20

// directChunk is how much a streaming Direct upload hands over per Write:
// what fio's bs=1M hands the mount per write(2). directSourceBytes is a
// multiple of it.
const directChunk = 1 << 20

// repeatedSource is an io.ReaderAt serving buf over and over, without end.
type repeatedSource struct{ buf []byte }

// newRepeatedSource fills a buffer of directSourceBytes from a Pattern.
func newRepeatedSource(seed uint64) repeatedSource {
	return repeatedSource{buf: harness.Pattern{Seed: seed}.Bytes(0, directSourceBytes)}
}

// ReadAt fills p with the bytes at off. It never fails.
func (r repeatedSource) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], r.buf[(off+int64(n))%int64(len(r.buf)):])
	}
	return n, nil
}

// directUpload writes size bytes of src as key with opts, and returns the
// wall time and the result. stream chooses how:
//
//   - false: ossio.UploadFile, parts read from src at their offsets and
//     sent opts.Parallelism at once: the best a client can do, holding its
//     bytes and sending them as fast as OSS takes them;
//   - true: ossio.NewUpload fed in order, directChunk at a time, as a
//     writer that produces its bytes as it goes (and as ossfuse streams a
//     file written sequentially): parts are buffered, then sent.
//
// ossio checks the CRC-64 OSS reports against the bytes sent, either way.
func directUpload(ctx context.Context, c ossio.Client, key string, src repeatedSource, size int64, opts ossio.UploadOptions, stream bool) (time.Duration, ossio.UploadResult, error) {
	m := ossio.ObjectMeta{ContentType: "application/octet-stream"}
	start := time.Now()
	if !stream {
		res, err := ossio.UploadFile(ctx, c, key, src, size, m, opts, nil)
		return time.Since(start), res, err
	}
	up := ossio.NewUpload(c, key, m, opts)
	for off := int64(0); off < size; off += directChunk {
		// No chunk straddles the end of the buffer (a multiple of
		// directChunk): hand it over in place, as fio hands its buffer.
		at := off % int64(len(src.buf))
		if err := up.Write(ctx, src.buf[at:at+min(directChunk, size-off)]); err != nil {
			abortCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = up.Abort(abortCtx)
			return 0, ossio.UploadResult{}, fmt.Errorf("direct: stream %s at %d: %w", key, off, err)
		}
	}
	res, err := up.Close(ctx)
	if err != nil {
		abortCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = up.Abort(abortCtx)
	}
	return time.Since(start), res, err
}
