package faults

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ossfuse/ossfuse/integration/harness"
)

// smallTmpfs mounts a tmpfs of size under the harness's root and
// unmounts it when the test ends (after the ossfuse mount using it, whose
// cleanup was registered later); the harness unmounts it too if the test
// binary dies first.
func smallTmpfs(t *testing.T, size string) string {
	t.Helper()
	root, err := harness.Root()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp(root, "tmpfs-")
	if err != nil {
		t.Fatal(err)
	}
	harness.Run(t, "/", "mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "ossfuse-drill", dir)
	t.Cleanup(func() {
		if r := harness.Exec(t, "/", "umount", dir); r.ExitCode != 0 {
			t.Logf("umount %s: %s; detaching lazily", dir, r.Stderr)
			harness.Exec(t, "/", "umount", "-l", dir)
		}
		if ok, _ := harness.IsMounted(dir); !ok {
			_ = os.Remove(dir)
		}
	})
	return dir
}

// TestFullCacheDir gives the mount a 20 MiB tmpfs as cache_dir and writes
// 50 MiB into it: dd over an existing object, and a program writing a new
// file. Writes fail with ENOSPC ("No space left on device"), close does
// not return 0 as if the file were saved, and the bucket never holds a
// truncated file: the old object, or nothing.
func TestFullCacheDir(t *testing.T) {
	cache := smallTmpfs(t, "20m")
	old := []byte("the old content of full.bin\n")
	d := newDrill(t, setup{cacheDir: cache, beforeMount: func(d *drill) { d.put("full.bin", old) }})
	src := filepath.Join(t.TempDir(), "src")
	const size = 50 << 20
	p := harness.Pattern{Seed: 7}
	if _, err := writePattern(src, p, size); err != nil {
		t.Fatal(err)
	}

	dd := startTool(t, toolTimeout, nil, d.m.Dir, "dd", "if="+src, "of=full.bin", "bs=1M")
	code := dd.wait(t)
	errs := toolErrors(t, "dd", dd.stderr.String())
	t.Logf("dd of 50 MiB with a 20 MiB cache_dir: exit %d after %v", code, dd.elapsed().Round(time.Millisecond))
	if code == 0 {
		t.Errorf("dd of 50 MiB into a mount with a 20 MiB cache_dir exited 0")
	}
	if !anyErrno(errs, "ENOSPC") {
		t.Errorf("dd did not report ENOSPC (No space left on device); it said: %s", dd.stderr.String())
	}
	d.wantOldOrAbsent("after dd", "full.bin", old)
	// The spoiled stage of full.bin goes when dd's descriptor is released,
	// a moment after its close returned: then cache_dir has room again.
	if !waitFor(time.Minute, 20*time.Millisecond, func() bool { return usedBytes(t, cache) < 1<<20 }) {
		t.Fatalf("cache_dir still holds %d bytes a minute after dd closed full.bin: its spoiled stage was not dropped", usedBytes(t, cache))
	}

	// A program that checks close: a write fails with ENOSPC, and close
	// then must not return 0 for a file whose bytes are not all saved.
	var f *os.File
	if err := bounded(t, opTimeout, "create new.bin", func() (err error) {
		f, err = os.OpenFile(d.m.Path("new.bin"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		return err
	}); err != nil {
		t.Fatalf("create new.bin: %v (%s)", err, errnoOf(err))
	}
	var written int64
	var werr error
	for written < size && werr == nil {
		chunk := p.Bytes(written, 1<<20)
		var n int
		werr = bounded(t, opTimeout, "write new.bin", func() (err error) { n, err = f.Write(chunk); return err })
		written += int64(n)
	}
	cerr := bounded(t, opTimeout, "close new.bin", f.Close)
	t.Logf("new.bin: %d bytes written, then write: %s; close: %s", written, errnoOf(werr), errnoOf(cerr))
	switch {
	case werr == nil:
		t.Errorf("50 MiB written to new.bin through a 20 MiB cache_dir without an error")
	case !errors.Is(werr, syscall.ENOSPC):
		t.Errorf("the write that did not fit in cache_dir failed with %v (%s); want ENOSPC", werr, errnoOf(werr))
	}
	if werr != nil && cerr == nil {
		t.Errorf("close of new.bin returned 0 after a write failed with %s: the file is not saved whole", errnoOf(werr))
	}
	d.wantOldOrAbsent("after new.bin", "new.bin", nil)

	if err := d.m.Unmount(); err != nil {
		t.Logf("unmount: %v", err)
	}
	d.wantCacheDirEmpty("after unmount")
	d.wantOldOrAbsent("after unmount", "full.bin", old)
	d.wantOldOrAbsent("after unmount", "new.bin", nil)
	if r := d.recovered(); len(r) > 0 {
		t.Logf("recovery_dir holds %v", r)
	}
}

// wantOldOrAbsent wants key to hold old (nil: not to exist), never a
// part of what a failed write was writing.
func (d *drill) wantOldOrAbsent(when, key string, old []byte) {
	d.t.Helper()
	o := d.object(key)
	switch {
	case old == nil && !o.exists:
	case old != nil && o.exists && o.size == int64(len(old)) && o.sum == md5Of(old):
	default:
		want := "no object"
		if old != nil {
			want = fmt.Sprintf("the old %d bytes", len(old))
		}
		d.t.Errorf("%s: %s in the bucket is %s; want %s, never a truncated file", when, key, o, want)
	}
}

// usedBytes is the space in use on the file system of dir.
func usedBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Blocks-st.Bfree) * st.Bsize
}
