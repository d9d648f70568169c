// Package emucrash checks that ossemu's directory store survives kill -9:
// an upload cut off by the kill leaves the old object, never a part of the
// new one, and everything committed before the kill is there after a
// restart.
package emucrash

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// emulator is a running ossemu process.
type emulator struct {
	cmd  *exec.Cmd
	base string // http://127.0.0.1:PORT
}

func buildEmulator(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ossemu")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/ossfuse/ossfuse/cmd/ossemu").CombinedOutput()
	if err != nil {
		t.Fatalf("go build ossemu: %v\n%s", err, out)
	}
	return bin
}

func start(t *testing.T, bin string, args ...string) *emulator {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--addr", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- line
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case line := <-lines:
		base, ok := strings.CutPrefix(strings.TrimSpace(line), "ossemu listening on ")
		if !ok {
			t.Fatalf("ossemu printed %q", line)
		}
		return &emulator{cmd: cmd, base: base}
	case <-time.After(30 * time.Second):
		t.Fatal("ossemu did not start within 30 s")
	}
	return nil
}

func (e *emulator) do(t *testing.T, method, path string, body io.Reader) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func (e *emulator) bytesIn(t *testing.T) int64 {
	t.Helper()
	_, body := e.do(t, http.MethodGet, "/_ossemu/stats", nil)
	var st struct {
		BytesIn int64 `json:"bytesIn"`
	}
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatalf("stats %s: %v", body, err)
	}
	return st.BytesIn
}

func TestKill9DuringUploadKeepsOldObject(t *testing.T) {
	bin := buildEmulator(t)
	dir := t.TempDir()
	// 1 MiB/s makes the 8 MiB upload take about 8 s, so the kill lands in
	// the middle of it.
	e := start(t, bin, "--bucket", "crash", "--data-dir", dir, "--bandwidth", "1MiB")
	old := bytes.Repeat([]byte("old version\n"), 100)
	if code, body := e.do(t, http.MethodPut, "/crash/obj", bytes.NewReader(old)); code != 200 {
		t.Fatalf("PUT old: %d %s", code, body)
	}
	if code, body := e.do(t, http.MethodPost, "/crash/log?append&position=0", strings.NewReader("first,")); code != 200 {
		t.Fatalf("append: %d %s", code, body)
	}
	if code, body := e.do(t, http.MethodPut, "/crash/dir/", strings.NewReader("")); code != 200 {
		t.Fatalf("PUT marker: %d %s", code, body)
	}
	base := e.bytesIn(t)

	// Start overwriting obj with 8 MiB and kill -9 once 1 MiB has arrived.
	newBody := bytes.Repeat([]byte("NEW"), 8<<20/3)
	uploadDone := make(chan struct{})
	go func() {
		defer close(uploadDone)
		req, _ := http.NewRequest(http.MethodPut, e.base+"/crash/obj", bytes.NewReader(newBody))
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for e.bytesIn(t)-base < 1<<20 {
		if time.Now().After(deadline) {
			t.Fatal("the upload did not progress within 30 s")
		}
		select {
		case <-uploadDone:
			t.Fatal("the upload finished before the kill; the test did not test anything")
		case <-time.After(20 * time.Millisecond):
		}
	}
	if err := e.cmd.Process.Signal(os.Kill); err != nil {
		t.Fatal(err)
	}
	_ = e.cmd.Wait()
	<-uploadDone

	e2 := start(t, bin, "--bucket", "crash", "--data-dir", dir)
	if code, body := e2.do(t, http.MethodGet, "/crash/obj", nil); code != 200 || !bytes.Equal(body, old) {
		t.Errorf("after kill -9 mid-upload: GET obj = %d, %d bytes; want the old %d bytes", code, len(body), len(old))
	}
	if code, body := e2.do(t, http.MethodGet, "/crash/log", nil); code != 200 || string(body) != "first," {
		t.Errorf("appendable object after restart: %d %q", code, body)
	}
	if code, _ := e2.do(t, http.MethodHead, "/crash/dir/", nil); code != 200 {
		t.Errorf("directory marker after restart: %d", code)
	}
	// The partial upload's data file is gone: only obj's, log's and the
	// marker's files remain.
	files, err := os.ReadDir(filepath.Join(dir, ".data"))
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, f := range files {
		info, _ := f.Info()
		total += info.Size()
	}
	if want := int64(len(old) + len("first,")); total != want {
		t.Errorf("data files hold %d bytes in %d files, want %d: the partial upload was not collected", total, len(files), want)
	}
}
