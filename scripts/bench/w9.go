package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/ossfuse/ossfuse/integration/harness"
	"github.com/ossfuse/ossfuse/ossio"
)

// Constants of W9.
const (
	w9Record = 4 << 10 // bytes per append
	w9Seed   = 9       // of the log's content
)

// appendVariant is one W9 case: where the appends go.
type appendVariant struct {
	name    string
	short   string   // in the object's key
	options []string // of the mount
	// seeded: the log is an Appendable object made by one AppendObject
	// through ossio before the mount; else the first append creates it.
	seeded bool
}

// w9Variants are BENCH.md's two ways to grow a log: an Appendable object
// that already exists, on a default mount (each close is one
// AppendObject); and a new file on an append_mode mount, which creates it
// Appendable and appends at each close.
var w9Variants = []appendVariant{
	{name: "Appendable object, default mount", short: "appendable", seeded: true},
	{name: "new file, -o append_mode", short: "append-mode", options: []string{"append_mode"}},
}

// runW9 measures every variant runs times, interleaved by rounds like W1.
// The log's expected content is made once: record i of every log is the
// same Pattern slice, so a log of n records is a prefix of it.
func runW9(ctx context.Context, s *session) ([]appendFigure, error) {
	if err := putMarkers(ctx, s.emu.client, "w9/"); err != nil {
		return nil, err
	}
	// One record more than the appends: the seeded log's first record.
	content := harness.Pattern{Seed: w9Seed}.Bytes(0, (s.cfg.w9Appends+1)*w9Record)
	figs := make([]appendFigure, len(w9Variants))
	for i, v := range w9Variants {
		figs[i] = appendFigure{Variant: v.name, Options: v.options}
	}
	err := func() error {
		for round := range s.cfg.runs {
			for i, v := range w9Variants {
				progress("%s W9 round %d/%d: %d appends, %s", s.cond.Name, round+1, s.cfg.runs, s.cfg.w9Appends, v.name)
				sample, err := measureAppends(ctx, s, v, round, content)
				if err != nil {
					return fmt.Errorf("%s: %w", v.name, err)
				}
				figs[i].Runs = append(figs[i].Runs, sample)
			}
		}
		return nil
	}()
	// After an error, what was measured is still reported.
	var done []appendFigure
	for _, f := range figs {
		if len(f.Runs) > 0 {
			f.Median = medianAppend(f.Runs)
			done = append(done, f)
		}
	}
	return done, err
}

// measureAppends appends records to the log of v on a fresh mount, each
// in its own open(O_APPEND)/write/close cycle as a shell's `>>` does, until
// -w9-appends records or the -budget. Then it reads the log back through
// the mount and compares it with what was appended, and checks through
// ossio that the object is still (or was made) Appendable.
func measureAppends(ctx context.Context, s *session, v appendVariant, round int, content []byte) (sample appendSample, err error) {
	key := fmt.Sprintf("w9/%s-r%d.log", v.short, round+1)
	defer func() { err = errors.Join(err, deleteObjects(s, []string{key})) }()
	flags := os.O_WRONLY | os.O_APPEND
	base := 0 // bytes of the log before the first append
	if v.seeded {
		if _, err := s.emu.client.AppendObject(ctx, ossio.AppendRequest{
			Key: key, Position: 0, Body: bytes.NewReader(content[:w9Record]), Size: w9Record, ContentType: "text/plain",
		}); err != nil {
			return sample, fmt.Errorf("seed %s: %w", key, err)
		}
		base = w9Record
	} else {
		flags |= os.O_CREATE
	}
	m, err := s.mounter.mount(ctx, v.options...)
	if err != nil {
		return sample, err
	}
	defer func() {
		if uerr := m.unmount(); uerr != nil {
			s.warnOnce("unclean unmount: %v", uerr)
		}
	}()
	path := filepath.Join(m.dir, key)
	// Look the directory up before counting: the figures are per append.
	if _, err := os.Stat(filepath.Dir(path)); err != nil {
		return sample, err
	}
	cpu0, err := cpuTime(m.pid())
	if err != nil {
		return sample, err
	}
	if err := s.emu.resetStats(ctx); err != nil {
		return sample, err
	}
	start := time.Now()
	appends, err := forEachWithin(ctx, s.cfg.w9Appends, 1, s.cfg.budget, func(_ context.Context, i int) error {
		at := base + i*w9Record
		return appendOnce(path, flags, content[at:at+w9Record])
	})
	elapsed := time.Since(start)
	if err != nil {
		return sample, fmt.Errorf("after %d appends: %w", appends, err)
	}
	st, err := s.emu.stats(ctx)
	if err != nil {
		return sample, err
	}
	cpu1, rss, err := m.usage()
	if err != nil {
		return sample, err
	}
	size := int64(base + appends*w9Record)
	readTime, err := checkLog(ctx, s, path, key, content[:size])
	if err != nil {
		return sample, err
	}
	return appendSample{
		Appends: appends, Seconds: elapsed.Seconds(), AppendsPerSec: float64(appends) / elapsed.Seconds(),
		PerAppend: st.perUnit(appends), Requests: st.Requests,
		ReadSeconds: readTime.Seconds(), LogBytes: size,
		CPUSeconds: (cpu1 - cpu0).Seconds(), PeakRSSMiB: float64(rss) / (1 << 20),
		Errors: st.Errors, Failed: st.unexpectedErrors(),
	}, nil
}

// appendOnce is one `>>`: open, one write, close. close's error is the
// upload's, so it counts.
func appendOnce(path string, flags int, record []byte) error {
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(record); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// checkLog reads the log back through the mount, timing it, and fails
// unless it is want; then it fails unless the object has want's size and
// is Appendable (ossfuse must have appended, not rewritten it).
func checkLog(ctx context.Context, s *session, path, key string, want []byte) (time.Duration, error) {
	start := time.Now()
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	f.Close()
	elapsed := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("read %s back: %w", key, err)
	}
	if sum := sha256.Sum256(want); n != int64(len(want)) || !bytes.Equal(h.Sum(nil), sum[:]) {
		return 0, fmt.Errorf("%s reads back as %d bytes with another SHA-256 than the %d appended", key, n, len(want))
	}
	info, err := s.emu.client.HeadObject(ctx, key)
	if err != nil {
		return 0, fmt.Errorf("HEAD %s after the appends: %w", key, err)
	}
	if info.Size != int64(len(want)) || info.Type != ossio.TypeAppendable {
		return 0, fmt.Errorf("%s is a %s object of %d bytes after the appends, want Appendable of %d", key, info.Type, info.Size, len(want))
	}
	return elapsed, nil
}
