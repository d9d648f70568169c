package readwrite

import (
	"strings"
	"testing"
)

// mixture makes one of everything the write side does. Directory mtimes
// are set last, for the directories named in touchedDirs.
const mixture = `set -e
mkdir -p docs/empty deep/a/b/c emptydir olddir
printf 'hello\n' > docs/hello.txt
touch -d @1234567890 docs/hello.txt
printf 'secret\n' > docs/secret
chmod 600 docs/secret
chown 1234:5678 docs/secret
printf '#!/bin/sh\necho run\n' > run.sh
chmod 755 run.sh
ln -s docs/hello.txt link-rel
ln -s /no/such/target link-dangling
touch -h -d @1222333444 link-rel
printf 'moved\n' > tomove
mv tomove docs/moved
printf 'in old\n' > olddir/f
mv olddir newdir
printf '0123456789' > trunc
truncate -s 4 trunc
printf 'a\n' > app
printf 'b\n' >> app
truncate -s 64K zeros
printf 'x' | dd of=hole bs=1 seek=100000 conv=notrunc status=none
printf 'y' > excl-free
chmod 700 deep/a
chown 42:43 deep/a/b
touch -d @1111111111 deep/a
touch -d @1111111112 emptydir
`

// mixtureKeys are the keys the mixture leaves in the bucket.
var mixtureKeys = []string{
	"app", "deep/", "deep/a/", "deep/a/b/", "deep/a/b/c/", "docs/", "docs/empty/", "docs/hello.txt",
	"docs/moved", "docs/secret", "emptydir/", "excl-free", "hole", "link-dangling", "link-rel",
	"newdir/", "newdir/f", "run.sh", "trunc", "zeros",
}

// TestRemountKeepsEverything runs the mixture, then compares the whole
// tree (types, modes, owners, sizes, mtimes of files and symlinks, link
// targets, contents) before and after a remount, the mtimes set on
// directories, and the keys in the bucket.
func TestRemountKeepsEverything(t *testing.T) {
	e := newEnv(t)
	run(t, e.m.Dir, mixture)
	if got := e.keys(""); strings.Join(got, " ") != strings.Join(mixtureKeys, " ") {
		t.Errorf("keys after the mixture:\n got %q\nwant %q", got, mixtureKeys)
	}
	spot := func(when string) {
		t.Helper()
		for _, c := range []struct{ path, format, want string }{
			{"docs/hello.txt", "%F %a %u:%g %s %Y", "regular file 644 0:0 6 1234567890"},
			{"docs/secret", "%F %a %u:%g %s", "regular file 600 1234:5678 7"},
			{"run.sh", "%F %a", "regular file 755"},
			{"link-rel", "%F %Y %N", "symbolic link 1222333444 'link-rel' -> 'docs/hello.txt'"},
			{"link-dangling", "%F %N", "symbolic link 'link-dangling' -> '/no/such/target'"},
			{"trunc", "%s", "4"},
			{"zeros", "%s", "65536"},
			{"hole", "%s", "100001"},
			{"deep/a", "%F %a %Y", "directory 700 1111111111"},
			{"deep/a/b", "%u:%g", "42:43"},
			{"emptydir", "%F %Y", "directory 1111111112"},
			{"docs/empty", "%F %a", "directory 755"},
		} {
			if got := statLine(t, e.m.Dir, c.format, c.path); got != c.want {
				t.Errorf("stat %s%s = %q, want %q", c.path, when, got, c.want)
			}
		}
		if got := run(t, e.m.Dir, "cat app trunc docs/moved newdir/f link-rel && ./run.sh"); got != "a\nb\n0123moved\nin old\nhello\nrun\n" {
			t.Errorf("contents%s = %q", when, got)
		}
		if got := run(t, e.m.Dir, "tr -d '\\000' < hole; tail -c 2 hole | od -An -tx1"); got != "x 00 78\n" {
			t.Errorf("hole%s: its non-zero bytes and last two in hex are %q, want \"x 00 78\"", when, got)
		}
	}
	spot("")
	before := snapshot(t, e.m.Dir, false)
	e.remount()
	spot(" after remount")
	compareSnapshots(t, "the mount after a remount vs before", snapshot(t, e.m.Dir, false), before)
}
