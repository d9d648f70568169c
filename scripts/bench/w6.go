package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ossfuse/ossfuse/integration/harness"
)

// Constants of W6.
const (
	w6FileSize = 4 << 10 // bytes per file
	w6Workers  = 16      // the parallel cases' goroutines
	w6Seed     = 6       // of the files' content
	// w6Contents is how many distinct contents the files cycle through.
	w6Contents = 1024
)

// smallFilesCase is one W6 case: how many files, by how many workers.
type smallFilesCase struct {
	files, workers int
}

// w6Cases are the cases the flags ask for: 1k files (10k with -w6-10k),
// by one worker and by w6Workers.
func w6Cases(cfg config) []smallFilesCase {
	counts := []int{1000}
	if cfg.w6With10k {
		counts = append(counts, 10000)
	}
	var cases []smallFilesCase
	for _, n := range counts {
		cases = append(cases, smallFilesCase{n, 1}, smallFilesCase{n, w6Workers})
	}
	return cases
}

// runW6 measures every case runs times, interleaved by rounds like W1.
// The files are written and removed by goroutines of the bench process
// (os.WriteFile, os.Remove), so that no process start-up is timed.
func runW6(ctx context.Context, s *session) ([]smallFilesFigure, error) {
	contents := harness.Pattern{Seed: w6Seed}.Bytes(0, w6Contents*w6FileSize)
	cases := w6Cases(s.cfg)
	figs := make([]smallFilesFigure, len(cases))
	for i, c := range cases {
		figs[i] = smallFilesFigure{Files: c.files, Workers: c.workers}
	}
	err := func() error {
		for round := range s.cfg.runs {
			for i, c := range cases {
				progress("%s W6 round %d/%d: %d files, workers: %d", s.cond.Name, round+1, s.cfg.runs, c.files, c.workers)
				sample, err := measureSmallFiles(ctx, s, c, round, contents)
				if err != nil {
					return fmt.Errorf("%d files, workers: %d: %w", c.files, c.workers, err)
				}
				figs[i].Runs = append(figs[i].Runs, sample)
			}
		}
		return nil
	}()
	// After an error, what was measured is still reported.
	var done []smallFilesFigure
	for _, f := range figs {
		if len(f.Runs) > 0 {
			f.Median = medianSmallFiles(f.Runs)
			done = append(done, f)
		}
	}
	return done, err
}

// w6Content is file i's content: a slice of contents, which cycles.
func w6Content(contents []byte, i int) []byte {
	at := (i % w6Contents) * w6FileSize
	return contents[at : at+w6FileSize]
}

// measureSmallFiles creates c.files files in a fresh directory of a fresh
// mount, c.workers at a time, checks them through ossio, removes them the
// same way and checks the directory is empty. Creation stops early when
// the -budget runs out; the sample says how many files were made.
func measureSmallFiles(ctx context.Context, s *session, c smallFilesCase, round int, contents []byte) (sample smallFilesSample, err error) {
	dir := fmt.Sprintf("w6/n%d-w%d-r%d", c.files, c.workers, round+1)
	// The directory exists before the mount, as one written into does; its
	// marker comes through ossio like every seed.
	if err := putMarkers(ctx, s.emu.client, "w6/", dir+"/"); err != nil {
		return sample, err
	}
	defer func() { err = errors.Join(err, deletePrefix(s, dir+"/")) }()
	m, err := s.mounter.mount(ctx)
	if err != nil {
		return sample, err
	}
	defer func() {
		if uerr := m.unmount(); uerr != nil {
			s.warnOnce("unclean unmount: %v", uerr)
		}
	}()
	local := filepath.Join(m.dir, dir)
	// Look the directory up before counting: the figures are per file.
	if _, err := os.Stat(local); err != nil {
		return sample, err
	}
	name := func(i int) string { return filepath.Join(local, fmt.Sprintf("f%05d", i)) }
	cpu0, err := cpuTime(m.pid())
	if err != nil {
		return sample, err
	}

	if err := s.emu.resetStats(ctx); err != nil {
		return sample, err
	}
	start := time.Now()
	created, err := forEachWithin(ctx, c.files, c.workers, s.cfg.budget, func(_ context.Context, i int) error {
		return os.WriteFile(name(i), w6Content(contents, i), 0o644)
	})
	createTime := time.Since(start)
	if err != nil {
		return sample, fmt.Errorf("create: %w", err)
	}
	createStats, err := s.emu.stats(ctx)
	if err != nil {
		return sample, err
	}
	if err := checkSmallFiles(ctx, s, dir, created, contents); err != nil {
		return sample, err
	}

	if err := s.emu.resetStats(ctx); err != nil {
		return sample, err
	}
	start = time.Now()
	// Removal is bounded by the step timeout, not the budget: it removes
	// every file created, and costs less than creating them.
	removed, err := forEachWithin(ctx, created, c.workers, s.cfg.stepTimeout, func(_ context.Context, i int) error {
		return os.Remove(name(i))
	})
	removeTime := time.Since(start)
	if err == nil && removed < created {
		err = fmt.Errorf("removed %d of %d files within %v", removed, created, s.cfg.stepTimeout)
	}
	if err != nil {
		return sample, fmt.Errorf("remove: %w", err)
	}
	removeStats, err := s.emu.stats(ctx)
	if err != nil {
		return sample, err
	}
	if err := checkSmallFiles(ctx, s, dir, 0, contents); err != nil {
		return sample, err
	}

	cpu1, rss, err := m.usage()
	if err != nil {
		return sample, err
	}
	return smallFilesSample{
		Files:         created,
		CreateSeconds: createTime.Seconds(), CreatePerSec: float64(created) / createTime.Seconds(),
		RemoveSeconds: removeTime.Seconds(), RemovePerSec: float64(created) / removeTime.Seconds(),
		CreatePerFile: createStats.perUnit(created), RemovePerFile: removeStats.perUnit(created),
		CreateRequests: createStats.Requests, RemoveRequests: removeStats.Requests,
		CPUSeconds: (cpu1 - cpu0).Seconds(), PeakRSSMiB: float64(rss) / (1 << 20),
		Errors: sumCounts(createStats.Errors, removeStats.Errors),
		Failed: createStats.unexpectedErrors() + removeStats.unexpectedErrors(),
	}, nil
}

// checkSmallFiles lists dir through ossio and fails unless it holds
// exactly files objects f00000.. of w6FileSize bytes (besides its marker);
// it reads the first and the last back and compares their content.
func checkSmallFiles(ctx context.Context, s *session, dir string, files int, contents []byte) error {
	sizes, err := listSizes(ctx, s.emu.client, dir+"/")
	if err != nil {
		return err
	}
	delete(sizes, dir+"/")
	if len(sizes) != files {
		return fmt.Errorf("%s/ holds %d objects, want %d", dir, len(sizes), files)
	}
	for i := range files {
		key := fmt.Sprintf("%s/f%05d", dir, i)
		if size, ok := sizes[key]; !ok || size != w6FileSize {
			return fmt.Errorf("%s: present %v, %d bytes, want %d", key, ok, size, w6FileSize)
		}
	}
	if files == 0 {
		return nil
	}
	for _, i := range []int{0, files - 1} {
		key := fmt.Sprintf("%s/f%05d", dir, i)
		got, err := getObject(ctx, s.emu.client, key)
		if err != nil {
			return err
		}
		if !bytes.Equal(got, w6Content(contents, i)) {
			return fmt.Errorf("%s: the object holds other bytes than were written", key)
		}
	}
	return nil
}
