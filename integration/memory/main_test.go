// Package memory measures what `memory=` promises of a mounted ossfuse: the
// file data it holds stays within the budget, so its peak RSS stays within
// the budget plus the documented headroom, however many files are read,
// and reads do not starve a write. It runs the release build of ossfuse
// (the race detector multiplies memory) over one emulator holding a 1 GiB
// object, seeded once through ossio.
package memory

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/ossfuse/ossfuse/integration/harness"
	"github.com/ossfuse/ossfuse/ossio"
)

func TestMain(m *testing.M) { harness.Main(m) }

const (
	bigKey   = "big"
	bigSize  = 1 << 30
	partSize = 16 << 20
	// quarters is the number of parallel readers, each reading its quarter.
	quarters = 4
	// headroom is what ossfuse may take beyond memory=: memoryHeadroom of
	// cmd/ossfuse/tuning.go, as README and docs/SEMANTICS.md state it.
	headroom = 128 << 20
)

var bigPattern = harness.Pattern{Seed: 1024}

// fixture is the package's emulator and the SHA-256 of each quarter of the
// big object.
type fixture struct {
	emu  *harness.Emulator
	sums [quarters][32]byte
}

var shared struct {
	once sync.Once
	f    *fixture
	err  error
}

// setup returns the seeded emulator, seeding it on first use; it skips the
// test when FUSE is unavailable, before paying for the seeding.
func setup(t *testing.T) *fixture {
	t.Helper()
	harness.RequireFUSE(t)
	shared.once.Do(func() {
		start := time.Now()
		shared.f, shared.err = newFixture()
		t.Logf("seeded %d MiB in %v", bigSize>>20, time.Since(start).Round(time.Millisecond))
	})
	if shared.err != nil {
		t.Fatalf("fixture: %v", shared.err)
	}
	return shared.f
}

func newFixture() (*fixture, error) {
	bins, err := harness.BuildBinaries()
	if err != nil {
		return nil, err
	}
	emu, err := harness.NewEmulator(bins, harness.WithBucket("memory"))
	if err != nil {
		return nil, err
	}
	harness.AtExit(func() { _ = emu.Close() })
	c, err := emu.NewClient()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	f := &fixture{emu: emu}
	if err := f.seed(ctx, c); err != nil {
		return nil, fmt.Errorf("seed %s: %w", bigKey, err)
	}
	return f, nil
}

// seed uploads bigPattern as a multipart object, 4 parts at a time, and
// sums each quarter on the way.
func (f *fixture) seed(ctx context.Context, c ossio.Client) error {
	id, err := c.InitiateMultipart(ctx, ossio.InitiateMultipartRequest{Key: bigKey})
	if err != nil {
		return err
	}
	parts := make([]ossio.Part, bigSize/partSize)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	src := bigPattern.Reader(bigSize)
	h := sha256.New()
	for i := range parts {
		buf := make([]byte, partSize)
		if _, err := io.ReadFull(src, buf); err != nil {
			return err
		}
		h.Write(buf)
		if (i+1)*partSize%(bigSize/quarters) == 0 {
			copy(f.sums[(i+1)*partSize/(bigSize/quarters)-1][:], h.Sum(nil))
			h.Reset()
		}
		g.Go(func() error {
			p, err := c.UploadPart(gctx, ossio.UploadPartRequest{Key: bigKey, UploadID: id, Number: i + 1, Body: bytes.NewReader(buf), Size: partSize})
			parts[i] = p
			return err
		})
	}
	if err := g.Wait(); err != nil {
		_ = c.AbortMultipart(ctx, bigKey, id)
		return err
	}
	_, err = c.CompleteMultipart(ctx, ossio.CompleteMultipartRequest{Key: bigKey, UploadID: id, Parts: parts})
	return err
}

// readQuarters is a shell script that reads the quarters of the big object
// in parallel with dd bs=1M, each piped into sha256sum, and prints the sums
// in quarter order.
func readQuarters(out string) string {
	var b strings.Builder
	const mib = bigSize / quarters >> 20
	for q := range quarters {
		fmt.Fprintf(&b, "dd if=%s bs=1M skip=%d count=%d status=none | sha256sum > %s/%d & ", bigKey, q*mib, mib, out, q)
	}
	b.WriteString("wait; ")
	for q := range quarters {
		fmt.Fprintf(&b, "cat %s/%d; ", out, q)
	}
	return b.String()
}

// checkSums compares the output of readQuarters with the seeded sums.
func (f *fixture) checkSums(t *testing.T, got string) {
	t.Helper()
	var want strings.Builder
	for _, s := range f.sums {
		fmt.Fprintf(&want, "%x  -\n", s)
	}
	if got != want.String() {
		t.Errorf("sha256 of the quarters read through the mount:\n%s\nwant:\n%s", got, want.String())
	}
}

// sumOf returns the SHA-256 of the body of res.
func sumOf(t *testing.T, res *ossio.GetResult) [32]byte {
	t.Helper()
	h := sha256.New()
	if _, err := io.Copy(h, res.Body); err != nil {
		t.Fatal(err)
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return sum
}
