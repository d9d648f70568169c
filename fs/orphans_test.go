package fs

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ossfuse/ossfuse/meta"
	"github.com/ossfuse/ossfuse/ossio"
	"github.com/ossfuse/ossfuse/ossio/ossemu"
)

// writeEnv is an emulator and a cache directory shared by the
// filesystems of a test, as by successive mounts.
type writeEnv struct {
	srv                *ossemu.Server
	client             ossio.Client
	cacheDir, recovery string
}

func newWriteEnv(t *testing.T) *writeEnv {
	t.Helper()
	srv, client := newTestEmulator(t)
	return &writeEnv{srv: srv, client: client, cacheDir: t.TempDir(), recovery: t.TempDir()}
}

// mount is a filesystem over the env, as a new mount would make.
func (e *writeEnv) mount(t *testing.T) *FS {
	t.Helper()
	f, err := New(Options{Client: e.client, CacheDir: e.cacheDir, RecoveryDir: e.recovery, PartSize: ossio.MinPartSize})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// failUploads makes every upload fail until the returned function runs.
func (e *writeEnv) failUploads(t *testing.T) (restore func()) {
	t.Helper()
	ops := []string{"PutObject", "InitiateMultipartUpload", "UploadPart", "UploadPartCopy", "CompleteMultipartUpload"}
	if err := e.srv.SetFaults(ossemu.Faults{FailRate: 1, FailOps: ops}); err != nil {
		t.Fatal(err)
	}
	return func() {
		if err := e.srv.SetFaults(ossemu.Faults{}); err != nil {
			t.Fatal(err)
		}
	}
}

// closeFails closes w as a program's close(2) does while OSS fails.
func closeFails(t *testing.T, w *writer) {
	t.Helper()
	if err := w.flush(context.Background(), flushClose); err == nil {
		t.Fatalf("close of %s succeeded while every upload fails", w.key())
	}
}

// die ends f as kill -9 would: nothing uploaded, nothing removed, its
// lock gone with the process.
func die(f *FS) { f.stageLock.Close() }

func (e *writeEnv) put(t *testing.T, key string, body []byte) {
	t.Helper()
	if _, err := e.client.PutObject(context.Background(), ossio.PutRequest{Key: key, Body: bytes.NewReader(body), Size: int64(len(body))}); err != nil {
		t.Fatal(err)
	}
}

func (e *writeEnv) body(t *testing.T, key string) []byte {
	t.Helper()
	res, err := e.client.GetObject(context.Background(), ossio.GetRequest{Key: key, Length: -1})
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// write writes data at off of the file at p through a writer of f, as a
// program's write(2) through the mount does, and leaves it open.
func write(t *testing.T, f *FS, p string, data []byte, off int64, create bool) *writer {
	t.Helper()
	ctx := context.Background()
	var w *writer
	var err error
	if create {
		w, err = f.newWriter(p, entry{kind: kindFile, key: p, attr: meta.Attr{Mode: meta.ModeRegular | 0o640}}, true)
		if err == nil {
			w.handles, w.writeHandles = 1, 1
			f.writers.add(p, w)
		}
	} else {
		w, err = f.attachWriter(ctx, p, false, true)
	}
	if err != nil {
		t.Fatal(err)
	}
	for len(data) > 0 {
		chunk := data[:min(len(data), 1<<20)]
		if _, err := w.write(ctx, chunk, off); err != nil {
			t.Fatal(err)
		}
		data, off = data[len(chunk):], off+int64(len(chunk))
	}
	return w
}

func testBytes(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i*7+i/4096)
	}
	return b
}

// TestRecoverStagesOfDeadProcess kills a mount (as kill -9 does) while
// it holds files that were closed but could not be uploaded (a new file,
// an in-place overwrite, a sequential write that streamed), one of which
// another client replaced meanwhile, and files still being written (an
// overwrite half done, an O_TRUNC open with nothing written yet). The
// next mount with the same cache_dir uploads the finished files whose
// object is unchanged, saves the rest to the recovery directory under
// their keys without replacing any object by an unfinished one, and
// leaves nothing of the dead mount in cache_dir.
func TestRecoverStagesOfDeadProcess(t *testing.T) {
	e := newWriteEnv(t)
	base := testBytes(3<<20, 1)
	for _, key := range []string{"inplace.bin", "changed.bin", "half.bin", "trunc.bin"} {
		e.put(t, key, base)
	}

	dead := e.mount(t)
	fresh := []byte("a new file, never uploaded\n")
	streamed := testBytes(12<<20, 9) // past two parts: it streams
	half := write(t, dead, "half.bin", []byte("new content, half written"), 0, false)
	if _, err := dead.attachWriter(context.Background(), "trunc.bin", true, true); err != nil {
		t.Fatal(err)
	}
	stream := write(t, dead, "dir/streamed.bin", streamed, 0, true)
	restore := e.failUploads(t)
	closeFails(t, stream)
	closeFails(t, write(t, dead, "new.txt", fresh, 0, true))
	closeFails(t, write(t, dead, "inplace.bin", []byte("XYZ"), 1<<20, false))
	closeFails(t, write(t, dead, "changed.bin", []byte("ours"), 0, false))
	restore()
	e.put(t, "changed.bin", []byte("theirs")) // another client, meanwhile
	_ = half
	die(dead)

	next := e.mount(t)
	defer next.Close(context.Background())
	if err := next.RecoverStages(context.Background()); err != nil {
		t.Fatalf("RecoverStages: %v", err)
	}
	if got := e.body(t, "new.txt"); !bytes.Equal(got, fresh) {
		t.Errorf("new.txt = %q, want %q", got, fresh)
	}
	want := bytes.Clone(base)
	copy(want[1<<20:], "XYZ")
	if got := e.body(t, "inplace.bin"); !bytes.Equal(got, want) {
		t.Errorf("inplace.bin: %d bytes, not the base with XYZ at 1 MiB", len(got))
	}
	if got := e.body(t, "dir/streamed.bin"); !bytes.Equal(got, streamed) {
		t.Errorf("dir/streamed.bin: %d bytes, want the %d written", len(got), len(streamed))
	}
	if got := e.body(t, "changed.bin"); string(got) != "theirs" {
		t.Errorf("changed.bin = %q: the other client's version must stay", got)
	}
	for _, key := range []string{"half.bin", "trunc.bin"} {
		if got := e.body(t, key); !bytes.Equal(got, base) {
			t.Errorf("%s: %d bytes; a file the dead process had not finished must leave the object as it was", key, len(got))
		}
	}
	saved := func(key string) []byte {
		t.Helper()
		found, _ := filepath.Glob(filepath.Join(e.recovery, "*", key))
		if len(found) != 1 {
			t.Errorf("recovery directory holds %v for %s, want one copy", found, key)
			return nil
		}
		b, _ := os.ReadFile(found[0])
		return b
	}
	// The base bytes changed.bin did not write are gone with the old
	// version: the copy has what was written, and zeros there (the log
	// says so).
	wantSaved := make([]byte, len(base))
	copy(wantSaved, "ours")
	if got := saved("changed.bin"); !bytes.Equal(got, wantSaved) {
		t.Errorf("recovered changed.bin: %d bytes starting %q, want %d bytes: our write, then zeros", len(got), got[:min(8, len(got))], len(wantSaved))
	}
	wantHalf := bytes.Clone(base)
	copy(wantHalf, "new content, half written")
	if got := saved("half.bin"); !bytes.Equal(got, wantHalf) {
		t.Errorf("recovered half.bin: %d bytes, want the base with the half-done write", len(got))
	}
	if found, _ := filepath.Glob(filepath.Join(e.recovery, "*", "trunc.bin")); len(found) != 0 {
		t.Errorf("an O_TRUNC open that wrote nothing was saved: %v", found)
	}
	if _, err := os.Stat(dead.stageDir); !os.IsNotExist(err) {
		t.Errorf("the dead mount's stage directory is still there (%v)", err)
	}
}

// TestRecoverStagesLeavesLiveMountsAlone checks that a mount's stages are
// not taken while it runs, and that a stage without a journal (left by an
// older version) is saved under its own name rather than dropped.
func TestRecoverStagesLeavesLiveMountsAlone(t *testing.T) {
	e := newWriteEnv(t)
	live := e.mount(t)
	w := write(t, live, "open.txt", []byte("still being written"), 0, true)
	restore := e.failUploads(t)
	closeFails(t, w) // finished: a dead process's stage would be uploaded
	restore()

	old := filepath.Join(e.cacheDir, "stages-1")
	if err := os.MkdirAll(old, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(old, "5f2a"), []byte("nameless bytes"), 0o600); err != nil {
		t.Fatal(err)
	}

	next := e.mount(t)
	defer next.Close(context.Background())
	if err := next.RecoverStages(context.Background()); err != nil {
		t.Fatalf("RecoverStages: %v", err)
	}
	if _, err := e.client.HeadObject(context.Background(), "open.txt"); err == nil {
		t.Errorf("open.txt was uploaded from a live mount's stage")
	}
	if _, err := os.Stat(live.stagePath(w.id)); err != nil {
		t.Errorf("the live mount's stage is gone: %v", err)
	}
	saved, _ := filepath.Glob(filepath.Join(e.recovery, "*", "stages-1", "5f2a"))
	if len(saved) != 1 {
		t.Fatalf("recovery directory holds %v, want the journal-less stage under its name", saved)
	}
	if b, _ := os.ReadFile(saved[0]); string(b) != "nameless bytes" {
		t.Errorf("saved stage = %q", b)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("the old stage directory is still there (%v)", err)
	}

	// Its upload failed at close: once released it is retried in the
	// background, without a flush or a remount.
	w.release(context.Background(), true)
	deadline := time.Now().Add(time.Minute)
	for {
		if _, err := e.client.HeadObject(context.Background(), "open.txt"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("open.txt not uploaded in the background within a minute")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := e.body(t, "open.txt"); string(got) != "still being written" {
		t.Errorf("open.txt after its background upload = %q", got)
	}
	if err := live.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(e.cacheDir); len(left) != 1 || !strings.HasPrefix(left[0].Name(), stageDirPrefix) {
		t.Errorf("cache_dir holds %v after a clean close; want only the other mount's stage directory", left)
	}
}
