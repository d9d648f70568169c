package readwrite

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ossfuse/ossfuse/integration/harness"
)

// TestSedInPlace runs sed -i, which writes a temporary file beside the
// original, gives it the original's mode, and renames it over it.
func TestSedInPlace(t *testing.T) {
	e := newEnv(t)
	run(t, e.m.Dir, "mkdir d && printf 'alpha foo\\nbeta foo\\n' > d/f.txt && chmod 640 d/f.txt")
	start := time.Now()
	run(t, e.m.Dir, "sed -i 's/foo/bar/g' d/f.txt")
	e.checkObject("d/f.txt", []byte("alpha bar\nbeta bar\n"), e.file(0o640, start))
	if got := run(t, e.m.Dir, "cat d/f.txt"); got != "alpha bar\nbeta bar\n" {
		t.Errorf("cat d/f.txt after sed -i = %q", got)
	}
	if got := e.keys(""); strings.Join(got, " ") != "d/ d/f.txt" {
		t.Errorf("keys after sed -i: %q, want d/ and d/f.txt (no temporary file left)", got)
	}
}

// TestEditorSave saves a file as editors do: write a temporary file, fsync
// it, rename it over the original. Written by one descriptor, the
// temporary file goes up once (fsync uploads it, close has nothing left to
// send) and the rename is one copy and one delete. The same with shell
// tools (cat > f.tmp && sync f.tmp && mv f.tmp f), where sync's fsync of
// a clean file costs nothing.
func TestEditorSave(t *testing.T) {
	e := newEnv(t)
	run(t, e.m.Dir, "printf 'version 1\\n' > doc.txt && chmod 600 doc.txt")
	start := time.Now()
	s := e.measure(func() {
		must(t, "write doc.txt.tmp, fsync, close, rename", func() error {
			f, err := os.OpenFile(e.path("doc.txt.tmp"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return err
			}
			if _, err := f.WriteString("version 2\nmore\n"); err != nil {
				f.Close()
				return err
			}
			if err := f.Sync(); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			return os.Rename(e.path("doc.txt.tmp"), e.path("doc.txt"))
		})
	})
	wantWrites(t, "write+fsync+close+rename over", s, map[string]int64{"PutObject": 1, "CopyObject": 1, "DeleteObject": 1})
	e.checkObject("doc.txt", []byte("version 2\nmore\n"), e.file(0o600, start))
	e.wantGone("doc.txt.tmp")

	start = time.Now()
	run(t, e.m.Dir, "printf 'version 3\\n' | cat > doc.txt.tmp")
	s = e.measure(func() { run(t, e.m.Dir, "sync doc.txt.tmp") })
	wantWrites(t, "sync(1) of a file already closed and uploaded", s, nil)
	run(t, e.m.Dir, "mv doc.txt.tmp doc.txt")
	e.checkObject("doc.txt", []byte("version 3\n"), e.file(0o644, start))
	e.wantGone("doc.txt.tmp")
	e.remount()
	if got := run(t, e.m.Dir, "cat doc.txt && ls"); got != "version 3\ndoc.txt\n" {
		t.Errorf("cat doc.txt && ls after remount = %q", got)
	}
}

// TestGitCommit makes a repository inside the mount, commits twice, and
// checks it with git log, status and fsck, before and after a remount.
// git writes objects through temporary files, link(2) (EPERM here, so it
// falls back to rename), lock files made with O_EXCL, chmod 0444 and
// renames over existing files.
func TestGitCommit(t *testing.T) {
	harness.RequireTool(t, "git")
	e := newEnv(t)
	const git = "git -c user.name=Tester -c user.email=tester@example.com -c init.defaultBranch=main -c core.fsync=all"
	run(t, e.m.Dir, git+" init -q repo")
	repo := e.path("repo")
	run(t, repo, "printf '# repo\\n' > README.md && mkdir src && printf 'package main\\n' > src/main.go && "+
		git+" add . && "+git+" commit -q -m 'first commit'")
	run(t, repo, "printf 'func main() {}\\n' >> src/main.go && "+git+" commit -q -a -m 'second commit'")
	check := func(when string) {
		t.Helper()
		if got := run(t, repo, git+" log --format=%s"); got != "second commit\nfirst commit\n" {
			t.Errorf("git log%s = %q", when, got)
		}
		if got := run(t, repo, git+" status --porcelain"); got != "" {
			t.Errorf("git status --porcelain%s = %q, want a clean tree", when, got)
		}
		if r := harness.Exec(t, repo, "sh", "-c", git+" fsck --strict --no-progress"); r.ExitCode != 0 {
			t.Errorf("git fsck%s: exit %d\n%s%s", when, r.ExitCode, r.Stdout, r.Stderr)
		}
		if got := run(t, repo, git+" show HEAD:src/main.go"); got != "package main\nfunc main() {}\n" {
			t.Errorf("git show HEAD:src/main.go%s = %q", when, got)
		}
	}
	check("")
	if n := len(e.keys("repo/.git/objects/")); n < 8 {
		t.Errorf("only %d keys under repo/.git/objects/, want at least the 8 objects of two commits", n)
	}
	e.remount()
	check(" after remount")
}

// TestExecutableScript makes a script executable with chmod +x and runs
// it, before and after a remount.
func TestExecutableScript(t *testing.T) {
	e := newEnv(t)
	run(t, e.m.Dir, "printf '#!/bin/sh\\necho \"ran with $1\"\\n' > s.sh && chmod +x s.sh")
	e.checkObject("s.sh", []byte("#!/bin/sh\necho \"ran with $1\"\n"), attrs{mode: sIFREG | 0o755, uid: e.uid, gid: e.gid})
	for _, when := range []string{"", " after remount"} {
		if when != "" {
			e.remount()
		}
		if got := run(t, e.m.Dir, "./s.sh arg"); got != "ran with arg\n" {
			t.Errorf("./s.sh arg%s = %q", when, got)
		}
	}
}
