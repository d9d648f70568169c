package harness

import (
	"os"
	"os/exec"
	"testing"
)

// RequireFUSE skips the test, saying why, when it cannot mount: under
// -short, when not running as root, when /dev/fuse is missing, or when
// umount or fusermount3 is not on PATH. With OSSFUSE_REQUIRE_TOOLS=1 (set by
// `make test`, which installs what is needed) a missing requirement fails
// the test instead; -short still skips.
func RequireFUSE(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping: mounts ossfuse; not run with -short")
	}
	reason := ""
	switch {
	case os.Geteuid() != 0:
		reason = "not running as root (mounting and umount need it)"
	case !fileExists("/dev/fuse"):
		reason = "/dev/fuse is missing"
	}
	for _, tool := range []string{"umount", "fusermount3"} {
		if _, err := exec.LookPath(tool); reason == "" && err != nil {
			reason = tool + " is not on PATH"
		}
	}
	if reason == "" {
		return
	}
	if os.Getenv("OSSFUSE_REQUIRE_TOOLS") == "1" {
		t.Fatalf("cannot mount: %s, and OSSFUSE_REQUIRE_TOOLS=1", reason)
	}
	t.Skipf("skipping: cannot mount: %s (set OSSFUSE_REQUIRE_TOOLS=1 to fail instead)", reason)
}

// RequireTool returns the path of a command the test needs, skipping the
// test without it (failing it when OSSFUSE_REQUIRE_TOOLS=1).
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("OSSFUSE_REQUIRE_TOOLS") == "1" {
		t.Fatalf("%s is not on PATH and OSSFUSE_REQUIRE_TOOLS=1: %v", name, err)
	}
	t.Skipf("skipping: %s is not on PATH (set OSSFUSE_REQUIRE_TOOLS=1 to fail instead): %v", name, err)
	return ""
}
