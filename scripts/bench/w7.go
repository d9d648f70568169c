package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// listCommand is one W7 command, run on a directory of the mount.
type listCommand struct {
	name string
	args []string // the directory is appended
}

// w7Commands are the listings BENCH.md names. Plain `ls` and `find` need
// only names (and d_type); `ls -l` and `du -s` stat every entry.
var w7Commands = []listCommand{
	{"ls", []string{"ls"}},
	{"ls -l", []string{"ls", "-l"}},
	{"find", []string{"find"}},
	{"du -s", []string{"du", "-s"}},
}

// attrModes are the two ways ossfuse fills attributes of listed entries:
// exact (a HEAD per object, issued in parallel) or from the listing alone.
var attrModes = []struct {
	name    string
	options []string
}{
	{"exact", nil},
	{"attr_from_list", []string{"attr_from_list"}},
}

// runW7 measures every (attribute mode, directory, command) runs times,
// interleaved by rounds like W1.
func runW7(ctx context.Context, s *session) ([]listFigure, error) {
	var figs []listFigure
	type caseOf struct {
		options []string
		dir     listDir
		cmd     listCommand
	}
	var cases []caseOf
	for _, mode := range attrModes {
		for _, dir := range listDirs(s.cfg) {
			for _, cmd := range w7Commands {
				figs = append(figs, listFigure{Attrs: mode.name, Dir: dir, Command: cmd.name})
				cases = append(cases, caseOf{mode.options, dir, cmd})
			}
		}
	}
	err := func() error {
		for round := range s.cfg.runs {
			progress("%s W7 round %d/%d: %d cases", s.cond.Name, round+1, s.cfg.runs, len(cases))
			for i, c := range cases {
				sample, err := measureListing(ctx, s, c.options, c.dir, c.cmd)
				if err != nil {
					return fmt.Errorf("%s %s on %s: %w", figs[i].Attrs, c.cmd.name, c.dir.Name, err)
				}
				figs[i].Runs = append(figs[i].Runs, sample)
			}
		}
		return nil
	}()
	// After an error, what was measured is still reported.
	var done []listFigure
	for _, f := range figs {
		if len(f.Runs) > 0 {
			f.Median = medianList(f.Runs)
			done = append(done, f)
		}
	}
	return done, err
}

// measureListing runs cmd on dir on a fresh mount (cold), then again on
// the same mount (warm), with the emulator's counters reset before each.
func measureListing(ctx context.Context, s *session, options []string, dir listDir, cmd listCommand) (sample listSample, err error) {
	m, err := s.mounter.mount(ctx, options...)
	if err != nil {
		return sample, err
	}
	defer func() {
		if uerr := m.unmount(); uerr != nil {
			s.warnOnce("unclean unmount: %v", uerr)
		}
	}()
	cpu0, err := cpuTime(m.pid())
	if err != nil {
		return sample, err
	}
	target := filepath.Join(m.dir, dir.path())
	var phases [2]struct {
		elapsed time.Duration
		stats   opStats
	}
	for i := range phases {
		if err := s.emu.resetStats(ctx); err != nil {
			return sample, err
		}
		if phases[i].elapsed, err = runListing(ctx, s.cfg.stepTimeout, cmd, target); err != nil {
			return sample, err
		}
		if phases[i].stats, err = s.emu.stats(ctx); err != nil {
			return sample, err
		}
	}
	cpu1, rss, err := m.usage()
	if err != nil {
		return sample, err
	}
	cold, warm := phases[0], phases[1]
	return listSample{
		ColdSeconds: cold.elapsed.Seconds(), WarmSeconds: warm.elapsed.Seconds(),
		ColdLists: cold.stats.lists(), ColdHeads: cold.stats.count(opHead),
		WarmLists: warm.stats.lists(), WarmHeads: warm.stats.count(opHead),
		ColdRequests: cold.stats.Requests, WarmRequests: warm.stats.Requests,
		CPUSeconds: (cpu1 - cpu0).Seconds(), PeakRSSMiB: float64(rss) / (1 << 20),
		ColdErrors: cold.stats.Errors, WarmErrors: warm.stats.Errors,
		Failed: cold.stats.unexpectedErrors() + warm.stats.unexpectedErrors(),
	}, nil
}

// runListing runs one listing command on dir with its output discarded
// (to /dev/null, as a pipe would add our own reading to the time) and
// returns its wall time. A non-zero exit is an error.
func runListing(ctx context.Context, timeout time.Duration, lc listCommand, dir string) (time.Duration, error) {
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return 0, err
	}
	defer devNull.Close()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	args := append(append([]string{}, lc.args[1:]...), dir)
	cmd := exec.CommandContext(ctx, lc.args[0], args...)
	cmd.Dir = "/"
	cmd.Env = append(envWithoutOSS(), "LC_ALL=C", "TZ=UTC")
	cmd.WaitDelay = 5 * time.Second
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = devNull, &stderr
	start := time.Now()
	err = cmd.Run()
	elapsed := time.Since(start)
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			err = fmt.Errorf("killed after %v", timeout)
		}
		return 0, fmt.Errorf("%s %v: %v: %s", lc.args[0], args, err, tail(stderr.String(), 500))
	}
	return elapsed, nil
}
