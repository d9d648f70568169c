package readonly

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"syscall"
	"testing"

	"github.com/hanwen/go-fuse/v2/fuse"
	"github.com/hanwen/go-fuse/v2/posixtest"
	"golang.org/x/sys/unix"
)

// Of go-fuse's posixtest suite only ReadDirConsistency reads without
// writing: it reads a directory twice with getdents and wants the same
// entries (names, inodes, types, offsets). Every other test creates files
// first (ReadDirBasic and DirSeek included), so for a read-only mount
// TestDirSeek and TestReaddirEveryNameOnce port their checks to seeded
// directories.
func TestPosixReadDirConsistency(t *testing.T) {
	f := setup(t)
	m := f.mount(t)
	for _, dir := range []string{"", "data", "data/unicode", "ttt", "many"} {
		t.Run("dir="+dir, func(t *testing.T) {
			posixtest.ReadDirConsistency(t, m.Path(dir))
		})
	}
}

// TestDirSeek is the seek half of posixtest.DirSeek (xfstests generic/257)
// on ttt/, seeded with the 168 entries DirSeek would have created: read
// all entries with getdents, then for each entry from the last, lseek to
// the previous entry's offset and check that getdents returns that entry.
func TestDirSeek(t *testing.T) {
	f := setup(t)
	m := f.mount(t)
	fd, err := syscall.Open(m.Path("ttt"), syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	all, err := readDirents(fd, 4096)
	if err != nil {
		t.Fatalf("getdents ttt: %v", err)
	}
	checkNames(t, all, tttNames())
	buf := make([]byte, 4096)
	for i := len(all) - 1; i >= 0; i-- {
		var seekTo int64
		if i > 0 {
			seekTo = int64(all[i-1].Off)
		}
		if _, err := unix.Seek(fd, seekTo, 0); err != nil {
			t.Fatalf("lseek ttt to %d: %v", seekTo, err)
		}
		n, err := unix.ReadDirent(fd, buf)
		if err != nil {
			t.Fatalf("getdents after lseek to %d: %v", seekTo, err)
		}
		if n == 0 {
			t.Errorf("getdents after lseek to %d (entry %d, %q) returned nothing", seekTo, i, all[i].Name)
			continue
		}
		var de fuse.DirEntry
		de.Parse(buf[:n])
		if !reflect.DeepEqual(de, all[i]) {
			t.Errorf("entry %d after lseek to %d: got %v, want %v", i, seekTo, de, all[i])
		}
	}
}

// TestReaddirEveryNameOnce reads the 2500-entry directory with getdents
// into buffers of several sizes (so the kernel asks for it in many small
// pieces) and wants every name exactly once, "." and ".." included.
func TestReaddirEveryNameOnce(t *testing.T) {
	f := setup(t)
	m := f.mount(t)
	want := []string{".", ".."}
	for i := range manyN {
		want = append(want, manyKey(i)[len("many/"):])
	}
	for _, size := range []int{512, 4096, 65536} {
		t.Run(fmt.Sprintf("buf=%d", size), func(t *testing.T) {
			fd, err := syscall.Open(m.Path("many"), syscall.O_RDONLY|syscall.O_DIRECTORY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer syscall.Close(fd)
			all, err := readDirents(fd, size)
			if err != nil {
				t.Fatalf("getdents many: %v", err)
			}
			checkNames(t, all, want)
			for _, e := range all {
				if e.Name != "." && e.Name != ".." && e.Mode&syscall.S_IFMT != syscall.S_IFREG {
					t.Errorf("%s: d_type mode %#o, want a regular file", e.Name, e.Mode)
					break
				}
			}
		})
	}
}

// readDirents reads every entry of the open directory fd with getdents
// into a buffer of bufSize bytes.
func readDirents(fd, bufSize int) ([]fuse.DirEntry, error) {
	buf := make([]byte, bufSize)
	var out []fuse.DirEntry
	for {
		n, err := unix.ReadDirent(fd, buf)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return out, nil
		}
		for todo := buf[:n]; len(todo) > 0; {
			var de fuse.DirEntry
			todo = todo[de.Parse(todo):]
			out = append(out, de)
		}
	}
}

// checkNames wants the entries' names to be exactly want, each once.
func checkNames(t *testing.T, entries []fuse.DirEntry, want []string) {
	t.Helper()
	seen := map[string]int{}
	for _, e := range entries {
		seen[e.Name]++
	}
	for name, n := range seen {
		if n > 1 {
			t.Errorf("getdents returned %q %d times", name, n)
		}
	}
	wantSet := map[string]bool{}
	for _, name := range want {
		wantSet[name] = true
		if seen[name] == 0 {
			t.Errorf("getdents did not return %q", name)
		}
	}
	var extra []string
	for name := range seen {
		if !wantSet[name] {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	if len(extra) > 0 {
		t.Errorf("getdents returned unexpected names %q", extra)
	}
}

// tttNames are the names in ttt/, with "." and "..".
func tttNames() []string {
	out := []string{".", ".."}
	for i := 1; i <= tttN; i++ {
		out = append(out, strconv.Itoa(i))
	}
	return out
}
