package readonly

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/ossfuse/ossfuse/integration/harness"
)

// minAvgGet is the least average GET size a sequential read of the big
// object must reach: prefetch fetches several MiB per request.
const minAvgGet = 4 << 20

// TestBigSequentialRead reads the 512 MiB object once, sequentially with
// dd bs=1M on a fresh mount, checks its SHA-256 and what it cost: GETs of
// at least 4 MiB on average, and every byte fetched about once.
func TestBigSequentialRead(t *testing.T) {
	f := setup(t)
	m := f.mount(t)
	if got := statLine(t, m.Dir, "%s", bigKey); got != "536870912" {
		t.Fatalf("stat -c %%s %s = %s, want 536870912", bigKey, got)
	}
	f.emu.ResetStats(t)
	r := harness.Exec(t, m.Dir, "sh", "-c", "dd if="+bigKey+" bs=1M status=none | sha256sum")
	s := f.emu.Stats(t)
	if r.ExitCode != 0 {
		t.Fatalf("dd | sha256sum: exit %d: %s", r.ExitCode, r.Stderr)
	}
	t.Logf("read %d MiB in %v (%.0f MiB/s); requests: %v; GetObject bytes %d",
		bigSize>>20, r.Elapsed.Round(1e6), float64(bigSize>>20)/r.Elapsed.Seconds(), s, s.BytesOutByOp["GetObject"])
	if want := hex.EncodeToString(f.bigSum[:]) + "  -\n"; r.Stdout != want {
		t.Errorf("sha256 of the big object through the mount = %q, want %q", r.Stdout, want)
	}
	gets, bytesOut := s.Requests["GetObject"], s.BytesOutByOp["GetObject"]
	if gets == 0 {
		t.Fatalf("no GetObject request for a sequential read of %d bytes: %v", bigSize, s)
	}
	if avg := bytesOut / gets; avg < minAvgGet {
		t.Errorf("sequential read: %d GETs averaging %d bytes (%.2f MiB), want >= %d (4 MiB)", gets, avg, float64(avg)/(1<<20), minAvgGet)
	}
	if bytesOut < bigSize || bytesOut > bigSize+bigSize/8 {
		t.Errorf("sequential read fetched %d bytes for a %d-byte object, want between 1x and 1.125x", bytesOut, bigSize)
	}
}

// TestBigRandomReads reads the big object at random offsets with pread and
// compares every range with the generator; then reads around its end and
// with head, tail and dd.
func TestBigRandomReads(t *testing.T) {
	f := setup(t)
	m := f.mount(t)
	file, err := os.Open(m.Path(bigKey))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	rng := rand.New(rand.NewPCG(42, 4242))
	for i := range 200 {
		n := 1 + rng.IntN(256<<10)
		off := rng.Int64N(bigSize - int64(n))
		if i%10 == 0 {
			off &^= 4095 // some page-aligned reads
		}
		buf := make([]byte, n)
		if got, err := file.ReadAt(buf, off); err != nil || got != n {
			t.Fatalf("pread %d bytes at %d: %d, %v", n, off, got, err)
		}
		if want := bigPattern.Bytes(off, n); !bytes.Equal(buf, want) {
			t.Fatalf("pread %d bytes at %d: content differs from the generator (first difference at +%d)", n, off, firstDiff(buf, want))
		}
	}
	// The last bytes, a read across the end, and a read at the end.
	buf := make([]byte, 1000)
	n, err := file.ReadAt(buf, bigSize-300)
	if n != 300 || !errors.Is(err, io.EOF) || !bytes.Equal(buf[:n], bigPattern.Bytes(bigSize-300, 300)) {
		t.Errorf("pread of 1000 bytes 300 before the end: %d, %v (content ok: %v)", n, err, bytes.Equal(buf[:n], bigPattern.Bytes(bigSize-300, 300)))
	}
	if n, err := file.ReadAt(buf, bigSize); n != 0 || !errors.Is(err, io.EOF) {
		t.Errorf("pread at the end: %d, %v; want 0, EOF", n, err)
	}

	for _, c := range []struct {
		name string
		args []string
		off  int64
		n    int
	}{
		{"head -c 5000000", []string{"head", "-c", "5000000", bigKey}, 0, 5000000},
		{"tail -c 100000", []string{"tail", "-c", "100000", bigKey}, bigSize - 100000, 100000},
		{"dd bs=4096 skip=100000 count=3", []string{"dd", "if=" + bigKey, "bs=4096", "skip=100000", "count=3", "status=none"}, 100000 * 4096, 3 * 4096},
		{"dd bs=1M skip=300 count=2", []string{"dd", "if=" + bigKey, "bs=1M", "skip=300", "count=2", "status=none"}, 300 << 20, 2 << 20},
	} {
		got := harness.Run(t, m.Dir, c.args[0], c.args[1:]...)
		if want := bigPattern.Bytes(c.off, c.n); got != string(want) {
			t.Errorf("%s: %d bytes, want %d; first difference at +%d", c.name, len(got), c.n, firstDiff([]byte(got), want))
		}
	}
	if got := strings.TrimSpace(harness.Run(t, m.Dir, "find", "big", "-type", "f", "-size", "+511M")); got != bigKey {
		t.Errorf("find big -size +511M = %q", got)
	}
}

// firstDiff returns the first index where a and b differ.
func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
