package readwrite

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ossfuse/ossfuse/integration/harness"
	"github.com/ossfuse/ossfuse/ossio"
)

// uploadOps are the requests that write file content.
const uploadOps = `["PutObject","InitiateMultipartUpload","UploadPart","CompleteMultipartUpload","AppendObject"]`

// faults sets the emulator's faults for the rest of the test.
func (e *env) faults(json string) {
	e.t.Helper()
	e.emu.SetFaults(e.t, json)
	e.t.Cleanup(func() { e.emu.SetFaults(e.t, `{}`) })
}

// TestUploadsRetriedAfter503 makes the first uploads fail with 503: close
// still succeeds (the client retries), and the bucket holds the data.
func TestUploadsRetriedAfter503(t *testing.T) {
	e := newEnv(t)
	p := harness.Pattern{Seed: 503}
	local := filepath.Join(t.TempDir(), "src")
	if err := p.WriteFile(local, 20<<20); err != nil {
		t.Fatal(err)
	}
	e.faults(`{"failRate":1,"failCodes":["503"],"maxFailures":2,"failOps":` + uploadOps + `}`)
	s := e.measure(func() {
		must(t, "write small", func() error { return os.WriteFile(e.path("small"), []byte("survives\n"), 0o644) })
		harness.Run(t, e.m.Dir, "cp", local, "large")
	})
	if s.InjectedFaults != 2 || s.Errors["ServiceUnavailable"] != 2 {
		t.Errorf("faults injected %d, 503s answered %v; want 2 of each", s.InjectedFaults, s.Errors)
	}
	if got := e.body("small"); string(got) != "survives\n" {
		t.Errorf("small in the bucket = %q", got)
	}
	if got := e.body("large"); !equalBytes(got, p.Bytes(0, 20<<20)) {
		t.Errorf("large in the bucket differs from what cp wrote")
	}
}

// TestFailedUploadKeepsData makes every PutObject fail: fsync and close
// return EIO, the data stays readable through the mount, and once the
// server recovers a later fsync uploads it.
func TestFailedUploadKeepsData(t *testing.T) {
	e := newEnv(t)
	e.faults(`{"failRate":1,"failCodes":["503"],"failOps":["PutObject"]}`)

	var f *os.File
	must(t, "create f", func() (err error) { f, err = os.Create(e.path("f")); return err })
	defer f.Close()
	must(t, "write f", func() error { _, err := f.WriteString("precious\n"); return err })
	if err := bounded(t, "fsync f", f.Sync); !errors.Is(err, syscall.EIO) {
		t.Fatalf("fsync while every upload fails: %v, want EIO", err)
	}
	if err := bounded(t, "write g", func() error { return os.WriteFile(e.path("g"), []byte("also kept\n"), 0o644) }); !errors.Is(err, syscall.EIO) {
		t.Fatalf("close while every upload fails: %v, want EIO", err)
	}
	if got := run(t, e.m.Dir, "cat f g"); got != "precious\nalso kept\n" {
		t.Errorf("cat f g after the failed uploads = %q; the data must stay", got)
	}
	if e.exists("f") || e.exists("g") {
		t.Errorf("f or g exists in the bucket although every upload failed")
	}

	e.emu.SetFaults(t, `{}`)
	must(t, "fsync f again", f.Sync)
	if got := e.body("f"); string(got) != "precious\n" {
		t.Errorf("f in the bucket after the server recovered = %q", got)
	}
	must(t, "open g and fsync", func() error {
		g, err := os.OpenFile(e.path("g"), os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		defer g.Close()
		return g.Sync()
	})
	if got := e.body("g"); string(got) != "also kept\n" {
		t.Errorf("g in the bucket after the server recovered = %q", got)
	}
}

// TestUnmountSavesWhatCannotBeUploaded unmounts while a file's upload
// keeps failing: ossfuse exits non-zero and the file's content is in the
// recovery directory, named in the log.
func TestUnmountSavesWhatCannotBeUploaded(t *testing.T) {
	recovery := t.TempDir()
	e := newEnv(t, harness.WithOptions("recovery_dir="+recovery))
	e.faults(`{"failRate":1,"failCodes":["503"],"failOps":["PutObject"]}`)
	if err := bounded(t, "write lost", func() error { return os.WriteFile(e.path("dir-less"), []byte("rescue me\n"), 0o644) }); !errors.Is(err, syscall.EIO) {
		t.Fatalf("close while every upload fails: %v, want EIO", err)
	}
	err := e.m.Unmount()
	if err == nil || !strings.Contains(err.Error(), "exit status 1") {
		t.Errorf("unmount with data not uploaded: %v; want ossfuse to exit with status 1", err)
	}
	saved, _ := filepath.Glob(filepath.Join(recovery, "*", e.prefix, "dir-less"))
	if len(saved) != 1 {
		t.Fatalf("recovery directory holds %v, want one copy of dir-less\nlog:\n%s", saved, e.m.Log())
	}
	if b, err := os.ReadFile(saved[0]); err != nil || string(b) != "rescue me\n" {
		t.Errorf("recovered copy: %q, %v", b, err)
	}
	if !strings.Contains(e.m.Log(), saved[0]) {
		t.Errorf("the log does not name the recovered file %s:\n%s", saved[0], e.m.Log())
	}
	if st, err := os.Stat(saved[0]); err == nil && st.Mode().Perm()&0o077 != 0 {
		t.Errorf("recovered copy has mode %v; others must not read it", st.Mode())
	}
}

// TestKillDuringLargeWrite kills ossfuse with SIGKILL while a large
// write over an existing object is streaming: the bucket keeps the old
// object, never a part of the new one.
func TestKillDuringLargeWrite(t *testing.T) {
	e := newEnv(t, harness.WithPlainBuild())
	if _, err := e.c.PutObject(e.ctx(), ossio.PutRequest{Key: e.key("big"), Body: strings.NewReader("old content\n"), Size: 12}); err != nil {
		t.Fatal(err)
	}
	e.emu.ResetStats(t)
	// Throttled so that the kill lands while parts are going up.
	e.faults(`{"bandwidth":67108864}`)
	// A writer that truncates and writes without closing (tools that move
	// their descriptor with dup2 close it once first, which uploads the
	// truncated, empty file: a legitimate state, but not this test's).
	f, err := os.OpenFile(e.path("big"), os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	done := make(chan error, 1)
	go func() {
		chunk := make([]byte, 1<<20)
		for i := 0; i < 512; i++ {
			if _, err := f.Write(chunk); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	deadline := time.Now().Add(2 * time.Minute)
	for e.emu.Stats(t).Requests["UploadPart"] < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("no 3 parts uploaded within 2 minutes: %v", e.emu.Stats(t))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := syscall.Kill(e.m.Pid(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done: // the writer fails: the mount is gone
	case <-time.After(time.Minute):
		t.Fatalf("the writer still runs a minute after ossfuse was killed")
	}
	s := e.emu.Stats(t)
	if s.Requests["CompleteMultipartUpload"] != 0 {
		t.Fatalf("the upload completed before the kill (%v); the test proves nothing", s)
	}
	info := e.head("big")
	if got := e.body("big"); string(got) != "old content\n" || info.Type != ossio.TypeNormal {
		t.Errorf("after kill -9 mid-write the bucket holds %d bytes (%q...) of type %s; want the old object", len(got), got[:min(len(got), 16)], info.Type)
	}
}

func equalBytes(a, b []byte) bool { return string(a) == string(b) }

// TestUnuploadedFileStaysVisible keeps a new file's upload failing while
// the mount's caches expire at once (attr_ttl=1ms): the file is in OSS
// nowhere, yet lookups, ls and cat still find it and its data, from the
// mount's own stage.
func TestUnuploadedFileStaysVisible(t *testing.T) {
	e := newEnv(t, harness.WithOptions("attr_ttl=1ms", "entry_ttl=1ms", "negative_ttl=1ms"))
	e.faults(`{"failRate":1,"failCodes":["503"],"failOps":["PutObject"]}`)
	if err := bounded(t, "write g", func() error { return os.WriteFile(e.path("g"), []byte("only here\n"), 0o644) }); !errors.Is(err, syscall.EIO) {
		t.Fatalf("close while every upload fails: %v, want EIO", err)
	}
	if e.exists("g") {
		t.Fatal("g exists in the bucket although every upload failed")
	}
	if got := run(t, e.m.Dir, "ls; cat g; stat -c %s g"); got != "g\nonly here\n10\n" {
		t.Errorf("ls; cat g; stat g = %q; the file must stay visible with its data", got)
	}
	e.emu.SetFaults(t, `{}`)
	must(t, "open g and fsync", func() error {
		g, err := os.OpenFile(e.path("g"), os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		defer g.Close()
		return g.Sync()
	})
	if got := e.body("g"); string(got) != "only here\n" {
		t.Errorf("g in the bucket after the server recovered = %q", got)
	}
}
