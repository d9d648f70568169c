// Package harness runs ossfuse end to end for the integration tests: it
// builds cmd/ossemu and cmd/ossfuse once per test binary, starts the
// emulator as a subprocess, mounts ossfuse over it as another subprocess,
// and runs real Unix tools in the mount with a timeout.
//
// A test package using it must call Main from its TestMain:
//
//	func TestMain(m *testing.M) { harness.Main(m) }
//
// Main owns a temporary root directory holding the binaries, the mount
// points and the logs. Whatever a test leaves behind (a mount, a process)
// is unmounted and stopped when the tests end, and the children die with
// the test binary (Pdeathsig), so an interrupted run leaves no process.
// A mount left by a run that was killed outright is swept lazily by the next
// run of any package using the harness.
//
// Nothing here sleeps and hopes: every wait polls an observable condition
// and is bounded.
package harness

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// rootPattern names the temporary roots Main creates, in os.TempDir.
const rootPattern = "ossfuse-it-"

var state struct {
	mu     sync.Mutex
	root   string   // GUARDED_BY(mu); "" until Main runs
	atExit []func() // GUARDED_BY(mu)
	seq    int      // GUARDED_BY(mu); numbers mount points and logs
}

// Main runs the tests of m inside a fresh temporary root and exits with
// their status. After the tests, and on SIGINT or SIGTERM, it unmounts
// every mount left under the root, runs the AtExit functions, kills the
// processes the harness started that are still running, and removes the
// root (unless something is still mounted in it).
func Main(m *testing.M) {
	sweepStale()
	root, err := newRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "harness:", err)
		os.Exit(1)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		s := <-sigs
		fmt.Fprintf(os.Stderr, "harness: %v: cleaning up %s\n", s, root)
		cleanupRoot(root)
		os.Exit(130)
	}()
	code := m.Run()
	signal.Stop(sigs)
	cleanupRoot(root)
	os.Exit(code)
}

// newRoot creates the run's root, records the test binary's pid in it (so a
// later run can tell a stale root from a live one) and publishes it.
func newRoot() (string, error) {
	dir, err := os.MkdirTemp("", rootPattern)
	if err != nil {
		return "", err
	}
	// mountinfo shows resolved paths; so must every path we compare with it.
	if dir, err = filepath.EvalSymlinks(dir); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "pid"), []byte(strconv.Itoa(os.Getpid())), 0o644); err != nil {
		return "", err
	}
	state.mu.Lock()
	state.root = dir
	state.mu.Unlock()
	return dir, nil
}

// Root returns the run's temporary root directory, or an error when the
// package's TestMain did not call Main.
func Root() (string, error) {
	state.mu.Lock()
	defer state.mu.Unlock()
	if state.root == "" {
		return "", errors.New("harness: the package's TestMain must call harness.Main(m)")
	}
	return state.root, nil
}

// AtExit registers fn to run once the tests are over (before the root is
// removed), in reverse order of registration. Fixtures shared by the tests
// of a package (an emulator seeded once) stop themselves with it.
func AtExit(fn func()) {
	state.mu.Lock()
	defer state.mu.Unlock()
	state.atExit = append(state.atExit, fn)
}

// newPath returns a fresh path root/kind/<name>-<n>, creating root/kind.
// name is made filesystem-safe (test names hold slashes).
func newPath(kind, name string) (string, error) {
	root, err := Root()
	if err != nil {
		return "", err
	}
	state.mu.Lock()
	state.seq++
	n := state.seq
	state.mu.Unlock()
	dir := filepath.Join(root, kind)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	safe := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, name)
	if len(safe) > 100 {
		safe = safe[:100]
	}
	return filepath.Join(dir, fmt.Sprintf("%s-%d", safe, n)), nil
}

// cleanupRoot releases everything under root: mounts first (a live ossfuse
// exits on its own after umount), then the fixtures, then any process still
// running, then mounts again (a killed ossfuse leaves a dead mount), and
// finally the directory, but only when nothing is mounted in it: RemoveAll
// through a live mount would delete objects in the bucket.
func cleanupRoot(root string) {
	unmountAllUnder(root)
	state.mu.Lock()
	fns := state.atExit
	state.atExit = nil
	state.mu.Unlock()
	for i := len(fns) - 1; i >= 0; i-- {
		fns[i]()
	}
	killAll()
	unmountAllUnder(root)
	if left, err := mountsUnder(root); err != nil || len(left) > 0 {
		fmt.Fprintf(os.Stderr, "harness: leaving %s in place: still mounted %v (%v)\n", root, left, err)
		return
	}
	if err := os.RemoveAll(root); err != nil {
		fmt.Fprintln(os.Stderr, "harness:", err)
	}
}

// sweepStale unmounts and removes the roots of earlier runs whose test
// binary is gone (killed by a timeout, say). Roots of live runs, possibly
// of other packages running in parallel, are left alone.
func sweepStale() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), rootPattern+"*"))
	for _, dir := range dirs {
		b, err := os.ReadFile(filepath.Join(dir, "pid"))
		if err != nil {
			continue // not ours, or being created
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || pid <= 0 || processAlive(pid) {
			continue
		}
		if real, err := filepath.EvalSymlinks(dir); err == nil {
			dir = real
		}
		unmountAllUnder(dir)
		if left, err := mountsUnder(dir); err == nil && len(left) == 0 {
			_ = os.RemoveAll(dir)
		}
	}
}

// processAlive reports whether pid names a running process.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
