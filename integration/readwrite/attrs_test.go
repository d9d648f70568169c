package readwrite

import (
	"os"
	"testing"
	"time"
)

// attrStep is one attribute change and what the object must hold after it.
type attrStep struct {
	cmd  string
	want attrs
	// writes are the mutating requests the change costs.
	writes map[string]int64
}

// runAttrSteps runs each step, checks its cost and the metadata of key in
// the bucket, and that the object's content (body) did not change.
func (e *env) runAttrSteps(key string, body []byte, marker bool, steps []attrStep) {
	e.t.Helper()
	for _, st := range steps {
		s := e.measure(func() { run(e.t, e.m.Dir, st.cmd) })
		wantWrites(e.t, st.cmd, s, st.writes)
		if marker {
			e.checkMarker(key, st.want)
		} else {
			e.checkObject(key, body, st.want)
		}
	}
}

var oneCopy = map[string]int64{"CopyObject": 1}

// TestAttrsOfFile checks chmod, chown and touch -d on a file: each is one
// self-copy (CopyObject) that keeps the content and carries the new
// x-oss-meta-*; the mount and a fresh mount show them.
func TestAttrsOfFile(t *testing.T) {
	e := newEnv(t)
	body := []byte("#!/bin/sh\necho hi\n")
	must(t, "create f", func() error { return os.WriteFile(e.path("f"), body, 0o644) })
	mtime := mtimeOf(t, e.head("f"))
	u, g := e.uid, e.gid
	e.runAttrSteps("f", body, false, []attrStep{
		{"chmod 600 f", attrs{mode: sIFREG | 0o600, uid: u, gid: g, mtime: mtime}, oneCopy},
		{"chmod 4755 f", attrs{mode: sIFREG | 0o4755, uid: u, gid: g, mtime: mtime}, oneCopy},
		{"chmod 750 f", attrs{mode: sIFREG | 0o750, uid: u, gid: g, mtime: mtime}, oneCopy},
		{"chown 1234:5678 f", attrs{mode: sIFREG | 0o750, uid: 1234, gid: 5678, mtime: mtime}, oneCopy},
		{"touch -d @1000000000 f", attrs{mode: sIFREG | 0o750, uid: 1234, gid: 5678, mtime: 1000000000}, oneCopy},
		{"touch -m -d '2001-02-03 04:05:06.789 UTC' f", attrs{mode: sIFREG | 0o750, uid: 1234, gid: 5678, mtime: 981173106}, oneCopy},
	})
	check := func(when string) {
		t.Helper()
		if got := statLine(t, e.m.Dir, "%a %u %g %Y %s", "f"); got != "750 1234 5678 981173106 18" {
			t.Errorf("stat f %s = %q, want 750 1234 5678 981173106 18", when, got)
		}
	}
	check("")
	e.remount()
	check("after remount")
	wantContent(t, e.path("f"), body)

	// touch without a date sets the mtime to now.
	start := time.Now()
	s := e.measure(func() { run(t, e.m.Dir, "touch f") })
	wantWrites(t, "touch", s, oneCopy)
	e.checkObject("f", body, attrs{mode: sIFREG | 0o750, uid: 1234, gid: 5678, after: start, before: time.Now()})
}

// TestAttrsOfDirectory checks chmod, chown and touch -d on a directory
// with a marker (a self-copy of the marker) and on an implicit directory
// (the first change writes a marker to hold the attributes).
func TestAttrsOfDirectory(t *testing.T) {
	e := newEnv(t)
	run(t, e.m.Dir, "mkdir d && echo x > d/child")
	u, g := e.uid, e.gid
	// The directory's mtime may have moved when d/child was made; it must
	// lie between the mkdir and the end of the test.
	from, to := time.Unix(mtimeOf(t, e.head("d/")), 0), time.Now().Add(time.Hour)
	e.runAttrSteps("d/", nil, true, []attrStep{
		{"chmod 700 d", attrs{mode: sIFDIR | 0o700, uid: u, gid: g, after: from, before: to}, oneCopy},
		{"chown 42:43 d", attrs{mode: sIFDIR | 0o700, uid: 42, gid: 43, after: from, before: to}, oneCopy},
		{"touch -d @1400000000 d", attrs{mode: sIFDIR | 0o700, uid: 42, gid: 43, mtime: 1400000000}, oneCopy},
	})

	// An implicit directory: objects under imp/ and no marker. The mount
	// shows it with the defaults (0755, the mount's owner, root here).
	e.put("imp/x", []byte("x"), "", nil)
	e.runAttrSteps("imp/", nil, true, []attrStep{
		{"chmod 750 imp", attrs{mode: sIFDIR | 0o750, uid: u, gid: g}, map[string]int64{"PutObject": 1}},
		{"touch -d @1300000000 imp", attrs{mode: sIFDIR | 0o750, uid: u, gid: g, mtime: 1300000000}, oneCopy},
	})
	e.put("imp2/y", []byte("y"), "", nil)
	e.runAttrSteps("imp2/", nil, true, []attrStep{
		{"touch -d @1300000001 imp2", attrs{mode: sIFDIR | 0o755, uid: u, gid: g, mtime: 1300000001}, map[string]int64{"PutObject": 1}},
	})
	if !e.exists("imp/x") || !e.exists("imp2/y") {
		t.Errorf("giving an implicit directory a marker lost its children")
	}
	check := func(when string) {
		t.Helper()
		want := "700 42 43 1400000000\n750 " + itoa(u) + " " + itoa(g) + " 1300000000\n755 " + itoa(u) + " " + itoa(g) + " 1300000001"
		if got := statLine(t, e.m.Dir, "%a %u %g %Y", "d", "imp", "imp2"); got != want {
			t.Errorf("stat d imp imp2 %s =\n%s\nwant\n%s", when, got, want)
		}
	}
	check("")
	e.remount()
	check("after remount")
}

// TestAttrsOfSymlink checks touch -h and chown -h on a symlink: a self-copy
// of the link object, which stays a link to the same target.
func TestAttrsOfSymlink(t *testing.T) {
	e := newEnv(t)
	run(t, e.m.Dir, "ln -s some/target l")
	u, g := e.uid, e.gid
	e.runAttrSteps("l", []byte("some/target"), false, []attrStep{
		{"touch -h -d @1200000000 l", attrs{mode: sIFLNK | 0o777, uid: u, gid: g, mtime: 1200000000}, oneCopy},
		{"chown -h 7:8 l", attrs{mode: sIFLNK | 0o777, uid: 7, gid: 8, mtime: 1200000000}, oneCopy},
	})
	e.remount()
	if got := statLine(t, e.m.Dir, "%F %u %g %Y %N", "l"); got != "symbolic link 7 8 1200000000 'l' -> 'some/target'" {
		t.Errorf("stat l after remount = %q", got)
	}
}

// TestChmodWhileDirty checks that attributes changed on a file still being
// written travel with its upload (DESIGN §6): one PutObject, no copy.
func TestChmodWhileDirty(t *testing.T) {
	e := newEnv(t)
	start := time.Now()
	s := e.measure(func() {
		must(t, "write, fchmod, close", func() error {
			f, err := os.Create(e.path("f"))
			if err != nil {
				return err
			}
			if _, err := f.WriteString("dirty\n"); err != nil {
				f.Close()
				return err
			}
			if err := f.Chmod(0o600); err != nil {
				f.Close()
				return err
			}
			return f.Close()
		})
	})
	wantWrites(t, "create, write, fchmod 600, close", s, map[string]int64{"PutObject": 1})
	e.checkObject("f", []byte("dirty\n"), e.file(0o600, start))
}
