package readwrite

import (
	"bytes"
	"os"
	"syscall"
	"testing"
	"time"
)

// seededMeta is the metadata of objects seeded behind the mount's back:
// mode 0600, owner 1234:5678, mtime 1500000000. Rewriting their content
// through the mount must keep mode and owner and move the mtime to now.
var seededMeta = map[string]string{"mode": "33152", "uid": "1234", "gid": "5678", "mtime": "1500000000"}

func seededAttrs(after time.Time) attrs {
	return attrs{mode: sIFREG | 0o600, uid: 1234, gid: 5678, after: after, before: time.Now()}
}

// TestTruncate shrinks and grows a file with truncate(1) and empties one
// with ftruncate(2); each change is one PutObject of the new content, and
// mode and owner survive it.
func TestTruncate(t *testing.T) {
	e := newEnv(t)
	must(t, "create f", func() error { return os.WriteFile(e.path("f"), []byte("hello world"), 0o640) })
	for _, c := range []struct {
		cmd  string
		want []byte
	}{
		{"truncate -s 5 f", []byte("hello")},
		{"truncate -s 12 f", append([]byte("hello"), make([]byte, 7)...)},
		{"truncate -s 1M f", append([]byte("hello"), make([]byte, 1<<20-5)...)},
		{"truncate -s 3 f", []byte("hel")},
	} {
		start := time.Now()
		s := e.measure(func() { run(t, e.m.Dir, c.cmd) })
		wantWrites(t, c.cmd, s, map[string]int64{"PutObject": 1})
		e.checkObject("f", c.want, e.file(0o640, start))
		wantContent(t, e.path("f"), c.want)
	}

	start := time.Now()
	s := e.measure(func() {
		must(t, "open, ftruncate(0), close", func() error {
			f, err := os.OpenFile(e.path("f"), os.O_RDWR, 0)
			if err != nil {
				return err
			}
			if err := f.Truncate(0); err != nil {
				f.Close()
				return err
			}
			return f.Close()
		})
	})
	wantWrites(t, "ftruncate to 0", s, map[string]int64{"PutObject": 1})
	e.checkObject("f", nil, e.file(0o640, start))

	// truncate(2) on a seeded object the mount has not seen yet.
	e.put("seeded", []byte("0123456789"), "", seededMeta)
	start = time.Now()
	run(t, e.m.Dir, "truncate -s 4 seeded")
	e.checkObject("seeded", []byte("0123"), seededAttrs(start))
}

// TestOTrunc opens existing files with O_TRUNC: the new content replaces
// the old in one PutObject, without downloading the old content; mode and
// owner are kept.
func TestOTrunc(t *testing.T) {
	e := newEnv(t)
	e.put("f", []byte("old content that is longer\n"), "", seededMeta)
	start := time.Now()
	s := e.measure(func() {
		must(t, "open O_TRUNC, write, close", func() error {
			f, err := os.OpenFile(e.path("f"), os.O_WRONLY|os.O_TRUNC, 0)
			if err != nil {
				return err
			}
			if _, err := f.WriteString("new\n"); err != nil {
				f.Close()
				return err
			}
			return f.Close()
		})
	})
	wantWrites(t, "O_TRUNC and write", s, map[string]int64{"PutObject": 1})
	if n := s.Requests["GetObject"]; n != 0 {
		t.Errorf("O_TRUNC and write: %d GetObject, want 0: the old content is not needed (%v)", n, s)
	}
	e.checkObject("f", []byte("new\n"), seededAttrs(start))
	wantContent(t, e.path("f"), []byte("new\n"))

	// The shell's "> f" too (its cost differs: it closes a dup before writing).
	start = time.Now()
	run(t, e.m.Dir, "printf 'newer\\n' > f")
	e.checkObject("f", []byte("newer\n"), seededAttrs(start))

	start = time.Now()
	s = e.measure(func() {
		run(t, e.m.Dir, ": > f")
		// Emptied when the descriptor is released, a moment after the close.
		waitFor(t, "f emptied in the bucket", time.Minute, func() bool { return e.head("f").Size == 0 })
	})
	wantWrites(t, "O_TRUNC without a write", s, map[string]int64{"PutObject": 1})
	e.checkObject("f", nil, seededAttrs(start))
}

// TestOAppend appends to objects with O_APPEND: to one seeded behind the
// mount (a Normal object, rewritten whole with the new tail in one
// PutObject, metadata kept) and, with several writes, to one the mount
// wrote.
func TestOAppend(t *testing.T) {
	e := newEnv(t)
	e.put("log", []byte("line 1\n"), "", seededMeta)
	start := time.Now()
	s := e.measure(func() { run(t, e.m.Dir, "echo 'line 2' >> log") })
	wantWrites(t, "echo >> a small Normal object", s, map[string]int64{"PutObject": 1})
	e.checkObject("log", []byte("line 1\nline 2\n"), seededAttrs(start))

	must(t, "create mine", func() error { return os.WriteFile(e.path("mine"), []byte("a"), 0o644) })
	start = time.Now()
	must(t, "O_APPEND writes", func() error {
		f, err := os.OpenFile(e.path("mine"), os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return err
		}
		for _, s := range []string{"b", "cd", "e"} {
			if _, err := f.WriteString(s); err != nil {
				f.Close()
				return err
			}
		}
		// O_APPEND writes go to the end whatever the offset.
		if _, err := f.Seek(0, 0); err != nil {
			f.Close()
			return err
		}
		if _, err := f.WriteString("f"); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	})
	e.checkObject("mine", []byte("abcdef"), e.file(0o644, start))
	wantContent(t, e.path("mine"), []byte("abcdef"))
}

// TestOExcl checks that O_CREAT|O_EXCL fails with EEXIST on every kind of
// existing name, including ones only the bucket knows of, and creates the
// file (an empty object once closed) when the name is free.
func TestOExcl(t *testing.T) {
	e := newEnv(t)
	must(t, "create mine", func() error { return os.WriteFile(e.path("mine"), []byte("x"), 0o644) })
	e.put("seeded", []byte("seeded"), "", nil)
	e.put("marked/", nil, markerType, nil)
	e.put("implicit/child", []byte("c"), "", nil)
	run(t, e.m.Dir, "mkdir made")
	openExcl := func(name string) error {
		return bounded(t, "open O_EXCL "+name, func() error {
			fd, err := syscall.Open(e.path(name), syscall.O_CREAT|syscall.O_EXCL|syscall.O_WRONLY, 0o644)
			if err == nil {
				return syscall.Close(fd)
			}
			return err
		})
	}
	for _, name := range []string{"mine", "seeded", "marked", "implicit", "made"} {
		if got := errnoOf(openExcl(name)); got != syscall.EEXIST {
			t.Errorf("open(%s, O_CREAT|O_EXCL): %v, want EEXIST", name, got)
		}
	}
	e.checkObject("seeded", []byte("seeded"), attrs{}) // untouched
	start := time.Now()
	if err := openExcl("fresh"); err != nil {
		t.Fatalf("open(fresh, O_CREAT|O_EXCL): %v", err)
	}
	// Uploaded when its descriptor is released, a moment after the close.
	waitFor(t, "fresh in the bucket", time.Minute, func() bool { return e.exists("fresh") })
	e.checkObject("fresh", nil, e.file(0o644, start))
	if got := errnoOf(openExcl("fresh")); got != syscall.EEXIST {
		t.Errorf("second open(fresh, O_CREAT|O_EXCL): %v, want EEXIST", got)
	}
}

// TestWritesPastEOF writes past the end of new and existing files: the gap
// reads as zeros, in the bucket and through the mount; and overwrites a
// range inside an existing object, keeping the bytes around it.
func TestWritesPastEOF(t *testing.T) {
	e := newEnv(t)
	pwrite := func(name string, flags int, data string, off int64) {
		t.Helper()
		must(t, "pwrite "+name, func() error {
			f, err := os.OpenFile(e.path(name), flags, 0o644)
			if err != nil {
				return err
			}
			if _, err := f.WriteAt([]byte(data), off); err != nil {
				f.Close()
				return err
			}
			return f.Close()
		})
	}
	const off = 1<<20 + 3
	pwrite("sparse", os.O_CREATE|os.O_WRONLY, "tail", off)
	want := append(make([]byte, off), "tail"...)
	e.checkObject("sparse", want, attrs{mode: sIFREG | 0o644, uid: e.uid, gid: e.gid})
	wantContent(t, e.path("sparse"), want)

	must(t, "create digits", func() error { return os.WriteFile(e.path("digits"), []byte("0123456789"), 0o644) })
	pwrite("digits", os.O_WRONLY, "X", 100)
	want = append(append([]byte("0123456789"), make([]byte, 90)...), 'X')
	e.checkObject("digits", want, attrs{mode: sIFREG | 0o644, uid: e.uid, gid: e.gid})

	pwrite("digits", os.O_RDWR, "AB", 2)
	copy(want[2:], "AB")
	e.checkObject("digits", want, attrs{mode: sIFREG | 0o644, uid: e.uid, gid: e.gid})
	wantContent(t, e.path("digits"), want)

	// The same on an object seeded behind the mount: the rewrite keeps
	// the bytes it did not touch and the object's metadata.
	e.put("seeded", bytes.Repeat([]byte("s"), 50), "", seededMeta)
	start := time.Now()
	pwrite("seeded", os.O_WRONLY, "--", 10)
	want = bytes.Repeat([]byte("s"), 50)
	copy(want[10:], "--")
	e.checkObject("seeded", want, seededAttrs(start))
}
