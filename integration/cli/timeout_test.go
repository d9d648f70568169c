package cli

import (
	"errors"
	"os"
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
// nothing, as a hung server): the close of a written file, a read and a
// listing of a directory not cached fail with ETIMEDOUT instead of hanging, each
// within a generous multiple of the bound a request fails within.
//
// The files are written by this process and no command is run once they
// are open: a fork copies the descriptors, and the child's close of them
// at exec is a flush.
func TestServerThatStopsAnswering(t *testing.T) {
	emu := harness.StartEmulator(t)
	seed(t, emu, "dir/old.txt", "seeded\n")
	seed(t, emu, "read.txt", "read once the server is stopped\n")
	m := harness.Mount(t, emu, harness.WithOptions("request_timeout="+frozenRequestTimeout.String()))
	// A request fails within bound; a close or a listing costs one failed
	// request, and this test allows three plus slack for a loaded machine:
	// the point is that nothing waits for minutes.
	bound := ossio.RequestBound(ossio.Config{RequestTimeout: frozenRequestTimeout})
	limit := 3*bound + 10*time.Second

	// Written while the server answers (a create looks the name up),
	// closed once it does not.
	closed := create(t, m.Path("closed.txt"), "closed while the server was stopped\n")
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

	// What ls does: look the directory up, open it, read it.
	elapsed, err = within(t, limit+time.Minute, "listing", func() error { _, err := os.ReadDir(m.Path("dir")); return err })
	t.Logf("listing of a directory not cached, server stopped: %v after %v", err, elapsed)
	if !errors.Is(err, syscall.ETIMEDOUT) || elapsed > limit {
		t.Errorf("listing dir: %v after %v; want ETIMEDOUT within %v", err, elapsed, limit)
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
