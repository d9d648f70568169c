package faults

import (
	"bufio"
	"crypto/md5"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/ossfuse/ossfuse/integration/harness"
)

// srcFile is one file of a source tree: its path relative to the tree's
// root, its size and MD5, and the Pattern seed of its content.
type srcFile struct {
	rel  string
	size int64
	sum  [md5.Size]byte
	seed uint64
}

// tree is a local directory of deterministic files that a test copies
// into the mount.
type tree struct {
	root  string
	files []srcFile
}

// treeSpec says what makeTree creates: dirs directories of perDir small
// files (0 to 96 KiB, some empty), or perDir files in the root when dirs
// is 0, plus one file per entry of big in the root.
type treeSpec struct {
	dirs, perDir int
	big          []int64
}

// makeTree writes the tree of spec under a fresh directory (mode 0755, as
// a user's tree would be).
func makeTree(t *testing.T, spec treeSpec) tree {
	t.Helper()
	tr := tree{root: filepath.Join(t.TempDir(), "src")}
	dirs := []string{""}
	if spec.dirs > 0 {
		dirs = nil
		for i := range spec.dirs {
			dirs = append(dirs, fmt.Sprintf("d%02d/", i))
		}
	}
	if err := os.Mkdir(tr.root, 0o755); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, dir := range dirs {
		if dir != "" {
			if err := os.Mkdir(filepath.Join(tr.root, dir), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		for i := range spec.perDir {
			size := int64(n*7919+13) % (96 << 10)
			if n%17 == 0 {
				size = 0
			}
			tr.files = append(tr.files, srcFile{rel: fmt.Sprintf("%sf%03d.dat", dir, i), size: size, seed: uint64(1000 + n)})
			n++
		}
	}
	for i, size := range spec.big {
		tr.files = append(tr.files, srcFile{rel: fmt.Sprintf("big%d.bin", i), size: size, seed: uint64(1<<32 + i)})
	}
	for i := range tr.files {
		f := &tr.files[i]
		sum, err := writePattern(filepath.Join(tr.root, f.rel), harness.Pattern{Seed: f.seed}, f.size)
		if err != nil {
			t.Fatal(err)
		}
		f.sum = sum
	}
	return tr
}

// file returns the file rel of the tree.
func (tr tree) file(rel string) (srcFile, bool) {
	for _, f := range tr.files {
		if f.rel == rel {
			return f, true
		}
	}
	return srcFile{}, false
}

// only returns the tree restricted to the files rels.
func (tr tree) only(rels []string) tree {
	out := tree{root: tr.root}
	for _, rel := range rels {
		if f, ok := tr.file(rel); ok {
			out.files = append(out.files, f)
		}
	}
	return out
}

// keysOf returns the keys of m, sorted.
func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// writePattern writes the first size bytes of p to path and returns their MD5.
func writePattern(path string, p harness.Pattern, size int64) ([md5.Size]byte, error) {
	var sum [md5.Size]byte
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return sum, err
	}
	h := md5.New()
	w := bufio.NewWriterSize(f, 1<<20)
	if _, err := io.Copy(io.MultiWriter(w, h), p.Reader(size)); err != nil {
		f.Close()
		return sum, err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return sum, err
	}
	copy(sum[:], h.Sum(nil))
	return sum, f.Close()
}

// patternMD5 returns the MD5 of the first size bytes of p.
func patternMD5(p harness.Pattern, size int64) [md5.Size]byte {
	var sum [md5.Size]byte
	h := md5.New()
	_, _ = io.CopyBuffer(h, p.Reader(size), make([]byte, 1<<20))
	copy(sum[:], h.Sum(nil))
	return sum
}
