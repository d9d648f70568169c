package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ossfuse/ossfuse/integration/harness"
	"github.com/ossfuse/ossfuse/ossio"
)

// Bounds of this package's waits.
const (
	// parentTimeout bounds a run of ossfuse without -f: mount_timeout
	// (30s by default) plus the parent's grace, plus slack for -race.
	parentTimeout = 60 * time.Second
	// exitTimeout bounds how long a daemon may take to exit after umount.
	exitTimeout = 15 * time.Second
	// commandTimeout bounds umount and the other small commands.
	commandTimeout = 20 * time.Second
)

var dirSeq struct {
	mu sync.Mutex
	n  int // GUARDED_BY(mu)
}

// newDir creates an empty directory under the harness's root, where the
// harness's cleanup unmounts whatever is left mounted. It is removed at the
// test's end when nothing is mounted on it.
func newDir(t *testing.T, kind string) string {
	t.Helper()
	root, err := harness.Root()
	if err != nil {
		t.Fatal(err)
	}
	dirSeq.mu.Lock()
	dirSeq.n++
	n := dirSeq.n
	dirSeq.mu.Unlock()
	dir := filepath.Join(root, "cli", fmt.Sprintf("%s-%s-%d", strings.ReplaceAll(t.Name(), "/", "_"), kind, n))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if ok, _ := harness.IsMounted(dir); !ok {
			_ = os.RemoveAll(dir) // never through a mount: checked above
		}
	})
	return dir
}

// credentialOptions are the emulator's key pair as -o options.
func credentialOptions(emu *harness.Emulator) string {
	return "access_key_id=" + emu.KeyID + ",access_key_secret=" + emu.Secret
}

// parentResult is the outcome of ossfuse run without -f: the parent's.
type parentResult struct {
	exitCode int
	stderr   string
	elapsed  time.Duration
}

// runParent runs `ossfuse ARGS` as a shell would, without -f, and returns
// once that process has exited (the daemon, if any, lives on).
func runParent(t *testing.T, ossfuse string, args ...string) parentResult {
	t.Helper()
	return startParent(t, ossfuse, args...).wait(t)
}

// parent is a running `ossfuse ARGS` without -f.
type parent struct {
	cmd    *exec.Cmd
	ctx    context.Context
	cancel context.CancelFunc
	stderr *bytes.Buffer
	start  time.Time
}

func startParent(t *testing.T, ossfuse string, args ...string) *parent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), parentTimeout)
	cmd := exec.CommandContext(ctx, ossfuse, args...)
	cmd.Env = harness.EnvWithoutOSS()
	cmd.Dir = "/"
	cmd.WaitDelay = 5 * time.Second
	p := &parent{cmd: cmd, ctx: ctx, cancel: cancel, stderr: &bytes.Buffer{}, start: time.Now()}
	cmd.Stdout, cmd.Stderr = p.stderr, p.stderr
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	return p
}

// wait waits for the parent's exit, bounded by parentTimeout.
func (p *parent) wait(t *testing.T) parentResult {
	t.Helper()
	defer p.cancel()
	err := p.cmd.Wait()
	r := parentResult{stderr: p.stderr.String(), elapsed: time.Since(p.start)}
	var exitErr *exec.ExitError
	switch {
	case p.ctx.Err() != nil:
		t.Fatalf("ossfuse %v: still running after %v", p.cmd.Args, parentTimeout)
	case errors.As(err, &exitErr):
		r.exitCode = exitErr.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return r
}

// proc is what /proc says of one process.
type proc struct {
	pid, ppid, sid int
	state          string
	comm           string
	cmdline        []string
}

// readProc reads /proc/PID; ok is false when the process is gone.
func readProc(pid int) (proc, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return proc{}, false
	}
	// pid (comm) state ppid pgrp session ...; comm may hold spaces.
	s := string(b)
	open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || close < open {
		return proc{}, false
	}
	fields := strings.Fields(s[close+1:])
	if len(fields) < 4 {
		return proc{}, false
	}
	p := proc{pid: pid, comm: s[open+1 : close], state: fields[0]}
	p.ppid, _ = strconv.Atoi(fields[1])
	p.sid, _ = strconv.Atoi(fields[3])
	if cl, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil {
		p.cmdline = strings.Split(strings.TrimRight(string(cl), "\x00"), "\x00")
	}
	return p, true
}

// processes returns every process matching keep.
func processes(keep func(proc) bool) []proc {
	entries, _ := os.ReadDir("/proc")
	var out []proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if p, ok := readProc(pid); ok && keep(p) {
			out = append(out, p)
		}
	}
	return out
}

// ossfuseServing returns the live ossfuse processes whose command line
// names dir (the mount point, unique to a test).
func ossfuseServing(dir string) []proc {
	return processes(func(p proc) bool {
		return p.comm == "ossfuse" && p.state != "Z" && strings.Contains(strings.Join(p.cmdline, " "), dir)
	})
}

// orphanDaemons returns the daemons that were handed to this test binary,
// the subreaper, when their parent exited: session leaders named ossfuse
// (a zombie's command line is gone, so they are not told apart by it).
func orphanDaemons() []proc {
	self := os.Getpid()
	return processes(func(p proc) bool { return p.ppid == self && p.sid == p.pid && p.comm == "ossfuse" })
}

// reap waits up to timeout for pid, a child of this test binary, to exit
// and returns its status.
func reap(pid int, timeout time.Duration) (unix.WaitStatus, error) {
	deadline := time.Now().Add(timeout)
	for {
		var ws unix.WaitStatus
		got, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil)
		switch {
		case err != nil:
			return 0, fmt.Errorf("wait4 %d: %w", pid, err)
		case got == pid:
			return ws, nil
		case time.Now().After(deadline):
			return 0, fmt.Errorf("process %d still running after %v", pid, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// theDaemon returns the one daemon serving dir, failing the test
// otherwise; it registers its stopping at cleanup.
func theDaemon(t *testing.T, dir string) proc {
	t.Helper()
	ds := ossfuseServing(dir)
	if len(ds) != 1 {
		t.Fatalf("want one ossfuse serving %s, found %+v", dir, ds)
	}
	d := ds[0]
	t.Cleanup(func() { stopDaemon(t, dir, d.pid) })
	return d
}

// stopDaemon leaves dir unmounted and the daemon gone and reaped:
// umount, then SIGKILL and a lazy unmount if it is still there.
func stopDaemon(t *testing.T, dir string, pid int) {
	if ok, _ := harness.IsMounted(dir); ok {
		_ = exec.Command("umount", dir).Run()
	}
	if _, alive := readProc(pid); alive {
		if _, err := reap(pid, exitTimeout); err != nil {
			t.Logf("cleanup: %v; killing it", err)
			_ = syscall.Kill(pid, syscall.SIGKILL)
			_, _ = reap(pid, exitTimeout)
		}
	}
	if ok, _ := harness.IsMounted(dir); ok {
		_ = unix.Unmount(dir, unix.MNT_DETACH)
	}
}

// umount runs umount(8) on dir, failing the test when it fails.
func umount(t *testing.T, dir string) {
	t.Helper()
	harness.ExecTimeout(t, commandTimeout, "/", "umount", dir)
	if ok, _ := harness.IsMounted(dir); ok {
		t.Fatalf("%s still mounted after umount", dir)
	}
}

// waitFor polls cond every 10ms until it holds or timeout passes.
func waitFor(timeout time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(timeout); ; time.Sleep(10 * time.Millisecond) {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// seed puts an object in the emulator's bucket.
func seed(t *testing.T, emu *harness.Emulator, key, body string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	_, err := emu.Client(t).PutObject(ctx, ossio.PutRequest{Key: key, Body: strings.NewReader(body), Size: int64(len(body))})
	if err != nil {
		t.Fatalf("PutObject %s: %v", key, err)
	}
}

// object returns the content of key in the emulator's bucket, and false
// when there is no such object.
func object(t *testing.T, emu *harness.Emulator, key string) (string, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
	defer cancel()
	r, err := emu.Client(t).GetObject(ctx, ossio.GetRequest{Key: key, Length: -1})
	if errors.Is(err, ossio.ErrNotFound) {
		return "", false
	}
	if err != nil {
		t.Fatalf("GetObject %s: %v", key, err)
	}
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatalf("GetObject %s: reading the body: %v", key, err)
	}
	return string(b), true
}

// killAndReap kills pid, a child of this test binary, and reaps it.
func killAndReap(pid int) error {
	_ = syscall.Kill(pid, syscall.SIGKILL)
	_, err := reap(pid, exitTimeout)
	return err
}
