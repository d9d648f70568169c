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
