package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ossfuse/ossfuse/integration/harness"
)

// Bounds of a mount's life: how long ossfuse may take to appear in
// mountinfo, to exit after umount, and how long one umount may take.
const (
	mountTimeout   = 20 * time.Second
	exitTimeout    = 10 * time.Second
	umountTimeout  = 10 * time.Second
	mountPollEvery = 10 * time.Millisecond
)

// mounter starts ossfuse mounts of one emulator under root/mnt and keeps
// track of the live ones, so that unmountAll can sweep them on any exit.
// The harness's Mount needs a testing.TB, hence this small equivalent.
type mounter struct {
	ossfuse  string // the binary
	root     string // holds mnt/ and logs/
	endpoint string
	bucket   string
	options  []string // added to every mount, before the workload's own

	mu   sync.Mutex
	seq  int                 // GUARDED_BY(mu)
	live map[*mount]struct{} // GUARDED_BY(mu)
}

// mount is one ossfuse process serving one mount point.
type mount struct {
	dir     string
	logPath string
	cmd     *exec.Cmd
	done    chan struct{} // closed once cmd has been waited for
	owner   *mounter
}

// pid is the process ID of the ossfuse serving the mount.
func (m *mount) pid() int { return m.cmd.Process.Pid }

// mount runs `ossfuse BUCKET DIR -f -o endpoint=URL[,options]` on a fresh
// mount point and returns once the kernel shows the mount.
func (mr *mounter) mount(ctx context.Context, options ...string) (*mount, error) {
	mr.mu.Lock()
	mr.seq++
	name := fmt.Sprintf("m%03d", mr.seq)
	mr.mu.Unlock()
	m := &mount{dir: filepath.Join(mr.root, "mnt", name), logPath: filepath.Join(mr.root, "logs", name+".log"), owner: mr, done: make(chan struct{})}
	for _, d := range []string{m.dir, filepath.Dir(m.logPath)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	logFile, err := os.Create(m.logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child has its own descriptor
	opts := append(append([]string{"endpoint=" + mr.endpoint}, mr.options...), options...)
	m.cmd = exec.Command(mr.ossfuse, mr.bucket, m.dir, "-f", "-o", strings.Join(opts, ","))
	m.cmd.Stdout, m.cmd.Stderr = logFile, logFile
	m.cmd.Dir = "/"
	m.cmd.Env = envWithoutOSS()
	// Own process group: a Ctrl-C in the terminal reaches only the bench,
	// which then unmounts in order. Pdeathsig: ossfuse dies with the bench.
	m.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := m.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start ossfuse: %w", err)
	}
	go func() { _ = m.cmd.Wait(); close(m.done) }()
	mr.mu.Lock()
	if mr.live == nil {
		mr.live = map[*mount]struct{}{}
	}
	mr.live[m] = struct{}{}
	mr.mu.Unlock()
	if err := m.waitMounted(ctx); err != nil {
		_ = m.unmount()
		return nil, fmt.Errorf("%v (log %s)", err, m.logPath)
	}
	return m, nil
}

// waitMounted polls mountinfo until the mount shows, ossfuse exits, ctx
// ends or mountTimeout passes.
func (m *mount) waitMounted(ctx context.Context) error {
	deadline := time.Now().Add(mountTimeout)
	for {
		ok, err := harness.IsMounted(m.dir)
		switch {
		case err != nil:
			return err
		case ok:
			return nil
		case time.Now().After(deadline):
			return fmt.Errorf("ossfuse did not mount %s within %v", m.dir, mountTimeout)
		}
		select {
		case <-m.done:
			return fmt.Errorf("ossfuse exited before mounting %s: %v", m.dir, m.cmd.ProcessState)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(mountPollEvery):
		}
	}
}

// unmount runs `umount DIR` and waits for ossfuse to exit; a mount that
// stays is detached lazily and a process that stays is killed, so both are
// gone when it returns, whatever the error says. Calling it twice is fine.
func (m *mount) unmount() error {
	m.owner.mu.Lock()
	_, live := m.owner.live[m]
	delete(m.owner.live, m)
	m.owner.mu.Unlock()
	if !live {
		return nil
	}
	var errs []error
	if out, err := runBounded(umountTimeout, "umount", m.dir); err != nil {
		if mounted, _ := harness.IsMounted(m.dir); mounted {
			errs = append(errs, fmt.Errorf("umount %s: %v: %s", m.dir, err, out))
		}
	}
	detachIfMounted(m.dir)
	select {
	case <-m.done:
	case <-time.After(exitTimeout):
		errs = append(errs, fmt.Errorf("ossfuse (pid %d) still running %v after umount; killed", m.pid(), exitTimeout))
		_ = m.cmd.Process.Kill()
		<-m.done // SIGKILL cannot be ignored; Wait returns
		detachIfMounted(m.dir)
	}
	if mounted, _ := harness.IsMounted(m.dir); !mounted {
		_ = os.Remove(m.dir) // rmdir: never recurses into a mount
	}
	return errors.Join(errs...)
}

// unmountAll unmounts every mount still live: the safety net of any exit.
func (mr *mounter) unmountAll() error {
	mr.mu.Lock()
	var left []*mount
	for m := range mr.live {
		left = append(left, m)
	}
	mr.mu.Unlock()
	var errs []error
	for _, m := range left {
		errs = append(errs, m.unmount())
	}
	return errors.Join(errs...)
}

// detachIfMounted lazily unmounts dir (fusermount3 -u -z, then umount -l):
// the mount leaves the namespace even when busy or when its server died.
func detachIfMounted(dir string) {
	if ok, _ := harness.IsMounted(dir); !ok {
		return
	}
	_, _ = runBounded(umountTimeout, "fusermount3", "-u", "-z", dir)
	if ok, _ := harness.IsMounted(dir); ok {
		_, _ = runBounded(umountTimeout, "umount", "-l", dir)
	}
}

// runBounded runs a command with a timeout and returns its combined output.
func runBounded(timeout time.Duration, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = 2 * time.Second
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// envWithoutOSS is our environment without OSS_* variables, so that no
// real credentials reach a mount of the emulator.
func envWithoutOSS() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OSS_") {
			env = append(env, kv)
		}
	}
	return env
}
