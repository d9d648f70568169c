// Package nodesmoke runs smoke.js, a smoke test written against the official
// Node SDK (ali-oss), on a freshly built ossemu, so that the emulator is held
// to a second, non-Go client and not only to the Go SDK's leniency.
//
// The test needs node and npm on PATH. Without them it skips, unless
// OSSFUSE_REQUIRE_TOOLS=1, when it fails. It installs the pinned ali-oss
// with "npm ci" when node_modules is missing.
package nodesmoke

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	bucket    = "smoke"
	keyID     = "AKID"
	keySecret = "SECRET"

	buildTimeout  = 3 * time.Minute
	listenTimeout = 30 * time.Second
	npmTimeout    = 5 * time.Minute
	smokeTimeout  = 2 * time.Minute
)

func TestAliOSSSmoke(t *testing.T) {
	node, npm := requireTool(t, "node"), requireTool(t, "npm")
	dir, err := os.Getwd() // go test runs in the package directory
	if err != nil {
		t.Fatal(err)
	}
	installModules(t, npm, dir)
	endpoint := startEmulator(t, buildEmulator(t))

	for _, v4 := range []bool{false, true} {
		name := "v1"
		if v4 {
			name = "v4"
		}
		t.Run(name, func(t *testing.T) {
			resetStats(t, endpoint)
			runSmoke(t, node, dir, endpoint, v4)
			checkStats(t, endpoint)
		})
	}
}

// requireTool returns the path of a tool, skipping the test without it (or
// failing it when OSSFUSE_REQUIRE_TOOLS=1).
func requireTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("OSSFUSE_REQUIRE_TOOLS") == "1" {
		t.Fatalf("%s is not on PATH and OSSFUSE_REQUIRE_TOOLS=1: %v", name, err)
	}
	t.Skipf("skipping: %s is not on PATH (set OSSFUSE_REQUIRE_TOOLS=1 to fail instead): %v", name, err)
	return ""
}

// installModules runs "npm ci" in dir when its node_modules is missing.
func installModules(t *testing.T, npm, dir string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "ali-oss", "package.json")); err == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), npmTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
	cmd.Dir = dir
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("npm ci in %s: %v (timeout %v)\n%s", dir, err, npmTimeout, out)
	}
}

// buildEmulator builds cmd/ossemu into a temporary directory.
func buildEmulator(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ossemu")
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/ossfuse/ossfuse/cmd/ossemu")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go build cmd/ossemu: %v\n%s", err, out)
	}
	return bin
}

// startEmulator runs the emulator on a free loopback port and returns its
// base URL once it has printed its listening line. It is killed at cleanup.
func startEmulator(t *testing.T, bin string) string {
	t.Helper()
	cmd := exec.Command(bin, "--addr", "127.0.0.1:0", "--bucket", bucket, "--access-key", keyID+":"+keySecret)
	stdout := &bannerWriter{prefix: "ossemu listening on ", found: make(chan string, 1)}
	var stderr syncBuffer
	cmd.Stdout, cmd.Stderr = stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start ossemu: %v", err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if s := stderr.String(); s != "" {
			t.Logf("ossemu stderr:\n%s", s)
		}
	})

	select {
	case addr := <-stdout.found:
		return addr
	case <-exited:
		t.Fatalf("ossemu exited before listening: %v\n%s", waitErr, stderr.String())
	case <-time.After(listenTimeout):
		t.Fatalf("ossemu did not print its listening line within %v\n%s", listenTimeout, stderr.String())
	}
	return ""
}

// bannerWriter takes a process's stdout and sends the rest of the first line
// starting with prefix to found.
type bannerWriter struct {
	prefix string
	found  chan string
	mu     sync.Mutex
	line   []byte
	done   bool
}

func (w *bannerWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range p {
		if w.done {
			break
		}
		if c != '\n' {
			w.line = append(w.line, c)
			continue
		}
		if rest, ok := strings.CutPrefix(string(w.line), w.prefix); ok {
			w.found <- strings.TrimSpace(rest)
			w.done = true
		}
		w.line = w.line[:0]
	}
	return len(p), nil
}

// runSmoke runs smoke.js against endpoint and fails the test unless it exits 0.
func runSmoke(t *testing.T, node, dir, endpoint string, v4 bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), smokeTimeout)
	defer cancel()
	args := []string{"smoke.js", "--endpoint", endpoint, "--bucket", bucket, "--key-id", keyID}
	v4env := "0"
	if v4 {
		args = append(args, "--v4")
		v4env = "1"
	}
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = dir
	// The secret goes through the environment, as smoke.js takes it; the
	// rest is pinned so a developer's own OSS_* variables do not leak in.
	cmd.Env = append(os.Environ(), "OSS_ACCESS_KEY_SECRET="+keySecret, "OSS_V4="+v4env, "OSS_PREFIX=", "OSS_REGION=")
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	t.Logf("node %s:\n%s", strings.Join(args, " "), out)
	if err != nil {
		if ctx.Err() != nil {
			t.Fatalf("smoke.js did not finish within %v", smokeTimeout)
		}
		t.Fatalf("smoke.js failed: %v", err)
	}
}

// stats is the part of GET /_ossemu/stats the test reads.
type stats struct {
	Requests map[string]int64 `json:"requests"`
	Errors   map[string]int64 `json:"errors"`
}

func resetStats(t *testing.T, endpoint string) {
	t.Helper()
	resp, err := http.Post(endpoint+"/_ossemu/reset", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("POST /_ossemu/reset: %s", resp.Status)
	}
}

// checkStats asserts that each operation smoke.js exercises reached the
// emulator, and that the expected refusals were counted.
func checkStats(t *testing.T, endpoint string) {
	t.Helper()
	resp, err := http.Get(endpoint + "/_ossemu/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var s stats
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatalf("GET /_ossemu/stats: %v", err)
	}
	t.Logf("stats: requests %v, errors %v", s.Requests, s.Errors)
	want := map[string]int64{
		"PutObject": 1, "GetObject": 1, "HeadObject": 1, "AppendObject": 1, "CopyObject": 1,
		"InitiateMultipartUpload": 1, "UploadPart": 3, "CompleteMultipartUpload": 1, "DeleteMultipleObjects": 1,
	}
	for op, min := range want {
		if got := s.Requests[op]; got < min {
			t.Errorf("%s requests = %d, want >= %d", op, got, min)
		}
	}
	if got := s.Requests["ListObjects"] + s.Requests["ListObjectsV2"]; got < 1 {
		t.Errorf("ListObjects + ListObjectsV2 requests = %d, want >= 1", got)
	}
	for _, code := range []string{"PositionNotEqualToLength", "SignatureDoesNotMatch"} {
		if s.Errors[code] < 1 {
			t.Errorf("no %s error counted; smoke.js provokes one", code)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the process's writer goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
