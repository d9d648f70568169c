package readwrite

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ossfuse/ossfuse/integration/harness"
)

// treeSpec shapes a generated local tree: tops directories, each with subs
// subdirectories, each with leaves leaf directories of files files.
type treeSpec struct {
	tops, subs, leaves, files int
	// rich adds what rsync -a and tar carry beyond content: varied file and
	// directory modes, fixed mtimes on everything, symlinks and empty
	// directories.
	rich bool
}

// treeInfo tells what writeTree made: paths relative to the tree's root,
// directories with a trailing "/".
type treeInfo struct {
	files, dirs, links []string
}

// writeTree generates the tree under root (which must not exist). Names
// hold spaces and non-ASCII letters; sizes run from 0 to 6 KB.
func writeTree(t *testing.T, root string, s treeSpec) treeInfo {
	t.Helper()
	var ti treeInfo
	mkdir := func(rel string, perm os.FileMode) {
		if err := os.Mkdir(filepath.Join(root, rel), perm); err != nil {
			t.Fatal(err)
		}
		ti.dirs = append(ti.dirs, rel+"/")
	}
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	idx := 0
	for i := range s.tops {
		top := fmt.Sprintf("top %d", i)
		mkdir(top, 0o755)
		if s.rich {
			mkdir(top+"/empty", 0o755)
			ti.links = append(ti.links, top+"/abs-link", top+"/dangling")
			mustSymlink(t, "/etc/hostname", filepath.Join(root, top, "abs-link"))
			mustSymlink(t, "../no/such/file", filepath.Join(root, top, "dangling"))
		}
		for j := range s.subs {
			sub := fmt.Sprintf("%s/sub-%d", top, j)
			perm := os.FileMode(0o755)
			if s.rich && j == 1 {
				perm = 0o700
			}
			mkdir(sub, perm)
			for k := range s.leaves {
				leaf := fmt.Sprintf("%s/léaf %d", sub, k)
				mkdir(leaf, 0o755)
				for f := range s.files {
					name := fmt.Sprintf("%s/f%03d.txt", leaf, f)
					if f == 1 {
						name = fmt.Sprintf("%s/ünïcode %d.txt", leaf, f)
					}
					writeGenerated(t, filepath.Join(root, name), idx, s.rich)
					ti.files = append(ti.files, name)
					idx++
				}
				if s.rich {
					ti.links = append(ti.links, leaf+"/link")
					mustSymlink(t, "f000.txt", filepath.Join(root, leaf, "link"))
				}
			}
		}
	}
	if s.rich { // directory times last: making their entries moved them
		for i := len(ti.dirs) - 1; i >= 0; i-- {
			mt := time.Unix(1500000000+int64(i)*3600, 0)
			if err := os.Chtimes(filepath.Join(root, ti.dirs[i]), mt, mt); err != nil {
				t.Fatal(err)
			}
		}
	}
	return ti
}

// writeGenerated writes file number idx of a generated tree.
func writeGenerated(t *testing.T, path string, idx int, rich bool) {
	t.Helper()
	size := idx * 977 % 6000
	if idx%97 == 0 {
		size = 0
	}
	perm := os.FileMode(0o644)
	if rich {
		perm = []os.FileMode{0o644, 0o600, 0o755, 0o640}[idx%4]
	}
	if err := os.WriteFile(path, harness.Pattern{Seed: uint64(idx + 1)}.Bytes(0, size), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil { // the umask took bits
		t.Fatal(err)
	}
	if rich {
		mt := time.Unix(1600000000+int64(idx)*61, 0)
		if err := os.Chtimes(path, mt, mt); err != nil {
			t.Fatal(err)
		}
	}
}

func mustSymlink(t *testing.T, target, path string) {
	t.Helper()
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
	ts := []unix.Timespec{{Sec: 1550000000}, {Sec: 1550000000}}
	if err := unix.UtimesNanoAt(unix.AT_FDCWD, path, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		t.Fatal(err)
	}
}

// nodeState is what a snapshot keeps of one path.
type nodeState struct {
	Mode     uint32 // st_mode
	Uid, Gid uint32
	Size     int64 // 0 for directories, whose size is the filesystem's business
	Mtime    int64 // seconds; for directories only when the snapshot asks
	Target   string
	Sum      [32]byte // of a regular file's content
}

// snapshot records every path under root (relative, root itself as "."),
// reading every file. It runs bounded: a hung mount fails the test.
func snapshot(t *testing.T, root string, dirMtimes bool) map[string]nodeState {
	t.Helper()
	out := map[string]nodeState{}
	must(t, "snapshot of "+root, func() error {
		return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			var st syscall.Stat_t
			if err := syscall.Lstat(p, &st); err != nil {
				return fmt.Errorf("lstat %s: %w", p, err)
			}
			n := nodeState{Mode: st.Mode, Uid: st.Uid, Gid: st.Gid, Size: st.Size, Mtime: st.Mtim.Sec}
			switch st.Mode & syscall.S_IFMT {
			case syscall.S_IFDIR:
				n.Size = 0
				if !dirMtimes {
					n.Mtime = 0
				}
			case syscall.S_IFLNK:
				if n.Target, err = os.Readlink(p); err != nil {
					return err
				}
			case syscall.S_IFREG:
				b, err := os.ReadFile(p)
				if err != nil {
					return err
				}
				n.Sum = sha256.Sum256(b)
			}
			rel, _ := filepath.Rel(root, p)
			out[rel] = n
			return nil
		})
	})
	return out
}

// compareSnapshots reports every path that differs between got and want
// (at most 20, then a count).
func compareSnapshots(t *testing.T, what string, got, want map[string]nodeState) {
	t.Helper()
	var diffs []string
	for p, w := range want {
		g, ok := got[p]
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("%q missing", p))
		case g != w:
			diffs = append(diffs, fmt.Sprintf("%q: got %s, want %s", p, g, w))
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			diffs = append(diffs, fmt.Sprintf("%q unexpected", p))
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 20 {
		diffs = append(diffs[:20], fmt.Sprintf("... and %d more", len(diffs)-20))
	}
	if len(diffs) > 0 {
		t.Errorf("%s: %d paths differ:\n%s", what, len(diffs), strings.Join(diffs, "\n"))
	}
}

func (n nodeState) String() string {
	s := fmt.Sprintf("mode %#o %d:%d size %d mtime %d", n.Mode, n.Uid, n.Gid, n.Size, n.Mtime)
	if n.Target != "" {
		s += " -> " + n.Target
	}
	if n.Mode&syscall.S_IFMT == syscall.S_IFREG {
		s += fmt.Sprintf(" sha256 %x", n.Sum[:6])
	}
	return s
}
