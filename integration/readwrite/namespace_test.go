package readwrite

import (
	"os"
	"strings"
	"testing"
	"time"
)

// dirAttrs is the metadata expected of a directory the test made.
func (e *env) dirAttrs(perm uint32, after time.Time) attrs {
	return attrs{mode: sIFDIR | perm, uid: e.uid, gid: e.gid, after: after, before: time.Now()}
}

// TestMkdir checks that mkdir writes one marker "dir/" (zero bytes,
// application/x-directory) holding mode, owner and mtime, for each level
// of mkdir -p, and refuses an existing name with EEXIST.
func TestMkdir(t *testing.T) {
	e := newEnv(t)
	start := time.Now()
	s := e.measure(func() { run(t, e.m.Dir, "mkdir d") })
	wantWrites(t, "mkdir", s, map[string]int64{"PutObject": 1})
	e.checkMarker("d/", e.dirAttrs(0o755, start))

	start = time.Now()
	run(t, e.m.Dir, "mkdir -m 700 private && mkdir -p a/b/c")
	e.checkMarker("private/", e.dirAttrs(0o700, start))
	for _, k := range []string{"a/", "a/b/", "a/b/c/"} {
		e.checkMarker(k, e.dirAttrs(0o755, start))
	}
	if got := statLine(t, e.m.Dir, "%F %a", "private", "a/b/c"); got != "directory 700\ndirectory 755" {
		t.Errorf("stat private a/b/c = %q", got)
	}
	run(t, e.m.Dir, "echo x > file")
	fails(t, e.m.Dir, "mkdir d", "File exists")
	fails(t, e.m.Dir, "mkdir file", "File exists")
}

// TestRmdir checks rmdir: an empty directory loses its marker (one
// DeleteObject); a directory with a file, a subdirectory or (implicit
// directory) only objects under its prefix fails with ENOTEMPTY and keeps
// everything; once emptied, an implicit directory goes with no key left.
func TestRmdir(t *testing.T) {
	e := newEnv(t)
	run(t, e.m.Dir, "mkdir empty full nested nested/sub && echo x > full/f")
	s := e.measure(func() { run(t, e.m.Dir, "rmdir empty") })
	wantWrites(t, "rmdir of an empty directory", s, map[string]int64{"DeleteObject": 1})
	e.wantGone("empty/")

	for _, d := range []string{"full", "nested"} {
		s := e.measure(func() { fails(t, e.m.Dir, "rmdir "+d, "Directory not empty") })
		wantWrites(t, "rmdir of a non-empty directory", s, nil)
	}
	for _, k := range []string{"full/", "full/f", "nested/", "nested/sub/"} {
		if !e.exists(k) {
			t.Errorf("a failed rmdir lost %q", k)
		}
	}

	// Implicit directories: objects under a prefix without a marker.
	e.put("implicit/deep/x", []byte("x"), "", nil)
	fails(t, e.m.Dir, "rmdir implicit", "Directory not empty")
	fails(t, e.m.Dir, "rmdir implicit/deep", "Directory not empty")
	if !e.exists("implicit/deep/x") {
		t.Fatalf("a failed rmdir of an implicit directory lost implicit/deep/x")
	}
	run(t, e.m.Dir, "rm implicit/deep/x && rmdir implicit/deep && rmdir implicit")
	if left := e.keys("implicit"); len(left) > 0 {
		t.Errorf("after emptying and removing implicit/, keys remain: %q", left)
	}

	// A marker seeded behind the mount's back.
	e.put("seeded/", nil, markerType, nil)
	run(t, e.m.Dir, "rmdir seeded")
	e.wantGone("seeded/")
	if got := run(t, e.m.Dir, "ls"); strings.TrimSpace(got) != "full\nnested" {
		t.Errorf("ls after the rmdirs = %q, want full and nested", got)
	}

	fails(t, e.m.Dir, "rmdir full/f", "Not a directory")
}

// TestUnlink checks rm of a file (one DeleteObject), of a seeded object,
// of a symlink (the link object only), and the errors of rm.
func TestUnlink(t *testing.T) {
	e := newEnv(t)
	run(t, e.m.Dir, "echo x > f && ln -s f link && mkdir d")
	s := e.measure(func() { run(t, e.m.Dir, "rm f") })
	wantWrites(t, "rm of a file", s, map[string]int64{"DeleteObject": 1})
	e.wantGone("f")
	fails(t, e.m.Dir, "cat f", "No such file or directory")

	e.put("seeded", []byte("s"), "", nil)
	run(t, e.m.Dir, "rm seeded")
	e.wantGone("seeded")

	run(t, e.m.Dir, "echo y > target && rm link")
	e.wantGone("link")
	if !e.exists("target") {
		t.Errorf("rm of a symlink removed something else")
	}
	fails(t, e.m.Dir, "rm d", "Is a directory")
	fails(t, e.m.Dir, "rm missing", "No such file or directory")
}

// TestRenameFile checks mv of a file: one CopyObject and one DeleteObject,
// whether the target exists or not; the target has the source's content
// and metadata (mtime included), the source is gone.
func TestRenameFile(t *testing.T) {
	e := newEnv(t)
	must(t, "create a", func() error { return os.WriteFile(e.path("a"), []byte("content of a\n"), 0o600) })
	run(t, e.m.Dir, "touch -d @1500000000 a && mkdir dir && echo old > c")
	want := attrs{mode: sIFREG | 0o600, uid: e.uid, gid: e.gid, mtime: 1500000000}

	for _, c := range []struct{ cmd, from, to string }{
		{"mv a b", "a", "b"},         // to a new name
		{"mv b c", "b", "c"},         // over an existing file
		{"mv c dir/e", "c", "dir/e"}, // into a directory
	} {
		s := e.measure(func() { run(t, e.m.Dir, c.cmd) })
		wantWrites(t, c.cmd, s, map[string]int64{"CopyObject": 1, "DeleteObject": 1})
		e.wantGone(c.from)
		e.checkObject(c.to, []byte("content of a\n"), want)
		fails(t, e.m.Dir, "stat "+c.from, "No such file or directory")
		if got := statLine(t, e.m.Dir, "%a %Y", c.to); got != "600 1500000000" {
			t.Errorf("stat %s after %s = %q, want 600 1500000000", c.to, c.cmd, got)
		}
	}
	wantContent(t, e.path("dir/e"), []byte("content of a\n"))

	// A seeded object the mount has not looked up, and a symlink.
	e.put("seeded", []byte("s\n"), "", seededMeta)
	run(t, e.m.Dir, "mv seeded dir/seeded && ln -s dir/e link && mv link dir/link2")
	e.checkObject("dir/seeded", []byte("s\n"), attrs{mode: sIFREG | 0o600, uid: 1234, gid: 5678, mtime: 1500000000})
	e.wantGone("seeded", "link")
	e.checkObject("dir/link2", []byte("dir/e"), attrs{mode: sIFLNK | 0o777, uid: e.uid, gid: e.gid})
	if got := strings.TrimSpace(run(t, e.m.Dir, "readlink dir/link2")); got != "dir/e" {
		t.Errorf("readlink dir/link2 = %q", got)
	}
}

// TestSymlink checks ln -s: one PutObject of an ossfs-style link (body =
// target, x-oss-meta-mode with S_IFLNK), never a native PutSymlink;
// readlink, following the link and dangling links.
func TestSymlink(t *testing.T) {
	e := newEnv(t)
	run(t, e.m.Dir, "mkdir sub && echo 'pointed at' > sub/file")
	for _, c := range []struct{ name, target string }{
		{"rel", "sub/file"},
		{"up", "../outside/of/the/mount"},
		{"abs", "/etc/hostname"},
		{"dangling", "no/such/thing"},
	} {
		start := time.Now()
		s := e.measure(func() { run(t, e.m.Dir, "ln -s '"+c.target+"' "+c.name) })
		wantWrites(t, "ln -s", s, map[string]int64{"PutObject": 1})
		e.checkObject(c.name, []byte(c.target), attrs{mode: sIFLNK | 0o777, uid: e.uid, gid: e.gid, after: start, before: time.Now()})
		if got := strings.TrimSuffix(run(t, e.m.Dir, "readlink "+c.name), "\n"); got != c.target {
			t.Errorf("readlink %s = %q, want %q", c.name, got, c.target)
		}
		if got := statLine(t, e.m.Dir, "%F", c.name); got != "symbolic link" {
			t.Errorf("stat %s: %q, want symbolic link", c.name, got)
		}
	}
	if got := run(t, e.m.Dir, "cat rel"); got != "pointed at\n" {
		t.Errorf("cat rel = %q", got)
	}
	fails(t, e.m.Dir, "cat dangling", "No such file or directory")
	fails(t, e.m.Dir, "ln -s x rel", "File exists")
}

// TestHardLinkRefused checks that ln fails with EPERM and writes nothing.
func TestHardLinkRefused(t *testing.T) {
	e := newEnv(t)
	run(t, e.m.Dir, "echo x > a && mkdir d")
	s := e.measure(func() {
		fails(t, e.m.Dir, "ln a b", "Operation not permitted")
		fails(t, e.m.Dir, "ln a d/b", "Operation not permitted")
	})
	wantWrites(t, "refused ln", s, nil)
	e.wantGone("b", "d/b")
}

// TestMknodRefused checks that mknod of a device fails with EPERM and
// writes nothing.
func TestMknodRefused(t *testing.T) {
	e := newEnv(t)
	s := e.measure(func() {
		fails(t, e.m.Dir, "mknod null c 1 3", "Operation not permitted")
		fails(t, e.m.Dir, "mknod loop b 7 0", "Operation not permitted")
	})
	wantWrites(t, "refused mknod", s, nil)
	e.wantGone("null", "loop")
}
