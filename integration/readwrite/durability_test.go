package readwrite

import (
	"errors"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/ossfuse/ossfuse/integration/harness"
)

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, within time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRenameDuringStreamingWrite renames a file being written past one
// part (so it streams as a multipart upload), then a directory above
// another such file, and writes on: each lands under the name it has when
// it is closed, and nothing is left under the old names.
func TestRenameDuringStreamingWrite(t *testing.T) {
	e := newEnv(t, harness.WithPlainBuild())
	p := harness.Pattern{Seed: 77}
	const first, more = 20 << 20, 3 << 20
	check := func(key string) {
		t.Helper()
		if got := e.body(key); !equalBytes(got, p.Bytes(0, first+more)) {
			t.Errorf("%s in the bucket: %d bytes, want the %d written", key, len(got), first+more)
		}
	}
	writeAround := func(rename func() error, path string) {
		t.Helper()
		var f *os.File
		must(t, "create "+path, func() (err error) {
			f, err = os.OpenFile(e.path(path), os.O_WRONLY|os.O_CREATE, 0o644)
			return err
		})
		must(t, "write the first part", func() error { _, err := f.Write(p.Bytes(0, first)); return err })
		must(t, "rename", rename)
		must(t, "write more", func() error { _, err := f.Write(p.Bytes(first, more)); return err })
		must(t, "close", f.Close)
	}
	// The bytes streamed before the rename are not sent again: the stream
	// completes under the old name, is copied inside OSS, and the rest goes
	// up with the copied part.
	sentOnce := func(what string, s harness.Stats) {
		t.Helper()
		if sent := s.BytesInByOp["UploadPart"] + s.BytesInByOp["PutObject"]; sent > first+more+(1<<20) {
			t.Errorf("%s: %d bytes sent for %d written; the streamed bytes went twice (%v)", what, sent, first+more, s)
		}
	}
	s := e.measure(func() {
		writeAround(func() error { return os.Rename(e.path("f.bin"), e.path("g.bin")) }, "f.bin")
	})
	check("g.bin")
	e.wantGone("f.bin")
	sentOnce("rename of the file", s)

	must(t, "mkdir rd", func() error { return os.Mkdir(e.path("rd"), 0o755) })
	s = e.measure(func() {
		writeAround(func() error { return os.Rename(e.path("rd"), e.path("rd2")) }, "rd/big.bin")
	})
	check("rd2/big.bin")
	sentOnce("rename of its directory", s)
	if keys := e.keys("rd/"); len(keys) != 0 {
		t.Errorf("keys under rd/ after it was renamed: %v", keys)
	}
	if _, err := os.Stat(e.path("rd")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stat rd after it was renamed: %v, want ENOENT", err)
	}
}

// TestTruncatingOpenKeepsObjectUntilWritten is the shell's `cmd > file`:
// open with O_TRUNC, dup the descriptor, close the first: the object keeps
// its old content (other clients see it whole) until data is written and
// the last descriptor closed, and the whole overwrite costs one PutObject.
func TestTruncatingOpenKeepsObjectUntilWritten(t *testing.T) {
	e := newEnv(t)
	old := harness.Pattern{Seed: 5}.Bytes(0, 1<<20)
	e.put("precious.bin", old, "", nil)
	s := e.measure(func() {
		f, err := os.OpenFile(e.path("precious.bin"), os.O_WRONLY|os.O_TRUNC, 0)
		if err != nil {
			t.Fatal(err)
		}
		fd, err := syscall.Dup(int(f.Fd()))
		if err != nil {
			t.Fatal(err)
		}
		dup := os.NewFile(uintptr(fd), "dup")
		must(t, "close the first descriptor", f.Close)
		if got := e.body("precious.bin"); !equalBytes(got, old) {
			t.Errorf("after the first close of a truncating open the bucket holds %d bytes; want the old 1 MiB until data is written", len(got))
		}
		must(t, "write", func() error { _, err := dup.WriteString("new\n"); return err })
		must(t, "close the dup", dup.Close)
	})
	if got := e.body("precious.bin"); string(got) != "new\n" {
		t.Errorf("after the overwrite the bucket holds %q", got)
	}
	wantWrites(t, "overwrite through a dup'ed truncating descriptor", s, map[string]int64{"PutObject": 1})

	s = e.measure(func() { run(t, e.m.Dir, "printf x > new") })
	wantWrites(t, "printf x > new", s, map[string]int64{"PutObject": 1})
	if got := e.body("new"); string(got) != "x" {
		t.Errorf("new = %q", got)
	}

	// Emptying a file on purpose still empties it: at the last close.
	run(t, e.m.Dir, ": > new")
	waitFor(t, "new emptied in the bucket", time.Minute, func() bool { return len(e.body("new")) == 0 })
}

// TestInvalidUTF8NameRefused creates, looks up and renames to names that
// are not UTF-8, which no OSS key can hold: EILSEQ, before any request.
func TestInvalidUTF8NameRefused(t *testing.T) {
	e := newEnv(t)
	must(t, "write ok", func() error { return os.WriteFile(e.path("ok"), []byte("x"), 0o644) })
	bad := "bad\xff\xfe"
	s := e.measure(func() {
		if err := os.WriteFile(e.path(bad), []byte("x"), 0o644); !errors.Is(err, syscall.EILSEQ) {
			t.Errorf("create %q: %v, want EILSEQ", bad, err)
		}
		if err := os.Mkdir(e.path(bad), 0o755); !errors.Is(err, syscall.EILSEQ) {
			t.Errorf("mkdir %q: %v, want EILSEQ", bad, err)
		}
		if err := os.Rename(e.path("ok"), e.path(bad)); !errors.Is(err, syscall.EILSEQ) {
			t.Errorf("rename to %q: %v, want EILSEQ", bad, err)
		}
	})
	if len(s.Requests) != 0 {
		t.Errorf("invalid names cost requests: %v", s)
	}
}

// TestFsyncOfDirectory fsyncs a directory descriptor, as editors and
// databases do after a rename: it succeeds, and by then a file of the
// directory still being written (its descriptor open) is in the bucket.
func TestFsyncOfDirectory(t *testing.T) {
	e := newEnv(t)
	must(t, "mkdir d", func() error { return os.Mkdir(e.path("d"), 0o755) })
	var f *os.File
	must(t, "create d/f", func() (err error) { f, err = os.Create(e.path("d", "f")); return err })
	defer f.Close()
	must(t, "write d/f", func() error { _, err := f.WriteString("journal entry\n"); return err })
	var d *os.File
	must(t, "open d", func() (err error) { d, err = os.Open(e.path("d")); return err })
	defer d.Close()
	must(t, "fsync d", d.Sync)
	if got := e.body("d/f"); string(got) != "journal entry\n" {
		t.Errorf("d/f in the bucket after fsync of d = %q", got)
	}
	must(t, "fdatasync d", func() error { return syscall.Fdatasync(int(d.Fd())) })
}
