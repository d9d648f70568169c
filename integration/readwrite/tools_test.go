package readwrite

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/ossfuse/ossfuse/integration/harness"
)

// TestCpRoundTrip copies a generated tree of 2000 small files in 125
// directories into the mount with cp -r and back out: diff -r finds
// nothing, the bucket holds exactly one object per file and one marker per
// directory, and each of them cost exactly one PutObject.
func TestCpRoundTrip(t *testing.T) {
	e := newEnv(t)
	tmp := t.TempDir()
	ti := writeTree(t, filepath.Join(tmp, "tree"), treeSpec{tops: 4, subs: 5, leaves: 5, files: 20})
	nDirs := len(ti.dirs) + 1 // and tree/ itself
	s := e.measure(func() { harness.Run(t, tmp, "cp", "-r", "tree", e.path("tree")) })
	t.Logf("cp -r of %d files and %d directories: %v", len(ti.files), nDirs, s)
	wantWrites(t, "cp -r into the mount", s, map[string]int64{"PutObject": int64(len(ti.files) + nDirs)})

	want := []string{"tree/"}
	for _, p := range append(ti.files, ti.dirs...) {
		want = append(want, "tree/"+p)
	}
	sort.Strings(want)
	if got := e.keys("tree/"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("keys under tree/: %d, want %d; first difference: %s", len(got), len(want), firstDifference(got, want))
	}
	for _, f := range []string{ti.files[0], ti.files[1], ti.files[len(ti.files)-1]} {
		if got, want := e.body("tree/"+f), readLocal(t, filepath.Join(tmp, "tree", f)); string(got) != string(want) {
			t.Errorf("tree/%s in the bucket: %s", f, describeDiff(got, want))
		}
	}
	if r := harness.Exec(t, tmp, "diff", "-r", "tree", e.path("tree")); r.ExitCode != 0 {
		t.Errorf("diff -r of the local tree and the mount: exit %d\n%s%s", r.ExitCode, clip(r.Stdout), r.Stderr)
	}
	harness.Run(t, tmp, "cp", "-r", e.path("tree"), "back")
	if r := harness.Exec(t, tmp, "diff", "-r", "tree", "back"); r.ExitCode != 0 {
		t.Errorf("diff -r of the local tree and its copy out of the mount: exit %d\n%s%s", r.ExitCode, clip(r.Stdout), r.Stderr)
	}
}

// TestRsyncTwice syncs a tree with modes, times, symlinks and empty
// directories into the mount with rsync -a: the mount then matches the
// source, and a second run, in the same mount and after a remount,
// transfers nothing, changes nothing and writes nothing to the bucket.
func TestRsyncTwice(t *testing.T) {
	harness.RequireTool(t, "rsync")
	e := newEnv(t)
	tmp := t.TempDir()
	src := filepath.Join(tmp, "src")
	ti := writeTree(t, src, treeSpec{tops: 2, subs: 3, leaves: 2, files: 10, rich: true})
	rsync := func() (string, harness.Stats) {
		var out string
		s := e.measure(func() {
			out = harness.Run(t, tmp, "rsync", "-a", "--itemize-changes", "--stats", "src/", e.path("dst")+"/")
		})
		return out, s
	}
	out, s := rsync()
	t.Logf("first rsync -a of %d files, %d symlinks, %d directories: %v", len(ti.files), len(ti.links), len(ti.dirs), s)
	if !strings.Contains(out, "Number of regular files transferred: "+itoa(len(ti.files))+"\n") {
		t.Errorf("first rsync did not transfer the %d files:\n%s", len(ti.files), clip(out))
	}
	compareSnapshots(t, "the mount after rsync -a vs the source", snapshot(t, e.path("dst"), true), snapshot(t, src, true))

	for _, when := range []string{"second run", "after remount"} {
		if when == "after remount" {
			e.remount()
		}
		out, s := rsync()
		if !strings.Contains(out, "Number of regular files transferred: 0\n") {
			t.Errorf("rsync -a, %s: files were transferred again:\n%s", when, clip(out))
		}
		if items := itemized(out); len(items) > 0 {
			t.Errorf("rsync -a, %s: %d items changed, want none:\n%s", when, len(items), clip(strings.Join(items, "\n")))
		}
		wantWrites(t, "rsync -a, "+when, s, nil)
	}
}

// itemized returns the --itemize-changes lines of rsync's output: those
// before its --stats block.
func itemized(out string) []string {
	var items []string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "Number of files:") {
			break
		}
		if line != "" {
			items = append(items, line)
		}
	}
	return items
}

// TestTarRoundTrip extracts an archive into the mount with tar x and
// archives the result with tar c: both archives list the same entries with
// the same modes, owners, sizes, times and link targets, and hold the same
// contents, also after a remount.
func TestTarRoundTrip(t *testing.T) {
	e := newEnv(t)
	tmp := t.TempDir()
	writeTree(t, filepath.Join(tmp, "tree"), treeSpec{tops: 2, subs: 2, leaves: 2, files: 8, rich: true})
	harness.Run(t, tmp, "tar", "--numeric-owner", "-cf", "in.tar", "tree")
	listing := func(archive string) []string {
		return sortedLines(harness.Run(t, tmp, "tar", "--numeric-owner", "--full-time", "-tvf", archive))
	}
	want := listing("in.tar")
	harness.Run(t, tmp, "tar", "-xf", "in.tar", "-C", e.m.Dir)

	for _, when := range []string{"", " after remount"} {
		if when != "" {
			e.remount()
		}
		harness.Run(t, tmp, "tar", "--numeric-owner", "-cf", "out.tar", "-C", e.m.Dir, "tree")
		if got := listing("out.tar"); strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("tar tv of the archive made from the mount%s differs from the original's: %s", when, firstDifference(got, want))
		}
		harness.Run(t, tmp, "sh", "-c", "rm -rf back && mkdir back && tar -xf out.tar -C back")
		if r := harness.Exec(t, tmp, "diff", "-r", "--no-dereference", "tree", "back/tree"); r.ExitCode != 0 {
			t.Errorf("diff -r of the source and the tree archived from the mount%s: exit %d\n%s%s", when, r.ExitCode, clip(r.Stdout), r.Stderr)
		}
	}
}

// firstDifference describes where two sorted lists first differ.
func firstDifference(got, want []string) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return "got " + strconv.Quote(got[i]) + ", want " + strconv.Quote(want[i])
		}
	}
	switch {
	case len(got) > len(want):
		return "extra " + strconv.Quote(got[len(want)])
	case len(got) < len(want):
		return "missing " + strconv.Quote(want[len(got)])
	}
	return "none"
}

// readLocal reads a local (not mounted) file.
func readLocal(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// clip shortens long tool output for a failure message.
func clip(s string) string {
	const max = 4 << 10
	if len(s) > max {
		return s[:max] + "\n[... " + itoa(len(s)-max) + " more bytes]"
	}
	return s
}
