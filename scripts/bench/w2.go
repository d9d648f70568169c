package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/ossfuse/ossfuse/ossio"
)

// writeVariant is one line of the W2 table: a Direct upload with a number
// of parts in flight, or fio with a number of jobs.
type writeVariant struct {
	name        string
	kind        string // "direct" (UploadFile), "direct-stream" (Upload) or "fio"
	parallelism int    // Direct's parts in flight
	jobs        int    // fio's jobs, each writing its own file of size/jobs
}

// w2Variants are the W2 lines, Direct first. The reference ("xDirect") is
// the best Direct median: UploadFile from memory is the limit a client
// reaches; the streaming line shows what ossio.Upload, ossfuse's own
// engine, costs without FUSE and the stage.
var w2Variants = []writeVariant{
	{name: "Direct UploadFile 8MiB x 4", kind: "direct", parallelism: 4},
	{name: "Direct UploadFile 8MiB x 8", kind: "direct", parallelism: 8},
	{name: "Direct stream 8MiB x 4", kind: "direct-stream", parallelism: 4},
	{name: "fio bs=1M 1 job", kind: "fio", jobs: 1},
	{name: "fio bs=1M 4 jobs", kind: "fio", jobs: 4},
}

// Constants of W2.
const (
	w2Block     = 1 << 20         // fio's bs
	w2DirectKey = "w2/direct.bin" // Direct's object, deleted after each upload
	w2Seed      = 2               // of the Pattern Direct uploads
)

// runW2 measures every variant runs times, interleaved by rounds like W1.
// Every upload writes a fresh object, deleted (through ossio) once its
// figures are taken, so the emulator holds at most one at a time. The
// first fio run of one job is read back once with fio --verify_only.
func runW2(ctx context.Context, s *session) ([]writeFigure, error) {
	src := newRepeatedSource(w2Seed)
	figs := make([]writeFigure, len(w2Variants))
	for i, v := range w2Variants {
		figs[i] = writeFigure{Variant: v.name, Kind: v.kind, Jobs: v.jobs, Parallelism: v.parallelism}
	}
	verified := false
	err := func() error {
		for round := range s.cfg.runs {
			for i, v := range w2Variants {
				progress("%s W2 round %d/%d: %s", s.cond.Name, round+1, s.cfg.runs, v.name)
				var sample writeSample
				var err error
				if v.kind == "fio" {
					verify := !verified && v.jobs == 1
					sample, err = measureWriteFio(ctx, s, v.jobs, verify)
					verified = verified || verify
				} else {
					sample, err = measureWriteDirect(ctx, s, src, v)
				}
				if err != nil {
					return fmt.Errorf("%s: %w", v.name, err)
				}
				figs[i].Runs = append(figs[i].Runs, sample)
			}
		}
		return nil
	}()
	// After an error, what was measured is still reported.
	var done []writeFigure
	var best float64
	for _, f := range figs {
		if len(f.Runs) > 0 {
			f.Median = medianWrite(f.Runs)
			if f.Kind != "fio" {
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

// measureWriteFio writes the W2 bytes with fio on a fresh mount, as jobs
// fresh files of size/jobs, and takes ossfuse's CPU time over the write
// and its peak RSS. It checks that each object has its size; with verify
// it also reads them back on another fresh mount and lets fio check every
// block's header (offset and crc32c).
func measureWriteFio(ctx context.Context, s *session, jobs int, verify bool) (sample writeSample, err error) {
	job := fioWriteJob{Size: s.cfg.objectSize, Block: w2Block, Jobs: jobs}
	var keys []string
	for i := range jobs {
		keys = append(keys, job.fileName(i))
	}
	defer func() { err = errors.Join(err, deleteObjects(s, keys)) }()
	m, cpu0, unmount, err := s.measuredMount(ctx)
	if err != nil {
		return sample, err
	}
	defer unmount()
	job.Dir = m.dir
	res, err := job.run(ctx, s.cfg.stepTimeout)
	if err != nil {
		return sample, err
	}
	if res.Bytes != s.cfg.objectSize {
		return sample, fmt.Errorf("fio wrote %d bytes, want %d", res.Bytes, s.cfg.objectSize)
	}
	cpu1, rss, err := m.usage()
	if err != nil {
		return sample, err
	}
	st, err := s.emu.stats(ctx)
	if err != nil {
		return sample, err
	}
	sample = writeFigures(st, res.Bytes, res.Elapsed, cpu1-cpu0)
	sample.WallSeconds = res.Wall.Seconds()
	sample.PeakRSSMiB = float64(rss) / (1 << 20)
	// fsync returned: the objects must be whole in OSS now, before close.
	if err := checkObjectSizes(ctx, s, keys, s.cfg.objectSize/int64(jobs)); err != nil {
		return sample, err
	}
	if verify {
		if err := m.unmount(); err != nil {
			return sample, err
		}
		if err := verifyWritten(ctx, s, job); err != nil {
			return sample, err
		}
	}
	return sample, nil
}

// verifyWritten reads the files of job back with fio --verify_only on a
// fresh mount after drop_caches, so that the bytes come from OSS.
func verifyWritten(ctx context.Context, s *session, job fioWriteJob) error {
	m, err := s.mounter.mount(ctx)
	if err != nil {
		return err
	}
	defer func() { _ = m.unmount() }()
	if err := dropPageCache(); err != nil {
		s.warnOnce("cannot drop the page cache: %v", err)
	}
	if err := s.emu.resetStats(ctx); err != nil {
		return err
	}
	job.Dir, job.VerifyOnly = m.dir, true
	res, err := job.run(ctx, s.cfg.stepTimeout)
	if err != nil {
		return fmt.Errorf("the object written by fio does not read back as written: %w", err)
	}
	if res.Bytes != job.Size {
		return fmt.Errorf("fio --verify_only read %d bytes, want %d", res.Bytes, job.Size)
	}
	st, err := s.emu.stats(ctx)
	if err != nil {
		return err
	}
	progress("%s W2: fio --verify_only read %d MiB back intact in %.1fs (%d GETs, %.2f bytes fetched per byte read)",
		s.cond.Name, res.Bytes>>20, res.Elapsed.Seconds(), st.count(opGet), float64(st.BytesOut)/float64(res.Bytes))
	return nil
}

// measureWriteDirect uploads the W2 bytes with Direct and takes the bench
// process's CPU time over the upload.
func measureWriteDirect(ctx context.Context, s *session, src repeatedSource, v writeVariant) (sample writeSample, err error) {
	defer func() { err = errors.Join(err, deleteObjects(s, []string{w2DirectKey})) }()
	if err := s.emu.resetStats(ctx); err != nil {
		return sample, err
	}
	cpu0, err := cpuTime(os.Getpid())
	if err != nil {
		return sample, err
	}
	upCtx, cancel := context.WithTimeout(ctx, s.cfg.stepTimeout)
	opts := ossio.UploadOptions{PartSize: ossio.DefaultPartSize, Parallelism: v.parallelism}
	elapsed, res, err := directUpload(upCtx, s.emu.client, w2DirectKey, src, s.cfg.objectSize, opts, v.kind == "direct-stream")
	cancel()
	if err != nil {
		return sample, err
	}
	cpu1, err := cpuTime(os.Getpid())
	if err != nil {
		return sample, err
	}
	st, err := s.emu.stats(ctx)
	if err != nil {
		return sample, err
	}
	if res.Size != s.cfg.objectSize {
		return sample, fmt.Errorf("direct: uploaded %d bytes, want %d", res.Size, s.cfg.objectSize)
	}
	return writeFigures(st, s.cfg.objectSize, elapsed, cpu1-cpu0), checkObjectSizes(ctx, s, []string{w2DirectKey}, s.cfg.objectSize)
}

// writeFigures turns a write of n bytes in elapsed, costing cpu, and the
// emulator's counters into a sample.
func writeFigures(st opStats, n int64, elapsed, cpu time.Duration) writeSample {
	w := writeSample{
		MiBps:          float64(n) / (1 << 20) / elapsed.Seconds(),
		Seconds:        elapsed.Seconds(),
		Initiates:      st.count(opInitiate),
		Parts:          st.count(opPart),
		Completes:      st.count(opComplete),
		Puts:           st.count(opPut),
		SentPerWritten: float64(st.BytesIn) / float64(n),
		CPUSecPerGiB:   cpu.Seconds() / (float64(n) / (1 << 30)),
		Requests:       st.Requests,
		Errors:         st.Errors,
		Failed:         st.unexpectedErrors(),
	}
	if w.Parts > 0 {
		w.MeanPartMiB = float64(st.BytesInByOp[opPart]) / float64(w.Parts) / (1 << 20)
	}
	return w
}
