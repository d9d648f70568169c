package readwrite

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ossfuse/ossfuse/integration/harness"
	"github.com/ossfuse/ossfuse/ossio"
)

// TestCreateSmallFile checks create, write, close of small files: the data
// and the metadata are in the bucket when close() returns, at the cost of
// one PutObject and no multipart upload; the mount shows the same.
func TestCreateSmallFile(t *testing.T) {
	e := newEnv(t)
	data := []byte("hello, ossfuse\n")
	start := time.Now()
	s := e.measure(func() {
		must(t, "write small.txt", func() error { return os.WriteFile(e.path("small.txt"), data, 0o644) })
	})
	wantWrites(t, "create+write+close of a 15-byte file", s, map[string]int64{"PutObject": 1})
	info := e.checkObject("small.txt", data, e.file(0o644, start))
	if info.Type != ossio.TypeNormal {
		t.Errorf("small.txt: object type %q, want %q", info.Type, ossio.TypeNormal)
	}

	// The mode asked for at creation, less the umask, is stored.
	start = time.Now()
	must(t, "create private", func() error { return os.WriteFile(e.path("private"), []byte("p"), 0o640) })
	e.checkObject("private", []byte("p"), e.file(0o640, start))

	// An empty file is an empty object, made by one PutObject too, when
	// its last descriptor is released (a moment after close returns: a
	// close that may not be the last uploads no empty file).
	start = time.Now()
	s = e.measure(func() {
		must(t, "create empty", func() error {
			f, err := os.OpenFile(e.path("empty"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
			if err != nil {
				return err
			}
			return f.Close()
		})
		waitFor(t, "empty in the bucket", time.Minute, func() bool { return e.exists("empty") })
	})
	wantWrites(t, "create+close of an empty file", s, map[string]int64{"PutObject": 1})
	e.checkObject("empty", nil, e.file(0o644, start))

	// Shell redirections and touch close a dup of the descriptor before
	// they write (the kernel sends a FLUSH then), so their cost is not
	// asserted here; their result is.
	start = time.Now()
	run(t, e.m.Dir, "touch touched && printf 'redirected\\n' > redirected")
	e.checkObject("touched", nil, e.file(0o644, start))
	e.checkObject("redirected", []byte("redirected\n"), e.file(0o644, start))

	// The mount reports what the bucket holds: size, mode, owner, and the
	// stored mtime (whole seconds).
	got := statLine(t, e.m.Dir, "%s %a %u %g %Y", "small.txt")
	want := strings.Join([]string{"15", "644", itoa(e.uid), itoa(e.gid), itoa(mtimeOf(t, e.head("small.txt")))}, " ")
	if got != want {
		t.Errorf("stat small.txt = %q, want %q (from the bucket)", got, want)
	}
	if got := run(t, e.m.Dir, "cat small.txt"); got != string(data) {
		t.Errorf("cat small.txt = %q, want %q", got, data)
	}
}

// TestReadsAndCleanClosesWriteNothing checks that opening a file without
// writing, reading it, stat and ls cost no mutating request.
func TestReadsAndCleanClosesWriteNothing(t *testing.T) {
	e := newEnv(t)
	must(t, "write f", func() error { return os.WriteFile(e.path("f"), []byte("content\n"), 0o644) })
	s := e.measure(func() {
		run(t, e.m.Dir, "cat f >/dev/null && ls -l >/dev/null && stat f >/dev/null")
		must(t, "open O_RDWR and close", func() error {
			f, err := os.OpenFile(e.path("f"), os.O_RDWR, 0)
			if err != nil {
				return err
			}
			return f.Close()
		})
	})
	wantWrites(t, "reads and a clean O_RDWR open/close", s, nil)
}

// TestFsyncUploads checks that fsync uploads what was written so far, while
// the file stays open, and that a close with nothing new to upload costs
// nothing more.
func TestFsyncUploads(t *testing.T) {
	e := newEnv(t)
	var f *os.File
	must(t, "create f", func() (err error) { f, err = os.Create(e.path("f")); return err })
	defer f.Close()
	for i, part := range []string{"one\n", "two\n"} {
		s := e.measure(func() {
			must(t, "write", func() error { _, err := f.WriteString(part); return err })
			must(t, "fsync", f.Sync)
		})
		wantWrites(t, "write+fsync #"+itoa(int64(i+1)), s, map[string]int64{"PutObject": 1})
		want := []string{"one\n", "one\ntwo\n"}[i]
		if got := e.body("f"); string(got) != want {
			t.Errorf("after fsync #%d the bucket holds %q, want %q", i+1, got, want)
		}
	}
	s := e.measure(func() { must(t, "close", f.Close) })
	wantWrites(t, "close after fsync with nothing new written", s, nil)
}

// TestCreateMultipart copies a 20 MiB file in with cp (which writes
// through the descriptor it opened, never a dup): it goes up as one
// multipart upload (no PutObject) and arrives whole, with its metadata.
func TestCreateMultipart(t *testing.T) {
	e := newEnv(t)
	const size = 20 << 20
	p := harness.Pattern{Seed: 20}
	local := filepath.Join(t.TempDir(), "src.bin")
	if err := p.WriteFile(local, size); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	s := e.measure(func() { harness.Run(t, e.m.Dir, "cp", local, "big.bin") })
	if s.Requests["PutObject"] != 0 || s.Requests["InitiateMultipartUpload"] != 1 ||
		s.Requests["CompleteMultipartUpload"] != 1 || s.Requests["UploadPart"] < 2 || s.Requests["AbortMultipartUpload"] != 0 {
		t.Errorf("cp of 20 MiB: %v; want one multipart upload of at least 2 parts, completed, and no PutObject", s)
	}
	info := e.head("big.bin")
	if info.Size != size || info.Type != ossio.TypeMultipart {
		t.Errorf("big.bin: size %d, type %q; want %d, %q", info.Size, info.Type, size, ossio.TypeMultipart)
	}
	checkMeta(t, info, e.file(0o644, start))
	want := p.Sum256(size)
	if got := sha256.Sum256(e.body("big.bin")); got != want {
		t.Errorf("big.bin: the bucket's content differs from what dd wrote")
	}
	for _, when := range []string{"", " after remount"} {
		if when != "" {
			e.remount()
		}
		sum, _, _ := strings.Cut(run(t, e.m.Dir, "sha256sum big.bin"), " ")
		if sum != hex.EncodeToString(want[:]) {
			t.Errorf("sha256sum big.bin through the mount%s = %s, want %x", when, sum, want)
		}
	}
}

// TestWriteInSubdirectory checks keys of nested files and that the data is
// readable through the mount, the bucket and a fresh mount alike.
func TestWriteInSubdirectory(t *testing.T) {
	e := newEnv(t)
	run(t, e.m.Dir, "mkdir -p a/b && printf 'nested\\n' > a/b/c.txt")
	if got := e.body("a/b/c.txt"); string(got) != "nested\n" {
		t.Errorf("a/b/c.txt in the bucket = %q", got)
	}
	e.remount()
	if got := run(t, e.m.Dir, "cat a/b/c.txt"); got != "nested\n" {
		t.Errorf("cat a/b/c.txt after remount = %q", got)
	}
}

// statLine runs `stat -c FORMAT` on paths in dir and returns its trimmed output.
func statLine(t *testing.T, dir, format string, paths ...string) string {
	t.Helper()
	return strings.TrimSpace(harness.Run(t, dir, "stat", append([]string{"-c", format}, paths...)...))
}

// mtimeOf returns the seconds of an object's x-oss-meta-mtime.
func mtimeOf(t *testing.T, info ossio.ObjectInfo) int64 {
	t.Helper()
	sec, err := metaSeconds(info.Meta["mtime"])
	if err != nil {
		t.Fatalf("%s: x-oss-meta-mtime: %v", info.Key, err)
	}
	return sec
}

// itoa formats an integer in decimal.
func itoa[T ~int | ~int64 | ~uint32](n T) string { return fmt.Sprint(n) }

// readAll reads a file of the mount, bounded.
func readAll(t *testing.T, path string) []byte {
	t.Helper()
	var b []byte
	must(t, "read "+path, func() (err error) { b, err = os.ReadFile(path); return err })
	return b
}

// wantContent compares a file read through the mount with want.
func wantContent(t *testing.T, path string, want []byte) {
	t.Helper()
	if got := readAll(t, path); !bytes.Equal(got, want) {
		t.Errorf("%s through the mount: %s", filepath.Base(path), describeDiff(got, want))
	}
}

// errnoOf returns the errno of a failed system call: 0 for nil, EIO
// for an error that carries none.
func errnoOf(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	var en syscall.Errno
	if errors.As(err, &en) {
		return en
	}
	return syscall.EIO
}
