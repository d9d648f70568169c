package fs

import (
	"bytes"
	"testing"
)

func TestPatternObserve(t *testing.T) {
	const (
		initial = 1 * oneMiB
		maxWin  = 8 * oneMiB
		kib128  = 128 << 10
	)
	type step struct {
		off, end     int64
		seq, restart bool
		window       int64
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"first read at 0 starts a run that doubles to the max", []step{
			{0, kib128, true, true, initial},
			{kib128, 2 * kib128, true, false, 2 * oneMiB},
			{2 * kib128, 3 * kib128, true, false, 4 * oneMiB},
			{3 * kib128, 4 * kib128, true, false, 8 * oneMiB},
			{4 * kib128, 5 * kib128, true, false, 8 * oneMiB},
		}},
		{"first read elsewhere is random", []step{
			{100 * oneMiB, 100*oneMiB + kib128, false, false, initial},
		}},
		{"a far read resets, a contiguous one restarts", []step{
			{0, kib128, true, true, initial},
			{kib128, 2 * kib128, true, false, 2 * oneMiB},
			{500 * oneMiB, 500*oneMiB + kib128, false, false, initial},
			{500*oneMiB + kib128, 500*oneMiB + 2*kib128, true, true, initial},
		}},
		{"out of order within the window stays sequential", []step{
			{0, kib128, true, true, initial},
			{2 * kib128, 3 * kib128, true, false, 2 * oneMiB},
			{kib128, 2 * kib128, true, false, 4 * oneMiB},
			{4 * kib128, 5 * kib128, true, false, 8 * oneMiB},
		}},
		{"random: a swapped pair is a hit, a skip is not", []step{
			{kib128, 2 * kib128, false, false, initial},
			{0, kib128, true, true, initial},
			{100 * oneMiB, 100*oneMiB + kib128, false, false, initial},
			{100*oneMiB + 4*kib128, 100*oneMiB + 5*kib128, false, false, initial},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPattern(initial)
			for i, s := range tc.steps {
				seq, restart := p.observe(s.off, s.end, maxWin)
				if seq != s.seq || restart != s.restart || p.window != s.window {
					t.Fatalf("step %d [%d, %d): seq %v restart %v window %d (%v); want %v %v %d",
						i, s.off, s.end, seq, restart, p.window, p.mode, s.seq, s.restart, s.window)
				}
			}
		})
	}
}

func TestPatternStarved(t *testing.T) {
	p := newPattern(1 * oneMiB)
	p.observe(0, 4096, 4*oneMiB)
	p.starved(4 * oneMiB)
	p.starved(4 * oneMiB)
	p.starved(4 * oneMiB)
	if p.window != 4*oneMiB {
		t.Errorf("window %d after starving, want the max %d", p.window, 4*oneMiB)
	}
	if got := modeSequential.String(); got != "sequential" {
		t.Errorf("String() = %q", got)
	}
}

// TestReaderOutOfOrderReads: the kernel's readahead delivers reads out of
// order; they must keep the prefetcher in sequential mode, with large GETs
// and no byte fetched twice but the first read's (it is random until the
// second one shows the run).
func TestReaderOutOfOrderReads(t *testing.T) {
	ctx := readerCtx(t)
	const (
		size = 32 * oneMiB
		rs   = 128 << 10
	)
	e := newReaderEnv(t, 64*oneMiB, 64*oneMiB)
	data := readerData(size, 20)
	etag := e.put(t, "ooo", data)
	e.srv.ResetStats()
	r := e.reader(ReaderOptions{}, "ooo", etag, size)
	defer r.Close()

	buf := make([]byte, rs)
	for pair := int64(0); pair < size; pair += 2 * rs {
		for _, off := range []int64{pair + rs, pair} { // second half first
			n, err := r.ReadAt(ctx, buf, off)
			if err != nil || n != rs || !bytes.Equal(buf, data[off:off+rs]) {
				t.Fatalf("ReadAt at %d = %d, %v; or wrong bytes", off, n, err)
			}
		}
	}
	reqs, out := e.gets()
	t.Logf("%d GETs, mean %.2f MiB", reqs, float64(out)/float64(reqs)/oneMiB)
	if out > size+rs || reqs > size/(4*oneMiB)+1 {
		t.Errorf("%d GETs of %d bytes in all: want at most %d, and no byte twice", reqs, out, size/(4*oneMiB)+1)
	}
}
