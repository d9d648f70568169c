package readonly

import (
	"strconv"
	"strings"
	"testing"

	"github.com/ossfuse/ossfuse/integration/harness"
)

// wantEntry is what ls must show for one seeded name; zero fields are not
// checked (owners and times of objects without metadata are the mount's).
type wantEntry struct {
	mode     string
	size     int64 // -1: not checked
	uid, gid string
	mtime    int64
	target   string // symlinks
	rank     int    // file 0 < implied directory 1 < marker 2: the higher wins a name
}

// Symlink targets as readlink must return them. A native OSS symlink's
// target is a key from the bucket root, shown relative to the link.
const (
	nativeTarget = "../data/hello.txt"
	ossfsTarget  = "../data/a/b/c.txt"
)

// wantFor returns the entry expected for a seeded object.
func wantFor(o object) wantEntry {
	w := wantEntry{size: -1, uid: o.meta["uid"], gid: o.meta["gid"]}
	if s, ok := o.meta["mtime"]; ok {
		sec, _, _ := strings.Cut(s, ".")
		w.mtime, _ = strconv.ParseInt(sec, 10, 64)
	}
	var mode uint64
	if s, ok := o.meta["mode"]; ok {
		mode, _ = strconv.ParseUint(s, 0, 32) // decimal, or octal with a leading 0
	}
	switch {
	case strings.HasSuffix(o.key, "/"):
		w.mode, w.rank = "drwxr-xr-x", 2
		if mode != 0 {
			w.mode = modeString(0o040000 | uint32(mode)&0o777)
		}
	case o.native != "":
		w.mode, w.target = "lrwxrwxrwx", nativeTarget
	case mode&0o170000 == 0o120000:
		w.mode, w.target = "lrwxrwxrwx", string(o.body)
	default:
		w.mode, w.size = "-rw-r--r--", int64(len(o.body))
		if mode != 0 {
			w.mode = modeString(0o100000 | uint32(mode)&0o777)
		}
	}
	return w
}

// wantListing derives, from the seeded objects under the given top-level
// directories, what `ls -lanR` must show per directory: every key's
// ancestors are directories, a directory wins over a file of its name, a
// marker's metadata over an implied directory.
func wantListing(tops ...string) map[string]map[string]wantEntry {
	out := map[string]map[string]wantEntry{}
	ensure := func(dir string) {
		if out[dir] == nil {
			out[dir] = map[string]wantEntry{}
		}
	}
	set := func(dir, name string, w wantEntry) {
		ensure(dir)
		if old, ok := out[dir][name]; !ok || w.rank > old.rank {
			out[dir][name] = w
		}
	}
	implied := wantEntry{mode: "drwxr-xr-x", size: -1, rank: 1}
	for _, o := range tree {
		parts := strings.Split(strings.TrimSuffix(o.key, "/"), "/")
		if !contains(tops, parts[0]) {
			continue
		}
		for k := 1; k < len(parts); k++ {
			ensure(strings.Join(parts[:k], "/"))
			if k >= 2 {
				set(strings.Join(parts[:k-1], "/"), parts[k-1], implied)
			}
		}
		if strings.HasSuffix(o.key, "/") {
			ensure(strings.Join(parts, "/"))
		}
		if len(parts) >= 2 {
			set(strings.Join(parts[:len(parts)-1], "/"), parts[len(parts)-1], wantFor(o))
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestLsLaR lists the clean subtrees recursively and checks every
// directory's names, and every entry's type, permissions, size, and the
// owner and mtime stored in ossfs metadata.
func TestLsLaR(t *testing.T) {
	f := setup(t)
	m := f.mount(t)
	out := harness.Run(t, m.Dir, "ls", "-lanR", "--time-style=+%s", "data", "links", "conflict")
	got := parseLsR(t, out)
	want := wantListing("data", "links", "conflict")
	for _, dir := range sortedKeys(want) {
		g, ok := got[dir]
		if !ok {
			t.Errorf("ls -laR shows no section for %s/", dir)
			continue
		}
		if gn, wn := strings.Join(sortedKeys(g), " | "), strings.Join(sortedKeys(want[dir]), " | "); gn != wn {
			t.Errorf("ls %s:\n got names %s\nwant names %s", dir, gn, wn)
		}
		for name, w := range want[dir] {
			e, ok := g[name]
			if !ok {
				continue
			}
			checkEntry(t, dir+"/"+name, e, w)
		}
	}
	for dir := range got {
		if _, ok := want[dir]; !ok {
			t.Errorf("ls -laR shows an unexpected directory %s/", dir)
		}
	}
	if t.Failed() {
		t.Logf("ls -lanR output:\n%s", out)
	}

	// The whole mount, weird keys and 2500 entries included, lists
	// without a single error.
	all := harness.Run(t, m.Dir, "ls", "-laR", ".")
	for _, section := range []string{"./data/a/b:", "./many:", "./ttt:", "./weird/dir:", "./big:", "./links:"} {
		if !strings.Contains(all, "\n"+section+"\n") {
			t.Errorf("ls -laR . shows no section %s", section)
		}
	}
}

func checkEntry(t *testing.T, path string, e lsEntry, w wantEntry) {
	t.Helper()
	if e.Mode != w.mode {
		t.Errorf("%s: mode %s, want %s", path, e.Mode, w.mode)
	}
	if w.size >= 0 && e.Size != w.size {
		t.Errorf("%s: size %d, want %d", path, e.Size, w.size)
	}
	if w.uid != "" && (e.UID != w.uid || e.GID != w.gid) {
		t.Errorf("%s: owner %s:%s, want %s:%s", path, e.UID, e.GID, w.uid, w.gid)
	}
	if w.mtime != 0 && e.Mtime != w.mtime {
		t.Errorf("%s: mtime %d, want %d", path, e.Mtime, w.mtime)
	}
	if w.target != "" && e.Target != w.target {
		t.Errorf("%s: symlink target %q, want %q", path, e.Target, w.target)
	}
}

// TestStatMetadata checks that stat shows the mode, owner and mtime stored
// in ossfs 1.x metadata exactly (nanoseconds included), and the defaults
// for objects and implicit directories without metadata.
func TestStatMetadata(t *testing.T) {
	f := setup(t)
	m := f.mount(t)
	const format = "%F|%a|%u|%g|%Y|%y"
	for _, c := range []struct{ path, want string }{
		{"data/meta/exec.sh", "regular file|755|1000|1000|1600000000|2020-09-13 12:26:40.000000000 +0000"},
		{"data/meta/private", "regular file|600|1234|5678|1500000000|2017-07-14 02:40:00.123456789 +0000"},
		{"data/meta/octal", "regular file|640|7|8|1234567890|2009-02-13 23:31:30.000000000 +0000"},
		{"data/meta/dir700", "directory|700|42|43|1400000000|2014-05-13 16:53:20.000000000 +0000"},
		{"links/ossfs", "symbolic link|777|1000|1000|1600000001|2020-09-13 12:26:41.000000000 +0000"},
	} {
		if got := statLine(t, m.Dir, format, c.path); got != c.want {
			t.Errorf("stat -c '%s' %s:\n got %s\nwant %s", format, c.path, got, c.want)
		}
	}
	for _, c := range []struct{ path, want string }{
		{"data/hello.txt", "regular file|644|13"},
		{"data/empty", "regular empty file|644|0"},
		{"data/a", "directory|755"},
		{"data/a/b", "directory|755"},
		{"data/empty-dir", "directory|755"},
		{"links/native", "symbolic link|777"},
	} {
		format := "%F|%a|%s"
		if !strings.HasPrefix(c.want, "regular") {
			format = "%F|%a"
		}
		if got := statLine(t, m.Dir, format, c.path); got != c.want {
			t.Errorf("stat -c '%s' %s: got %s, want %s", format, c.path, got, c.want)
		}
	}
}
