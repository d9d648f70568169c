package memory

import (
	"path/filepath"
	"testing"

	"github.com/ossfuse/ossfuse/integration/harness"
	"github.com/ossfuse/ossfuse/ossio"
)

// budget is the memory= of these tests: small next to the 1 GiB object
// and to the 256 MiB the block cache alone held before it was part of the
// budget, and still enough for reads to stream.
const budget = 64 << 20

// TestReadersPeakRSSWithinMemory reads the 1 GiB object with four parallel
// readers, a quarter each, on a fresh mount with memory=64MiB: every byte
// read is right, and ossfuse's peak RSS stays within memory= plus the
// documented headroom.
func TestReadersPeakRSSWithinMemory(t *testing.T) {
	f := setup(t)
	m := harness.Mount(t, f.emu, harness.WithPlainBuild(), harness.WithOptions("memory=64MiB"))
	f.emu.ResetStats(t)
	r := harness.Exec(t, m.Dir, "sh", "-c", readQuarters(t.TempDir()))
	if r.ExitCode != 0 {
		t.Fatalf("parallel readers: exit %d: %s", r.ExitCode, r.Stderr)
	}
	f.checkSums(t, r.Stdout)
	rss := harness.PeakRSS(t, m.Pid())
	s := f.emu.Stats(t)
	t.Logf("%d readers of %d MiB with memory=%d MiB: %v (%.0f MiB/s), peak RSS %d MiB (bound %d MiB); %d GETs, %d MiB fetched",
		quarters, bigSize>>20, budget>>20, r.Elapsed.Round(1e6), float64(bigSize>>20)/r.Elapsed.Seconds(),
		rss>>20, (budget+headroom)>>20, s.Requests["GetObject"], s.BytesOutByOp["GetObject"]>>20)
	if rss > budget+headroom {
		t.Errorf("peak RSS of ossfuse %d MiB with memory=%d MiB, over the bound of memory + %d MiB", rss>>20, budget>>20, headroom>>20)
	}
}

// TestWriteWhileReadingWithinMemory writes a 256 MiB file while the four
// readers stream the 1 GiB object through a mount with memory=64MiB: the
// write's part buffers come out of a budget full of the readers' blocks,
// which the block cache gives up for them, so the write completes, every
// byte lands, and the peak RSS stays within the same bound.
func TestWriteWhileReadingWithinMemory(t *testing.T) {
	f := setup(t)
	const size = 256 << 20
	src := filepath.Join(t.TempDir(), "src")
	p := harness.Pattern{Seed: 256}
	if err := p.WriteFile(src, size); err != nil {
		t.Fatal(err)
	}
	m := harness.Mount(t, f.emu, harness.WithPlainBuild(), harness.WithOptions("memory=64MiB"))
	script := "dd if=" + src + " of=written bs=1M conv=fsync status=none & " + readQuarters(t.TempDir())
	r := harness.Exec(t, m.Dir, "sh", "-c", script)
	if r.ExitCode != 0 {
		t.Fatalf("writer and readers: exit %d: %s", r.ExitCode, r.Stderr)
	}
	f.checkSums(t, r.Stdout)
	rss := harness.PeakRSS(t, m.Pid())
	t.Logf("%d MiB written while %d readers read %d MiB, memory=%d MiB: %v, peak RSS %d MiB (bound %d MiB)",
		size>>20, quarters, bigSize>>20, budget>>20, r.Elapsed.Round(1e6), rss>>20, (budget+headroom)>>20)
	if rss > budget+headroom {
		t.Errorf("peak RSS of ossfuse %d MiB with memory=%d MiB, over the bound of memory + %d MiB", rss>>20, budget>>20, headroom>>20)
	}
	info, err := f.emu.Client(t).HeadObject(t.Context(), "written")
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != size {
		t.Fatalf("written: %d bytes in the bucket, want %d", info.Size, size)
	}
	res, err := f.emu.Client(t).GetObject(t.Context(), ossio.GetRequest{Key: "written", Length: size})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if got, want := sumOf(t, res), p.Sum256(size); got != want {
		t.Errorf("written: sha256 %x in the bucket, want %x (what dd wrote)", got, want)
	}
}
