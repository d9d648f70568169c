// Package readwrite drives the write side of a mounted ossfuse with real
// Unix tools and with go-fuse's posixtest suite, and checks every result
// twice: through the mount, and in the bucket itself through ossio
// (content, size, x-oss-meta-mode/uid/gid/mtime, markers, symlinks in
// ossfs format). Where what an operation costs is the point (one PutObject
// for a small file, one CopyObject for a chmod), the emulator's request
// counters are asserted too.
//
// One emulator serves the package; each test mounts its own prefix of the
// bucket (BUCKET:/NNN-TestName), so tests never see each other's objects,
// and caches start empty. Tests run one at a time and each unmounts before
// the next starts, so the emulator's request counters, reset by a test
// right before what it measures, count that test's requests only. Remount
// shows that what was written survives a fresh mount.
//
// The tests run with umask 022 (set by TestMain) and as root, so files are
// created 0644, directories 0755, owned by 0:0.
package readwrite

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ossfuse/ossfuse/integration/harness"
	"github.com/ossfuse/ossfuse/ossio"
)

func TestMain(m *testing.M) {
	syscall.Umask(0o022) // modes asserted below assume it; children inherit it
	harness.Main(m)
}

// opTimeout bounds one direct system call or helper on the mount made by
// the test process itself (rather than by a tool run through harness.Exec).
const opTimeout = 90 * time.Second

// env is one test's mount of its own prefix of the shared emulator's
// bucket, and an ossio client of the bucket. The helpers of env take keys
// relative to the mount's root.
type env struct {
	t      *testing.T
	emu    *harness.Emulator
	m      *harness.Mounted
	c      ossio.Client
	prefix string // "NNN-TestName/": the mount's root in the bucket
	// uid and gid are the test's, which own what it creates.
	uid, gid uint32
}

var shared struct {
	once sync.Once
	emu  *harness.Emulator
	err  error
	mu   sync.Mutex
	seq  int // GUARDED_BY(mu)
}

// sharedEmulator starts the package's emulator on first use.
func sharedEmulator(t *testing.T) *harness.Emulator {
	t.Helper()
	shared.once.Do(func() {
		bins, err := harness.BuildBinaries()
		if err != nil {
			shared.err = err
			return
		}
		shared.emu, shared.err = harness.NewEmulator(bins, harness.WithBucket("readwrite"))
		if shared.err == nil {
			emu := shared.emu
			harness.AtExit(func() { _ = emu.Close() })
		}
	})
	if shared.err != nil {
		t.Fatalf("emulator: %v", shared.err)
	}
	return shared.emu
}

// newEnv mounts a fresh prefix of the shared emulator's bucket. It skips
// the test when FUSE is unavailable, before starting anything.
func newEnv(t *testing.T, opts ...harness.MountOption) *env {
	t.Helper()
	harness.RequireFUSE(t)
	emu := sharedEmulator(t)
	shared.mu.Lock()
	shared.seq++
	prefix := fmt.Sprintf("%03d-%s", shared.seq, strings.ReplaceAll(t.Name(), "/", "_"))
	shared.mu.Unlock()
	e := &env{t: t, emu: emu, c: emu.Client(t), prefix: prefix + "/", uid: uint32(os.Getuid()), gid: uint32(os.Getgid())}
	e.m = harness.Mount(t, emu, append([]harness.MountOption{harness.WithPrefix(prefix)}, opts...)...)
	return e
}

// key returns the bucket key of rel, a path relative to the mount's root
// ("" for the root; a trailing "/" for a directory marker).
func (e *env) key(rel string) string { return e.prefix + rel }

// path joins rel to the mount point.
func (e *env) path(rel ...string) string { return e.m.Path(rel...) }

// ctx returns a context bounded by opTimeout for one ossio call.
func (e *env) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	e.t.Cleanup(cancel)
	return ctx
}

// remount unmounts cleanly (an unclean exit fails the test) and mounts
// again with empty caches.
func (e *env) remount() {
	e.t.Helper()
	e.m.Remount(e.t)
}
