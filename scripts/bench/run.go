package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// session is what the workloads of one condition share.
type session struct {
	cfg     config
	cond    condition
	emu     *emulator
	mounter *mounter
	warned  sync.Map // warning text -> struct{}: each warning printed once
}

// warnOnce prints a warning to stderr the first time it is given.
func (s *session) warnOnce(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if _, seen := s.warned.LoadOrStore(msg, struct{}{}); !seen {
		fmt.Fprintln(os.Stderr, "bench: warning:", msg)
	}
}

// progress prints a line about the step under way to stderr.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: %s %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// run checks the machine, runs every condition, prints the table and
// writes the JSON, even when a condition fails halfway (the error is in
// the JSON too).
func run(ctx context.Context, cfg config) error {
	if err := checkMachine(cfg); err != nil {
		return err
	}
	root, err := os.MkdirTemp("", "ossfuse-bench-")
	if err != nil {
		return err
	}
	// mountinfo shows resolved paths; so must every path compared with it.
	if root, err = filepath.EvalSymlinks(root); err != nil {
		return err
	}
	rep := &report{Started: time.Now(), Host: hostInfo(), Runs: cfg.runs, ObjectSize: cfg.objectSize, Budget: cfg.budget.Seconds(), Notes: notes(cfg)}
	runErr := func() error {
		for _, cond := range cfg.conditions {
			res, err := runCondition(ctx, cfg, cond, root)
			rep.Conditions = append(rep.Conditions, res)
			if err != nil {
				return fmt.Errorf("%s: %w", cond.Name, err)
			}
		}
		return nil
	}()
	if runErr != nil {
		rep.Error = runErr.Error()
	}
	rep.Seconds = time.Since(rep.Started).Seconds()
	printReport(os.Stdout, rep)
	path, err := writeJSON(cfg.outDir, rep)
	if err != nil {
		runErr = errors.Join(runErr, err)
	} else {
		fmt.Printf("\nJSON: %s\n", path)
	}
	removeRoot(root, runErr != nil)
	return runErr
}

// removeRoot deletes the run's directory of mount points and logs, but
// never while anything is mounted under it (RemoveAll would walk into the
// mount), and keeps the ossfuse logs when the run failed.
func removeRoot(root string, keepLogs bool) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], root+"/") {
			fmt.Fprintf(os.Stderr, "bench: %s is still mounted; leaving %s in place\n", f[4], root)
			return
		}
	}
	if keepLogs {
		fmt.Fprintf(os.Stderr, "bench: ossfuse logs kept in %s/*/logs\n", root)
		return
	}
	_ = os.RemoveAll(root)
}

// runCondition starts an emulator with the condition's latency, seeds it,
// runs the chosen workloads and stops it, unmounting whatever is left.
func runCondition(ctx context.Context, cfg config, cond condition, root string) (res conditionResult, err error) {
	res.Condition = cond
	progress("%s: starting ossemu (latency %v)", cond.Name, cond.Latency)
	emu, err := startEmulator(cfg.binDir, cond.Latency)
	if err != nil {
		return res, err
	}
	s := &session{cfg: cfg, cond: cond, emu: emu, mounter: &mounter{
		ossfuse: filepath.Join(cfg.binDir, "ossfuse"), root: filepath.Join(root, cond.Name),
		endpoint: emu.Endpoint, bucket: emu.Bucket, options: cfg.mountOpts,
	}}
	defer func() {
		// Mounts first (they talk to the emulator), then the emulator.
		err = errors.Join(err, s.mounter.unmountAll())
		if cerr := emu.Close(); cerr != nil && ctx.Err() == nil {
			err = errors.Join(err, fmt.Errorf("ossemu exit: %v\n%s", cerr, tail(emu.Log(), 2000)))
		}
	}()

	seedStart := time.Now()
	if cfg.workloads["w1"] {
		progress("%s: seeding a %d MiB object (multipart)", cond.Name, cfg.objectSize>>20)
		if err := seedBigObject(ctx, emu.client, cfg.objectSize); err != nil {
			return res, err
		}
	}
	if cfg.workloads["w7"] {
		dirs := listDirs(cfg)
		progress("%s: seeding W7 directories %v", cond.Name, dirs)
		if err := seedListDirs(ctx, emu.client, dirs); err != nil {
			return res, err
		}
	}
	res.SeedSeconds = time.Since(seedStart).Seconds()

	if cfg.workloads["w1"] {
		if res.W1, err = runW1(ctx, s); err != nil {
			return res, fmt.Errorf("W1: %w", err)
		}
	}
	if cfg.workloads["w2"] {
		if res.W2, err = runW2(ctx, s); err != nil {
			return res, fmt.Errorf("W2: %w", err)
		}
	}
	if cfg.workloads["w6"] {
		if res.W6, err = runW6(ctx, s); err != nil {
			return res, fmt.Errorf("W6: %w", err)
		}
	}
	if cfg.workloads["w7"] {
		if res.W7, err = runW7(ctx, s); err != nil {
			return res, fmt.Errorf("W7: %w", err)
		}
	}
	if cfg.workloads["w9"] {
		if res.W9, err = runW9(ctx, s); err != nil {
			return res, fmt.Errorf("W9: %w", err)
		}
	}
	return res, nil
}

// listDirs are the W7 directories the flags ask for.
func listDirs(cfg config) []listDir {
	dirs := []listDir{{"d1k", 1000}, {"d10k", 10000}}
	if cfg.with100k {
		dirs = append(dirs, listDir{"d100k", 100000})
	}
	return dirs
}

// checkMachine fails early, saying what is missing, when the bench cannot
// run: root, /dev/fuse, the tools, the binaries.
func checkMachine(cfg config) error {
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root (mounting and drop_caches need it)")
	}
	if _, err := os.Stat("/dev/fuse"); err != nil {
		missing = append(missing, "/dev/fuse")
	}
	tools := []string{"umount", "fusermount3", "ls", "find", "du"}
	if cfg.workloads["w1"] || cfg.workloads["w2"] {
		tools = append(tools, "fio")
	}
	for _, t := range tools {
		if _, err := exec.LookPath(t); err != nil {
			missing = append(missing, t+" (scripts/install-deps.sh installs it)")
		}
	}
	for _, b := range []string{"ossemu", "ossfuse"} {
		if _, err := os.Stat(filepath.Join(cfg.binDir, b)); err != nil {
			missing = append(missing, filepath.Join(cfg.binDir, b)+" (run make build)")
		}
	}
	if len(missing) > 0 {
		return errors.New("cannot run, missing: " + strings.Join(missing, "; "))
	}
	return nil
}

// hostInfo describes the machine for the JSON.
func hostInfo() map[string]string {
	h := map[string]string{"cpus": fmt.Sprint(runtime.NumCPU()), "go": runtime.Version()}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		h["kernel"] = strings.TrimSpace(string(b))
	}
	if out, err := exec.Command("fio", "--version").Output(); err == nil {
		h["fio"] = strings.TrimSpace(string(out))
	}
	return h
}

// tail returns the last n bytes of s.
func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// measuredMount mounts afresh for one measurement: the page cache dropped
// and the emulator's counters zeroed after the mount's own requests. It
// returns the mount, ossfuse's CPU time so far, and the unmount to defer.
func (s *session) measuredMount(ctx context.Context, options ...string) (*mount, time.Duration, func(), error) {
	m, err := s.mounter.mount(ctx, options...)
	if err != nil {
		return nil, 0, nil, err
	}
	unmount := func() {
		if uerr := m.unmount(); uerr != nil {
			s.warnOnce("unclean unmount: %v", uerr)
		}
	}
	if err := dropPageCache(); err != nil {
		s.warnOnce("cannot drop the page cache: %v", err)
	}
	if err := s.emu.resetStats(ctx); err != nil {
		unmount()
		return nil, 0, nil, err
	}
	cpu0, err := cpuTime(m.pid())
	if err != nil {
		unmount()
		return nil, 0, nil, err
	}
	return m, cpu0, unmount, nil
}
