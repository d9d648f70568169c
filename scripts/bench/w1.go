package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ossfuse/ossfuse/integration/harness"
)

// readVariant is one line of the W1 table: Direct with InFlight parallel
// GETs, or fio with a block size and a number of jobs.
type readVariant struct {
	name     string
	kind     string // "direct" or "fio"
	inFlight int
	block    int64
	jobs     int
}

// w1Variants are the W1 lines, Direct first.
var w1Variants = []readVariant{
	{name: "Direct 8 x 8MiB", kind: "direct", inFlight: 8},
	{name: "Direct 16 x 8MiB", kind: "direct", inFlight: 16},
	{name: "fio bs=1M  1 job", kind: "fio", block: 1 << 20, jobs: 1},
	{name: "fio bs=1M  4 jobs", kind: "fio", block: 1 << 20, jobs: 4},
	{name: "fio bs=256k 1 job", kind: "fio", block: 256 << 10, jobs: 1},
	{name: "fio bs=256k 4 jobs", kind: "fio", block: 256 << 10, jobs: 4},
}

// runW1 checks that the mount serves the seeded bytes, then measures every
// variant runs times. The runs are interleaved (round r measures every
// variant once) so that a slow spell of the shared machine hits all
// variants alike instead of one.
func runW1(ctx context.Context, s *session) ([]readFigure, error) {
	if err := checkMountContent(ctx, s); err != nil {
		return nil, err
	}
	figs := make([]readFigure, len(w1Variants))
	for i, v := range w1Variants {
		figs[i] = readFigure{Variant: v.name, Kind: v.kind, BlockKiB: v.block >> 10, Jobs: v.jobs, InFlight: v.inFlight}
	}
	err := func() error {
		for round := range s.cfg.runs {
			for i, v := range w1Variants {
				progress("%s W1 round %d/%d: %s", s.cond.Name, round+1, s.cfg.runs, v.name)
				sample, err := measureVariant(ctx, s, v)
				if err != nil {
					return fmt.Errorf("%s: %w", v.name, err)
				}
				figs[i].Runs = append(figs[i].Runs, sample)
			}
		}
		return nil
	}()
	// After an error, what was measured is still reported.
	var done []readFigure
	var best float64 // the Direct reference: the better Direct median
	for _, f := range figs {
		if len(f.Runs) > 0 {
			f.Median = medianRead(f.Runs)
			if f.Kind == "direct" {
				best = max(best, f.Median.MiBps)
			}
			done = append(done, f)
		}
	}
	for i := range done {
		if best > 0 {
			done[i].RatioToDirect = done[i].Median.MiBps / best
		}
	}
	return done, err
}

// measureVariant takes one sample of v.
func measureVariant(ctx context.Context, s *session, v readVariant) (readSample, error) {
	if v.kind == "direct" {
		return measureDirect(ctx, s, v.inFlight)
	}
	return measureFio(ctx, s, v.block, v.jobs)
}

// measureFio reads the W1 object with fio on a fresh mount with a dropped
// page cache, and takes ossfuse's CPU time over the read and its peak RSS.
func measureFio(ctx context.Context, s *session, block int64, jobs int) (sample readSample, err error) {
	m, cpu0, unmount, err := s.measuredMount(ctx)
	if err != nil {
		return sample, err
	}
	defer unmount()
	job := fioJob{File: filepath.Join(m.dir, bigObjectKey), Size: s.cfg.objectSize, Block: block, Jobs: jobs}
	res, err := job.run(ctx, s.cfg.stepTimeout)
	if err != nil {
		return sample, err
	}
	if res.Bytes != s.cfg.objectSize {
		return sample, fmt.Errorf("fio read %d bytes, want %d", res.Bytes, s.cfg.objectSize)
	}
	cpu1, rss, err := m.usage()
	if err != nil {
		return sample, err
	}
	sample, err = readFigures(ctx, s, res.Bytes, res.Elapsed, cpu1-cpu0)
	sample.PeakRSSMiB = float64(rss) / (1 << 20)
	return sample, err
}

// measureDirect reads the W1 object with Direct, inFlight GETs at once,
// and takes the bench process's CPU time over the read.
func measureDirect(ctx context.Context, s *session, inFlight int) (readSample, error) {
	if err := s.emu.resetStats(ctx); err != nil {
		return readSample{}, err
	}
	cpu0, err := cpuTime(os.Getpid())
	if err != nil {
		return readSample{}, err
	}
	readCtx, cancel := context.WithTimeout(ctx, s.cfg.stepTimeout)
	elapsed, err := directRead(readCtx, s.emu.client, bigObjectKey, s.cfg.objectSize, directPartSize, inFlight)
	cancel()
	if err != nil {
		return readSample{}, err
	}
	cpu1, err := cpuTime(os.Getpid())
	if err != nil {
		return readSample{}, err
	}
	return readFigures(ctx, s, s.cfg.objectSize, elapsed, cpu1-cpu0)
}

// readFigures turns a read of n bytes in elapsed, costing cpu, and the
// emulator's counters into a sample.
func readFigures(ctx context.Context, s *session, n int64, elapsed, cpu time.Duration) (readSample, error) {
	st, err := s.emu.stats(ctx)
	if err != nil {
		return readSample{}, err
	}
	gib := float64(n) / (1 << 30)
	return readSample{
		MiBps:        float64(n) / (1 << 20) / elapsed.Seconds(),
		Seconds:      elapsed.Seconds(),
		GetCount:     st.count(opGet),
		MeanGetMiB:   st.meanGetBytes() / (1 << 20),
		CPUSecPerGiB: cpu.Seconds() / gib,
		Requests:     st.Requests,
		Errors:       st.Errors,
		Failed:       st.unexpectedErrors(),
	}, nil
}

// checkMountContent reads 1 MiB in the middle and the last 4 KiB of the
// W1 object through a mount and compares them with the seeded content, so
// that no figure is the speed of reading wrong bytes.
func checkMountContent(ctx context.Context, s *session) error {
	m, err := s.mounter.mount(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = m.unmount() }()
	f, err := os.Open(filepath.Join(m.dir, bigObjectKey))
	if err != nil {
		return err
	}
	defer f.Close()
	want := harness.Pattern{Seed: bigObjectSeed}
	size := s.cfg.objectSize
	for _, r := range []struct{ off, n int64 }{{size / 2, 1 << 20}, {size - 4096, 4096}} {
		got := make([]byte, r.n)
		if _, err := f.ReadAt(got, r.off); err != nil {
			return fmt.Errorf("read %s at %d through the mount: %w", bigObjectKey, r.off, err)
		}
		if !bytes.Equal(got, want.Bytes(r.off, int(r.n))) {
			return fmt.Errorf("%s at %d: the mount returned other bytes than were seeded", bigObjectKey, r.off)
		}
	}
	return nil
}
