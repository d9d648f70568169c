// Package nodesmoke runs smoke.js, a smoke test written against the official
// Node SDK (ali-oss), on a freshly built ossemu, so that the emulator is held
// to a second, non-Go client and not only to the Go SDK's leniency.
//
// The test needs node and npm on PATH. Without them it skips, unless
// OSSFUSE_REQUIRE_TOOLS=1, when it fails. It installs the pinned ali-oss
// with "npm ci" when node_modules is missing.
package nodesmoke

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ossfuse/ossfuse/integration/harness"
)

const (
	npmTimeout   = 5 * time.Minute
	smokeTimeout = 2 * time.Minute
)

func TestMain(m *testing.M) { harness.Main(m) }

func TestAliOSSSmoke(t *testing.T) {
	node, npm := harness.RequireTool(t, "node"), harness.RequireTool(t, "npm")
	dir, err := os.Getwd() // go test runs in the package directory
	if err != nil {
		t.Fatal(err)
	}
	installModules(t, npm, dir)
	emu := harness.StartEmulator(t, harness.WithBucket("smoke"))

	for _, v4 := range []bool{false, true} {
		name := "v1"
		if v4 {
			name = "v4"
		}
		t.Run(name, func(t *testing.T) {
			emu.ResetStats(t)
			runSmoke(t, node, dir, emu, v4)
			checkStats(t, emu)
		})
	}
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

// runSmoke runs smoke.js against endpoint and fails the test unless it exits 0.
func runSmoke(t *testing.T, node, dir string, emu *harness.Emulator, v4 bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), smokeTimeout)
	defer cancel()
	args := []string{"smoke.js", "--endpoint", emu.Endpoint, "--bucket", emu.Bucket, "--key-id", emu.KeyID}
	v4env := "0"
	if v4 {
		args = append(args, "--v4")
		v4env = "1"
	}
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = dir
	// The secret goes through the environment, as smoke.js takes it; the
	// rest is pinned so a developer's own OSS_* variables do not leak in.
	cmd.Env = append(os.Environ(), "OSS_ACCESS_KEY_SECRET="+emu.Secret, "OSS_V4="+v4env, "OSS_PREFIX=", "OSS_REGION=")
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

// checkStats asserts that each operation smoke.js exercises reached the
// emulator, and that the expected refusals were counted.
func checkStats(t *testing.T, emu *harness.Emulator) {
	t.Helper()
	s := emu.Stats(t)
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
