// Package readonly drives a mounted ossfuse with real Unix tools over a
// bucket seeded (through ossio, before mounting) with everything a reader
// meets in the wild: implicit and explicit directories, ossfs 1.x
// metadata, both symlink forms, keys that cannot be paths, a file hidden by
// a directory of the same name, a directory of 2500 entries, unicode
// names, an empty object and a 512 MiB object.
//
// One emulator, seeded once, serves the whole package; each test mounts it
// afresh, so caches start empty. Tests that change objects do it under
// their own keys in fresh/.
package readonly

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ossfuse/ossfuse/integration/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

// seedTimeout bounds the seeding of the whole tree, big object included.
const seedTimeout = 3 * time.Minute

// fixture is the package's seeded emulator.
type fixture struct {
	emu *harness.Emulator
	// bigSum is the SHA-256 of the big object, computed while seeding it.
	bigSum [32]byte
}

var shared struct {
	once sync.Once
	f    *fixture
	err  error
}

// setup returns the shared, seeded emulator, seeding it on first use. It
// skips the test when FUSE is unavailable, before paying for the seeding.
func setup(t *testing.T) *fixture {
	t.Helper()
	harness.RequireFUSE(t)
	shared.once.Do(func() {
		start := time.Now()
		shared.f, shared.err = newFixture()
		t.Logf("seeded the emulator in %v", time.Since(start).Round(time.Millisecond))
	})
	if shared.err != nil {
		t.Fatalf("fixture: %v", shared.err)
	}
	return shared.f
}

func newFixture() (*fixture, error) {
	bins, err := harness.BuildBinaries()
	if err != nil {
		return nil, err
	}
	emu, err := harness.NewEmulator(bins, harness.WithBucket("readonly"))
	if err != nil {
		return nil, err
	}
	harness.AtExit(func() { _ = emu.Close() })
	c, err := emu.NewClient()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), seedTimeout)
	defer cancel()
	if err := seedTree(ctx, c); err != nil {
		return nil, fmt.Errorf("seed tree: %w", err)
	}
	sum, err := seedBig(ctx, c)
	if err != nil {
		return nil, fmt.Errorf("seed %s: %w", bigKey, err)
	}
	return &fixture{emu: emu, bigSum: sum}, nil
}

// mount mounts the shared emulator for one test.
func (f *fixture) mount(t *testing.T, opts ...harness.MountOption) *harness.Mounted {
	t.Helper()
	return harness.Mount(t, f.emu, opts...)
}
