package cli

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

// frozenRequestTimeout is the request_timeout of TestServerThatStopsAnswering:
// short, so that the test is quick, and far above a loopback round trip.
const frozenRequestTimeout = 2 * time.Second

// TestServerThatStopsAnswering mounts with request_timeout=2s and stops the
// emulator with SIGSTOP (it keeps accepting connections and answers
// nothing, as a hung server): the close of a written file, a read, a
// lookup and a listing not cached fail with ETIMEDOUT instead of
// hanging, each within a generous multiple of the bound a request fails
// within; SIGTERM then ends ossfuse within the shutdown's bound, after one
// upload attempt of each dirty file, and what it could not upload is in
// recovery_dir.
//
// The files are written by this process and no command is run once they
// are open: a fork copies the descriptors, and the child's close of them
// at exec is a flush.
func TestServerThatStopsAnswering(t *testing.T) {
	emu := harness.StartEmulator(t)
	seed(t, emu, "dir/old.txt", "seeded\n")
	seed(t, emu, "read.txt", "read once the server is stopped\n")
	recovery := newDir(t, "recovered")
	m := harness.Mount(t, emu, harness.WithOptions("request_timeout="+frozenRequestTimeout.String(), "recovery_dir="+recovery))
	// A request fails within bound; a close, a lookup or a listing costs
	// one failed request, and this test allows three plus slack for a loaded machine:
	// the point is that nothing waits for minutes.
	bound := ossio.RequestBound(ossio.Config{RequestTimeout: frozenRequestTimeout})
	limit := 3*bound + 10*time.Second

	// Written while the server answers (a create looks the name up):
	// closed.txt is closed once it does not, open.txt stays open.
	const closedContent, openContent = "closed while the server was stopped\n", "open when ossfuse was told to stop\n"
	closed := create(t, m.Path("closed.txt"), closedContent)
	open := create(t, m.Path("open.txt"), openContent)
	t.Cleanup(func() { _ = open.Close() }) // ENOTCONN once ossfuse is gone
	// Opened while the server answers (open revalidates), read once it
	// does not.
	reader, err := os.Open(m.Path("read.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()

	emu.Pause(t)

	elapsed, err := within(t, limit+time.Minute, "close", closed.Close)
	t.Logf("close of a written file, server stopped: %v after %v", err, elapsed)
	if !errors.Is(err, syscall.ETIMEDOUT) || elapsed > limit {
		t.Errorf("close: %v after %v; want ETIMEDOUT within %v", err, elapsed, limit)
	}

	// A read costs four failed requests: the kernel sends the READ twice
	// (its readahead, then the page alone), and the reader retries a
	// failed GET once.
	readLimit := 3*4*bound + 10*time.Second
	elapsed, err = within(t, readLimit+time.Minute, "read", func() error { _, err := reader.Read(make([]byte, 64)); return err })
	t.Logf("read of a file not cached, server stopped: %v after %v", err, elapsed)
	if !errors.Is(err, syscall.ETIMEDOUT) || elapsed > readLimit {
		t.Errorf("read: %v after %v; want ETIMEDOUT within %v", err, elapsed, readLimit)
	}

	// What ls does: look the directory up, open it, read it. dir was never
	// looked up: its lookup fails. The root needs no lookup and was never
	// listed: its listing fails.
	for _, dir := range []string{"dir", ""} {
		elapsed, err = within(t, limit+time.Minute, "listing", func() error { _, err := os.ReadDir(m.Path(dir)); return err })
		t.Logf("listing of directory %q, not cached, server stopped: %v after %v", dir, err, elapsed)
		if !errors.Is(err, syscall.ETIMEDOUT) || elapsed > limit {
			t.Errorf("listing %q: %v after %v; want ETIMEDOUT within %v", dir, err, elapsed, limit)
		}
	}

	// The shutdown: one upload attempt of each dirty file (FlushAll),
	// failing as one request does; the mount is busy (open.txt), so it is
	// detached and gets its 5 s; then Close saves the files without
	// trying again.
	stopBound := 5*time.Second + 2*bound
	stopLimit := 3*stopBound + 10*time.Second
	uploads := failedUploads(m.Log(), "open.txt")
	start := time.Now()
	if err := syscall.Kill(m.Pid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err = m.WaitExit(stopLimit)
	elapsed = time.Since(start)
	t.Logf("SIGTERM to exit, server stopped: %v after %v", err, elapsed)
	if err == nil || !strings.Contains(err.Error(), "exit status 1") {
		t.Errorf("after SIGTERM: %v; want exit status 1 (files could not be uploaded)", err)
	}
	if elapsed > stopLimit {
		t.Errorf("SIGTERM took %v, want within %v", elapsed, stopLimit)
	}
	if n := failedUploads(m.Log(), "open.txt") - uploads; n != 1 {
		t.Errorf("%d failed uploads of open.txt after SIGTERM, want 1 (FlushAll's; none more at Close)", n)
	}

	saved, _ := filepath.Glob(filepath.Join(recovery, "*", "open.txt"))
	if len(saved) != 1 {
		t.Fatalf("recovery_dir holds %v, want one copy of open.txt\nlog:\n%s", saved, m.Log())
	}
	if b, err := os.ReadFile(saved[0]); err != nil || string(b) != openContent {
		t.Errorf("recovered copy: %q, %v; want %q", b, err, openContent)
	}
	if !strings.Contains(m.Log(), saved[0]) {
		t.Errorf("the log does not name the recovered file %s", saved[0])
	}
	// Its content, at least: the filesystem names a recovered file by the
	// key of its inode's path, and the kernel may have forgotten a closed
	// file's inode by then (an fs matter, beyond this test).
	if where := findContent(t, recovery, closedContent); where == "" {
		t.Errorf("the content of closed.txt is nowhere in recovery_dir\nlog:\n%s", m.Log())
	} else if filepath.Base(where) != "closed.txt" {
		t.Logf("closed.txt was recovered as %s", where)
	}
}

// create creates path, writes content and returns the open file; no
// close, so no flush: what was written is dirty in ossfuse only.
func create(t *testing.T, path, content string) *os.File {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(content); err != nil {
		t.Fatal(err)
	}
	return f
}

// within runs call, which may block in the mount, and returns how long it
// took and its error; it fails the test if call has not returned by
// timeout (its goroutine then ends with the mount).
func within(t *testing.T, timeout time.Duration, what string, call func() error) (time.Duration, error) {
	t.Helper()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- call() }()
	select {
	case err := <-done:
		return time.Since(start), err
	case <-time.After(timeout):
		t.Fatalf("%s still blocked after %v", what, timeout)
		return 0, nil
	}
}

// findContent returns a file under dir holding exactly content, or "".
func findContent(t *testing.T, dir, content string) string {
	t.Helper()
	found := ""
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if b, rerr := os.ReadFile(p); rerr == nil && string(b) == content {
				found = p
			}
		}
		return nil
	})
	return found
}

// failedUploads counts the log's lines of PutObject calls of key that
// failed for good (one per call, whatever its retries).
func failedUploads(log, key string) int {
	n := 0
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, `msg="OSS request failed: `) && strings.Contains(line, " op=PutObject") && strings.Contains(line, " key="+key+" ") {
			n++
		}
	}
	return n
}
