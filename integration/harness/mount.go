package harness

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Bounds of a mount's life. MountTimeout is how long ossfuse may take to
// appear in /proc/self/mountinfo; ExitTimeout how long it may take to exit
// after umount.
var (
	MountTimeout = 20 * time.Second
	ExitTimeout  = 10 * time.Second
)

// logTailBytes is how much of a mount's log a failing test prints.
const logTailBytes = 64 << 10

// Mounted is ossfuse running as a subprocess (in the foreground, -f) with
// its stderr in a per-mount log file. The function Mount creates it.
type Mounted struct {
	// Dir is the mount point (an absolute path without symlinks).
	Dir string
	// Source is ossfuse's first argument: BUCKET or BUCKET:/PREFIX.
	Source string
	// LogPath is the file ossfuse's stdout and stderr go to, across remounts.
	LogPath string

	emu  *Emulator
	bins Binaries
	cfg  mountConfig
	proc *process // nil while unmounted
}

type mountConfig struct {
	plain   bool
	prefix  string
	options []string
	args    []string
	env     []string
}

// MountOption adjusts how Mount runs ossfuse.
type MountOption func(*mountConfig)

// WithPlainBuild runs an ossfuse built without the race detector (see
// PlainOssfuse).
func WithPlainBuild() MountOption { return func(c *mountConfig) { c.plain = true } }

// WithPrefix mounts BUCKET:/PREFIX instead of the whole bucket.
func WithPrefix(prefix string) MountOption {
	return func(c *mountConfig) { c.prefix = strings.Trim(prefix, "/") }
}

// WithOptions adds -o options after endpoint and region, e.g.
// WithOptions("attr_from_list", "attr_ttl=1s").
func WithOptions(opts ...string) MountOption {
	return func(c *mountConfig) { c.options = append(c.options, opts...) }
}

// WithArgs adds command-line arguments after the -o options.
func WithArgs(args ...string) MountOption {
	return func(c *mountConfig) { c.args = append(c.args, args...) }
}

// WithEnv adds KEY=VALUE entries to ossfuse's environment.
func WithEnv(kv ...string) MountOption {
	return func(c *mountConfig) { c.env = append(c.env, kv...) }
}

// Mount runs `ossfuse BUCKET[:/PREFIX] DIR -f -o endpoint=...,region=...,OPTS`
// against emu on a fresh mount point and returns once DIR is mounted. The
// test is skipped when it cannot mount (RequireFUSE). Whatever the outcome
// of the test, even a panic, the mount is unmounted and ossfuse stopped at
// cleanup: umount, then a lazy unmount if still mounted, then SIGKILL if
// ossfuse has not exited within ExitTimeout. A failed test prints the tail
// of the log. OSSFUSE_DEBUG=1 in the test's environment adds -o debug.
func Mount(t testing.TB, emu *Emulator, opts ...MountOption) *Mounted {
	t.Helper()
	RequireFUSE(t)
	m := &Mounted{emu: emu, bins: Build(t), Source: emu.Bucket}
	for _, o := range opts {
		o(&m.cfg)
	}
	if m.cfg.plain {
		m.bins.Ossfuse = PlainOssfuse(t)
	}
	if m.cfg.prefix != "" {
		m.Source += ":/" + m.cfg.prefix
	}
	if os.Getenv("OSSFUSE_DEBUG") == "1" {
		m.cfg.options = append(m.cfg.options, "debug")
	}
	dir, err := newPath("mnt", t.Name())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	m.Dir = dir
	logs := filepath.Join(filepath.Dir(filepath.Dir(dir)), "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	m.LogPath = filepath.Join(logs, filepath.Base(dir)+".log")
	t.Cleanup(func() { m.cleanup(t) })
	if err := m.start(); err != nil {
		t.Fatalf("%v\nossfuse log:\n%s", err, m.logTail())
	}
	return m
}

// Path joins rel to the mount point.
func (m *Mounted) Path(rel ...string) string {
	return filepath.Join(append([]string{m.Dir}, rel...)...)
}

// Pid returns the process ID of the running ossfuse, or 0 when unmounted.
func (m *Mounted) Pid() int {
	if m.proc == nil {
		return 0
	}
	return m.proc.Pid()
}

// Log returns everything ossfuse has logged so far, across remounts.
func (m *Mounted) Log() string {
	b, _ := os.ReadFile(m.LogPath)
	return string(b)
}

func (m *Mounted) logTail() string {
	s := m.Log()
	if len(s) > logTailBytes {
		s = "[...]\n" + s[len(s)-logTailBytes:]
	}
	return s
}

// start runs ossfuse and waits until Dir is mounted, failing fast when
// ossfuse exits first.
func (m *Mounted) start() error {
	f, err := os.OpenFile(m.LogPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer f.Close() // the child has its own descriptor
	opts := append([]string{"endpoint=" + m.emu.Endpoint, "region=" + m.emu.Region}, m.cfg.options...)
	if !slices.ContainsFunc(opts, func(o string) bool { return strings.HasPrefix(o, "recovery_dir=") }) {
		// What a test leaves unuploaded stays in the run's root, never in
		// the machine's default recovery directory.
		opts = append(opts, "recovery_dir="+filepath.Join(filepath.Dir(filepath.Dir(m.Dir)), "recovered"))
	}
	if !slices.ContainsFunc(opts, func(o string) bool { return strings.HasPrefix(o, "cache_dir=") }) {
		// Nor in the machine's cache directory, where another test's mount
		// of a bucket of the same name would find what a killed one left.
		// One per mount point: a remount finds its predecessor's stages.
		opts = append(opts, "cache_dir="+filepath.Join(filepath.Dir(filepath.Dir(m.Dir)), "cache", filepath.Base(m.Dir)))
	}
	args := append([]string{m.Source, m.Dir, "-f", "-o", strings.Join(opts, ",")}, m.cfg.args...)
	fmt.Fprintf(f, "=== harness %s: ossfuse %s\n", time.Now().Format(time.RFC3339Nano), strings.Join(args, " "))
	cmd := exec.Command(m.bins.Ossfuse, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Dir = "/"
	cmd.Env = append(append(EnvWithoutOSS(), m.emu.Env()...), m.cfg.env...)
	p, err := startProcess("ossfuse", cmd)
	if err != nil {
		return err
	}
	m.proc = p
	deadline := time.Now().Add(MountTimeout)
	for {
		ok, err := IsMounted(m.Dir)
		switch {
		case err != nil:
			return err
		case ok:
			return nil
		case time.Now().After(deadline):
			return fmt.Errorf("ossfuse did not mount %s within %v", m.Dir, MountTimeout)
		}
		select {
		case <-p.done:
			return fmt.Errorf("ossfuse exited before mounting %s: %v", m.Dir, p.err)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Unmount runs `umount DIR` and waits up to ExitTimeout for ossfuse to exit
// on its own. It returns nil only when umount succeeded and ossfuse exited
// with status 0; otherwise an error saying what went wrong. Either way the
// mount and the process are gone when it returns (lazy unmount, SIGKILL).
// Unmounting an unmounted Mounted does nothing.
func (m *Mounted) Unmount() error {
	p := m.proc
	if p == nil {
		return nil
	}
	m.proc = nil
	var errs []error
	if out, err := runQuiet(umountTimeout, "umount", m.Dir); err != nil {
		errs = append(errs, fmt.Errorf("umount %s: %v: %s", m.Dir, err, out))
	}
	if ok, _ := IsMounted(m.Dir); ok {
		errs = append(errs, fmt.Errorf("%s still mounted after umount; detached lazily", m.Dir))
		detach(m.Dir)
	}
	exited, err := p.wait(ExitTimeout)
	switch {
	case !exited:
		errs = append(errs, fmt.Errorf("ossfuse (pid %d) still running %v after unmount; killed", p.Pid(), ExitTimeout))
		p.signal(syscall.SIGKILL)
		if ok, _ := p.wait(ExitTimeout); !ok {
			errs = append(errs, fmt.Errorf("ossfuse (pid %d) survived SIGKILL for %v", p.Pid(), ExitTimeout))
		}
		detach(m.Dir) // a killed server leaves a dead mount behind
	case err != nil:
		errs = append(errs, fmt.Errorf("ossfuse exited with %v after unmount", err))
	}
	return errors.Join(errs...)
}

// WaitExit waits up to timeout for ossfuse to exit by itself (after a
// signal the test sent, say) and returns nil when it exited with status 0.
// Once it has exited the Mounted counts as unmounted; a mount it left
// behind stays for the test to see, and is detached at cleanup. When it
// is still running after timeout, cleanup stops it as usual.
func (m *Mounted) WaitExit(timeout time.Duration) error {
	p := m.proc
	if p == nil {
		return errors.New("ossfuse is not running")
	}
	exited, err := p.wait(timeout)
	if !exited {
		return fmt.Errorf("ossfuse (pid %d) still running after %v", p.Pid(), timeout)
	}
	m.proc = nil
	if err != nil {
		return fmt.Errorf("ossfuse exited with %v", err)
	}
	return nil
}

// Remount unmounts (an unclean exit fails the test) and mounts again on the
// same directory with the same options; caches start empty.
func (m *Mounted) Remount(t testing.TB) {
	t.Helper()
	if err := m.Unmount(); err != nil {
		t.Errorf("remount %s: %v", m.Dir, err)
	}
	if err := m.start(); err != nil {
		t.Fatalf("remount %s: %v\nossfuse log:\n%s", m.Dir, err, m.logTail())
	}
}

// cleanup always leaves the mount point unmounted, ossfuse gone and the
// (empty) mount point removed. A problem is logged, not failed: the
// dedicated test asserts a clean exit.
func (m *Mounted) cleanup(t testing.TB) {
	if err := m.Unmount(); err != nil {
		t.Logf("cleanup of %s: %v", m.Dir, err)
	}
	if t.Failed() {
		t.Logf("ossfuse log (%s):\n%s", m.LogPath, m.logTail())
	}
	if ok, _ := IsMounted(m.Dir); ok {
		detach(m.Dir) // left by an ossfuse that exited (WaitExit)
	}
	if ok, _ := IsMounted(m.Dir); !ok {
		_ = os.Remove(m.Dir) // rmdir: never recurses into a mount
	}
}

// EnvWithoutOSS is the test's environment without OSS_* variables, so a
// developer's own credentials never reach a mount of the emulator.
func EnvWithoutOSS() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "OSS_") {
			env = append(env, kv)
		}
	}
	return env
}
