package conformance

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/ossfuse/ossfuse/ossio"
	"github.com/ossfuse/ossfuse/ossio/ossemu"
)

// BenchmarkRangedGet8MiB8InFlight reads a 256 MiB object of the in-memory
// emulator as 8 MiB ranged GETs through ossio, 8 in flight, the way ossfuse
// reads a large file sequentially. `go test -bench RangedGet` prints MB/s.
// It measures; it asserts nothing about time.
func BenchmarkRangedGet8MiB8InFlight(b *testing.B) { benchRangedGets(b, newEnv(b)) }

// BenchmarkRangedGet8MiB8InFlightDirStore is the same read from the
// directory store, which streams each range from the object's file.
func BenchmarkRangedGet8MiB8InFlightDirStore(b *testing.B) {
	dir := b.TempDir()
	benchRangedGets(b, newEnv(b, withEmulator(func(o *ossemu.Options) { o.DataDir = dir })))
}

func benchRangedGets(b *testing.B, e *env) {
	const (
		objectSize = 256 << 20
		rangeSize  = 8 << 20
		inFlight   = 8
		ranges     = objectSize / rangeSize
	)
	data := content(99, objectSize)
	if _, err := e.Client.PutObject(ctxT(b), ossio.PutRequest{Key: "big", Body: bytes.NewReader(data), Size: objectSize}); err != nil {
		b.Fatal(err)
	}
	bufs := make([][]byte, inFlight)
	for i := range bufs {
		bufs[i] = make([]byte, rangeSize)
	}
	readRange := func(buf []byte, off int64, verify bool) error {
		res, err := e.Client.GetObject(ctxT(b), ossio.GetRequest{Key: "big", Offset: off, Length: rangeSize})
		if err != nil {
			return err
		}
		defer res.Body.Close()
		if res.ContentLength != rangeSize || res.RangeStart != off {
			return fmt.Errorf("range at %d: %d bytes from %d", off, res.ContentLength, res.RangeStart)
		}
		if _, err := io.ReadFull(res.Body, buf); err != nil {
			return fmt.Errorf("range at %d: %w", off, err)
		}
		if verify && !bytes.Equal(buf, data[off:off+rangeSize]) {
			return fmt.Errorf("range at %d: wrong bytes", off)
		}
		return nil
	}

	b.SetBytes(objectSize)
	b.ReportAllocs()
	first := true
	for b.Loop() {
		offsets := make(chan int64, ranges)
		for i := range ranges {
			offsets <- int64(i) * rangeSize
		}
		close(offsets)
		errs := make(chan error, inFlight)
		var wg sync.WaitGroup
		for w := range inFlight {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for off := range offsets {
					if err := readRange(bufs[w], off, first); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
		first = false
	}
	if n := e.stats(b).Requests["GetObject"]; n%ranges != 0 {
		b.Errorf("%d GetObject requests, not a multiple of %d", n, ranges)
	}
}
