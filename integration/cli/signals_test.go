package cli

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ossfuse/ossfuse/integration/harness"
)

// stopTimeout bounds ossfuse's exit after SIGTERM: the flush, the lazy
// unmount and its 5 s grace for open files, then Close.
const stopTimeout = 40 * time.Second

// holdOpen creates rel in the mount, writes content into it and keeps it
// open until the test ends, with no close in between: no FUSE flush, so
// what was written is dirty in ossfuse and nowhere else. (A shell would
// not do: its redirections dup and close descriptors, each close a flush.)
func holdOpen(t *testing.T, m *harness.Mounted, rel, content string) {
	t.Helper()
	done := make(chan error, 1)
	var f *os.File
	go func() {
		var err error
		if f, err = os.OpenFile(m.Path(rel), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644); err == nil {
			_, err = f.WriteString(content)
		}
		done <- err
	}()
	select {
	case err := <-done:
		if f != nil {
			// Closed once ossfuse is gone (an error then, ignored).
			t.Cleanup(func() { _ = f.Close() })
		}
		if err != nil {
			t.Fatalf("writing %s: %v", rel, err)
		}
	case <-time.After(commandTimeout):
		t.Fatalf("writing %s: hung for %v", rel, commandTimeout)
	}
}

// TestSIGTERMFlushesFileStillOpen sends SIGTERM to ossfuse while a process
// holds a file open after writing to it: ossfuse must upload what was
// written (FlushAll), detach the busy mount lazily, and exit 0; the bytes
// are then in the bucket.
func TestSIGTERMFlushesFileStillOpen(t *testing.T) {
	emu := harness.StartEmulator(t)
	m := harness.Mount(t, emu)
	const content = "written before SIGTERM, file still open\n"
	holdOpen(t, m, "open.txt", content)

	start := time.Now()
	if err := syscall.Kill(m.Pid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := m.WaitExit(stopTimeout); err != nil {
		t.Fatalf("after SIGTERM: %v", err)
	}
	t.Logf("SIGTERM to exit, a file open: %v", time.Since(start))
	if ok, _ := harness.IsMounted(m.Dir); ok {
		t.Errorf("%s still mounted after ossfuse exited", m.Dir)
	}
	if !strings.Contains(m.Log(), "detaching it lazily") {
		t.Errorf("the log does not say the busy mount was detached lazily")
	}
	if got, ok := object(t, emu, "open.txt"); !ok || got != content {
		t.Errorf("open.txt in the bucket after SIGTERM: %q (exists %v), want %q", got, ok, content)
	}
}

// TestSIGINTUnmountsIdleMount sends SIGINT to an idle mount: a plain
// unmount, no lazy detach, and exit 0.
func TestSIGINTUnmountsIdleMount(t *testing.T) {
	emu := harness.StartEmulator(t)
	seed(t, emu, "f", "x")
	m := harness.Mount(t, emu)
	harness.Run(t, m.Dir, "cat", "f")
	if err := syscall.Kill(m.Pid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := m.WaitExit(stopTimeout); err != nil {
		t.Fatalf("after SIGINT: %v", err)
	}
	if ok, _ := harness.IsMounted(m.Dir); ok {
		t.Errorf("%s still mounted after ossfuse exited", m.Dir)
	}
	if log := m.Log(); strings.Contains(log, "detaching") || !strings.Contains(log, "msg=unmounted") {
		t.Errorf("want a plain unmount; the log:\n%s", log)
	}
}

// TestSIGHUPReopensLogFile moves the log file away as logrotate does and
// sends SIGHUP: ossfuse must create the file again (0600) and log there.
func TestSIGHUPReopensLogFile(t *testing.T) {
	emu := harness.StartEmulator(t)
	logFile := filepath.Join(newDir(t, "logs"), "ossfuse.log")
	m := harness.Mount(t, emu, harness.WithOptions("log_file="+logFile))
	contains := func(path, s string) func() bool {
		return func() bool {
			b, _ := os.ReadFile(path)
			return strings.Contains(string(b), s)
		}
	}
	if !waitFor(commandTimeout, contains(logFile, "msg=mounted")) {
		t.Fatalf("%s does not say mounted within %v", logFile, commandTimeout)
	}
	rotated := logFile + ".1"
	if err := os.Rename(logFile, rotated); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(m.Pid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if !waitFor(commandTimeout, contains(logFile, "log file reopened")) {
		t.Fatalf("no new %s saying it was reopened within %v", logFile, commandTimeout)
	}
	if st, err := os.Stat(logFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("reopened log file: mode %v (%v), want 0600", st.Mode(), err)
	}
	if err := m.Unmount(); err != nil {
		t.Fatal(err)
	}
	if !contains(logFile, "msg=unmounted")() || contains(rotated, "msg=unmounted")() {
		t.Errorf("after SIGHUP the log must go to the new %s only", logFile)
	}
}
