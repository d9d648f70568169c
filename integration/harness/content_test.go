package harness

import (
	"bytes"
	"io"
	"testing"
)

// TestPatternRanges checks that any range of a Pattern equals the same
// range of its stream, across block boundaries.
func TestPatternRanges(t *testing.T) {
	p := Pattern{Seed: 7}
	const size = 3*patternBlock + 123
	all, err := io.ReadAll(p.Reader(size))
	if err != nil || len(all) != size {
		t.Fatalf("Reader: %d bytes, %v", len(all), err)
	}
	for _, r := range []struct{ off, n int }{
		{0, 1}, {0, size}, {patternBlock - 1, 2}, {patternBlock, patternBlock}, {2*patternBlock + 5, patternBlock + 100}, {size - 1, 1},
	} {
		if got := p.Bytes(int64(r.off), r.n); !bytes.Equal(got, all[r.off:r.off+r.n]) {
			t.Errorf("Bytes(%d, %d) differs from the stream", r.off, r.n)
		}
	}
	if bytes.Equal(p.Bytes(0, 64), Pattern{Seed: 8}.Bytes(0, 64)) {
		t.Error("two seeds give the same content")
	}
}

func BenchmarkPatternReader(b *testing.B) {
	buf := make([]byte, 1<<20)
	b.SetBytes(64 << 20)
	for range b.N {
		_, _ = io.CopyBuffer(io.Discard, Pattern{Seed: 1}.Reader(64<<20), buf)
	}
}
