package readwrite

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/ossfuse/ossfuse/ossio"
)

// bigDir is the layout of the directory TestMvDirectory1500 moves: 1500
// files, one marked subdirectory, one implicit subdirectory, and the
// directory's own marker.
func bigDirKeys(top string) []string {
	keys := []string{top + "/", top + "/sub/"}
	for i := range 1200 {
		keys = append(keys, fmt.Sprintf("%s/f%04d", top, i))
	}
	for i := range 200 {
		keys = append(keys, fmt.Sprintf("%s/sub/g%03d", top, i))
	}
	for i := range 100 {
		keys = append(keys, fmt.Sprintf("%s/implicit/h%03d", top, i))
	}
	return keys
}

// bigDirBody is the content of a key of bigDirKeys, named after its path
// below the moved directory, so it is the same before and after the move.
func bigDirBody(key string) []byte {
	_, rel, _ := strings.Cut(key, "/")
	if strings.HasSuffix(key, "/") {
		return nil
	}
	return []byte("entry " + rel + "\n")
}

// seedBigDir writes bigDirKeys(top) into the bucket, 16 at a time.
func (e *env) seedBigDir(top string) []string {
	e.t.Helper()
	keys := bigDirKeys(top)
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for _, k := range keys {
		g.Go(func() error {
			b := bigDirBody(k)
			req := ossio.PutRequest{Key: e.key(k), Body: bytes.NewReader(b), Size: int64(len(b))}
			if strings.HasSuffix(k, "/") {
				req.ContentType = markerType
				req.Meta = map[string]string{"mode": "16877", "uid": "0", "gid": "0", "mtime": "1600000000"}
			}
			_, err := e.c.PutObject(ctx, req)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		e.t.Fatalf("seeding %s/: %v", top, err)
	}
	return keys
}

// TestMvDirectory1500 moves a directory of 1500 files (with a marked and an
// implicit subdirectory) with mv: every key moves once by CopyObject, no
// data passes through the mount, the sources are deleted in batches of
// 1000 (DeleteMultipleObjects), and nothing is left under the old name.
func TestMvDirectory1500(t *testing.T) {
	e := newEnv(t)
	before := e.seedBigDir("big")
	etags := map[string]string{}
	for _, o := range e.list("big/") {
		etags[strings.TrimPrefix(o.Key, "big/")] = o.ETag
	}
	if n := strings.Count(run(t, e.m.Dir, "ls big"), "\n"); n != 1202 {
		t.Fatalf("ls big shows %d entries, want 1202", n)
	}

	start := time.Now()
	s := e.measure(func() { run(t, e.m.Dir, "mv big moved") })
	t.Logf("mv of %d keys took %v: %v", len(before), time.Since(start).Round(time.Millisecond), s)
	n := int64(len(before))
	if got := s.Requests["CopyObject"] + s.Requests["PutObject"]; got != n {
		t.Errorf("mv big moved: %d CopyObject + %d PutObject, want %d in all (one per key)", s.Requests["CopyObject"], s.Requests["PutObject"], n)
	}
	if s.Requests["GetObject"] != 0 || s.Requests["UploadPart"] != 0 || s.Requests["UploadPartCopy"] != 0 {
		t.Errorf("mv big moved moved data through the mount: %v", s)
	}
	if got, want := s.Requests["DeleteMultipleObjects"], (n+999)/1000; got != want || s.Requests["DeleteObject"] != 0 {
		t.Errorf("mv big moved: %d DeleteMultipleObjects and %d DeleteObject, want %d batches and no single deletes",
			got, s.Requests["DeleteObject"], want)
	}

	if left := e.keys("big/"); len(left) > 0 {
		t.Errorf("after mv, %d keys remain under big/, e.g. %q", len(left), left[:min(5, len(left))])
	}
	after := e.list("moved/")
	if len(after) != len(before) {
		t.Errorf("after mv, %d keys under moved/, want %d", len(after), len(before))
	}
	for _, o := range after {
		rel := strings.TrimPrefix(o.Key, "moved/")
		want, ok := etags[rel]
		switch {
		case !ok:
			t.Errorf("after mv, unexpected key %q", o.Key)
		case o.ETag != want:
			t.Errorf("%s: ETag %s, want %s (the source's)", o.Key, o.ETag, want)
		}
	}
	for _, k := range []string{"moved/f0000", "moved/f1199", "moved/sub/g123", "moved/implicit/h042"} {
		if got, want := e.body(k), bigDirBody(k); !bytes.Equal(got, want) {
			t.Errorf("%s in the bucket = %q, want %q", k, got, want)
		}
		if got := run(t, e.m.Dir, "cat "+k); got != string(bigDirBody(k)) {
			t.Errorf("cat %s = %q", k, got)
		}
	}
	fails(t, e.m.Dir, "ls big", "No such file or directory")
	if n := strings.Count(run(t, e.m.Dir, "ls moved"), "\n"); n != 1202 {
		t.Errorf("ls moved shows %d entries, want 1202", n)
	}
	if got := strings.TrimSpace(run(t, e.m.Dir, "find moved -type f | wc -l")); got != "1500" {
		t.Errorf("find moved -type f finds %s files, want 1500", got)
	}
}

// TestMvDirectoryOverDirectory checks rename(2) of a directory onto an
// existing one: onto an empty directory it replaces it; onto a non-empty
// one it fails with ENOTEMPTY and moves nothing.
func TestMvDirectoryOverDirectory(t *testing.T) {
	e := newEnv(t)
	run(t, e.m.Dir, "mkdir -p src/inner empty full && echo a > src/a && echo b > src/inner/b && echo f > full/f")
	s := e.measure(func() { fails(t, e.m.Dir, "mv -T src full", "Directory not empty") })
	wantWrites(t, "mv -T onto a non-empty directory", s, nil)
	for _, k := range []string{"src/", "src/a", "src/inner/b", "full/f"} {
		if !e.exists(k) {
			t.Errorf("a refused rename lost %q", k)
		}
	}

	run(t, e.m.Dir, "mv -T src empty")
	if got := e.keys(""); strings.Join(got, " ") != "empty/ empty/a empty/inner/ empty/inner/b full/ full/f" {
		t.Errorf("keys after mv -T src empty: %q", got)
	}
	if got := run(t, e.m.Dir, "cat empty/a empty/inner/b"); got != "a\nb\n" {
		t.Errorf("cat empty/a empty/inner/b = %q", got)
	}
}
