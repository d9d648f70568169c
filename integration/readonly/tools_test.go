package readonly

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ossfuse/ossfuse/integration/harness"
)

// TestFind checks find's view of data/: every file once, sizes by -size,
// empty files and directories by -empty.
func TestFind(t *testing.T) {
	f := setup(t)
	m := f.mount(t)
	want := sortedKeys(files("data/"))
	if got := lines(harness.Run(t, m.Dir, "find", "data", "-type", "f")); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("find data -type f:\n got %q\nwant %q", got, want)
	}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"data", "-type", "f", "-size", "+100000c"}, []string{"data/a/b/d.bin"}},
		{[]string{"data", "-type", "f", "-size", "-2c"}, []string{"data/empty"}},
		{[]string{"data", "-type", "f", "-size", "13c"}, []string{"data/hello.txt"}},
		{[]string{"data", "-empty"}, []string{"data/empty", "data/empty-dir"}},
		{[]string{"data", "-type", "d", "-name", "b"}, []string{"data/a/b"}},
		{[]string{"links", "-type", "l"}, []string{"links/native", "links/ossfs"}},
		{[]string{"data/unicode", "-name", "*ファイル*"}, []string{"data/unicode/日本語 ファイル.txt"}},
	} {
		got := lines(harness.Run(t, m.Dir, "find", c.args...))
		if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("find %s:\n got %q\nwant %q", strings.Join(c.args, " "), got, c.want)
		}
	}
}

// TestDu checks that du -sb adds up the seeded sizes: the files' sizes
// plus whatever size the mount gives its directories (read with lstat).
func TestDu(t *testing.T) {
	f := setup(t)
	m := f.mount(t)
	var fileBytes, dirBytes int64
	err := filepath.WalkDir(m.Path("data"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			dirBytes += info.Size()
		} else {
			fileBytes += info.Size()
		}
		return nil
	})
	if err != nil {
		t.Fatalf("walk data: %v", err)
	}
	var want int64
	for _, b := range files("data/") {
		want += int64(len(b))
	}
	if fileBytes != want {
		t.Errorf("lstat sizes of the files under data/ add up to %d, want %d", fileBytes, want)
	}
	out := harness.Run(t, m.Dir, "du", "-sb", "data")
	got, err := strconv.ParseInt(strings.Fields(out)[0], 10, 64)
	if err != nil || got != want+dirBytes {
		t.Errorf("du -sb data = %q, want %d (files %d + directories %d)", out, want+dirBytes, want, dirBytes)
	}
}

// TestReadTools reads small files with cat, md5sum, head, tail and dd.
func TestReadTools(t *testing.T) {
	f := setup(t)
	m := f.mount(t)
	for _, key := range []string{"data/hello.txt", "data/empty", "data/unicode/héllo wörld.txt", "data/unicode/space dir/inner file.txt", "data/meta/private"} {
		if got := harness.Run(t, m.Dir, "cat", key); got != string(body(key)) {
			t.Errorf("cat %s = %q, want %q", key, got, body(key))
		}
	}
	sums := harness.Run(t, m.Dir, "md5sum", "data/a/b/d.bin", "data/empty", "data/hello.txt")
	var want strings.Builder
	for _, key := range []string{"data/a/b/d.bin", "data/empty", "data/hello.txt"} {
		s := md5.Sum(body(key))
		fmt.Fprintf(&want, "%s  %s\n", hex.EncodeToString(s[:]), key)
	}
	if sums != want.String() {
		t.Errorf("md5sum:\n got %s\nwant %s", sums, want.String())
	}
	d := "data/a/b/d.bin"
	checks := []struct {
		name string
		got  string
		want []byte
	}{
		{"head -c 1000", harness.Run(t, m.Dir, "head", "-c", "1000", d), dBin[:1000]},
		{"tail -c 777", harness.Run(t, m.Dir, "tail", "-c", "777", d), dBin[dBinSize-777:]},
		{"dd bs=1000 skip=17 count=5", harness.Run(t, m.Dir, "dd", "if="+d, "bs=1000", "skip=17", "count=5", "status=none"), dBin[17000:22000]},
		{"dd bs=4096 skip=73 (to EOF)", harness.Run(t, m.Dir, "dd", "if="+d, "bs=4096", "skip=73", "status=none"), dBin[73*4096:]},
		{"head -c 5 empty", harness.Run(t, m.Dir, "head", "-c", "5", "data/empty"), nil},
	}
	for _, c := range checks {
		if c.got != string(c.want) {
			t.Errorf("%s: got %d bytes, want %d (contents differ: %v)", c.name, len(c.got), len(c.want), c.got != string(c.want))
		}
	}
}

// TestGrepRecursive checks that grep -r finds exactly the files holding a
// string, through implicit directories.
func TestGrepRecursive(t *testing.T) {
	f := setup(t)
	m := f.mount(t)
	got := lines(harness.Run(t, m.Dir, "grep", "-rl", "NEEDLE-42", "data"))
	want := []string{"data/grep/deep/er/also.txt", "data/grep/needle.txt"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("grep -rl NEEDLE-42 data: got %q, want %q", got, want)
	}
	if got := harness.Run(t, m.Dir, "grep", "-rh", "NEEDLE-42", "data/grep/needle.txt"); got != "the NEEDLE-42 is here\n" {
		t.Errorf("grep -rh: got %q", got)
	}
}

// TestCopyOutAndDiff copies data/ out of the mount with cp -r and compares
// it, and the mount itself, with a local tree written from the same bodies.
func TestCopyOutAndDiff(t *testing.T) {
	f := setup(t)
	m := f.mount(t)
	tmp := t.TempDir()
	want := filepath.Join(tmp, "want")
	if err := writeLocal(want); err != nil {
		t.Fatal(err)
	}
	got := filepath.Join(tmp, "got")
	harness.Run(t, m.Dir, "cp", "-r", "data", got)
	if r := harness.Exec(t, tmp, "diff", "-r", "want/data", "got"); r.ExitCode != 0 {
		t.Errorf("diff -r of the local tree and the copy out of the mount: exit %d\n%s%s", r.ExitCode, r.Stdout, r.Stderr)
	}
	if r := harness.Exec(t, tmp, "diff", "-r", "want/data", m.Path("data")); r.ExitCode != 0 {
		t.Errorf("diff -r of the local tree and the mount: exit %d\n%s%s", r.ExitCode, r.Stdout, r.Stderr)
	}
}

// TestReadlink reads both symlink forms and follows them.
func TestReadlink(t *testing.T) {
	f := setup(t)
	m := f.mount(t)
	for _, c := range []struct{ link, target, key string }{
		{"links/native", nativeTarget, "data/hello.txt"},
		{"links/ossfs", ossfsTarget, "data/a/b/c.txt"},
	} {
		if got := strings.TrimSuffix(harness.Run(t, m.Dir, "readlink", c.link), "\n"); got != c.target {
			t.Errorf("readlink %s = %q, want %q", c.link, got, c.target)
		}
		if got := statLine(t, m.Dir, "%F", c.link); got != "symbolic link" {
			t.Errorf("stat %s: %q, want symbolic link", c.link, got)
		}
		if got := harness.Run(t, m.Dir, "cat", c.link); got != string(body(c.key)) {
			t.Errorf("cat %s (-> %s) = %q, want %q", c.link, c.target, got, body(c.key))
		}
		if got := strings.TrimSuffix(harness.Run(t, m.Dir, "readlink", "-f", c.link), "\n"); got != m.Path(c.key) {
			t.Errorf("readlink -f %s = %q, want %q", c.link, got, m.Path(c.key))
		}
	}
}
