package readonly

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ossfuse/ossfuse/integration/harness"
)

// TestUnmountExitsCleanly checks that after `umount` the ossfuse process
// exits on its own, with status 0, within harness.ExitTimeout, and leaves
// neither the mount nor a process behind; then that a remount works.
func TestUnmountExitsCleanly(t *testing.T) {
	f := setup(t)
	m := f.mount(t)
	harness.Run(t, m.Dir, "ls", "-la", "data")
	harness.Run(t, m.Dir, "cat", "data/hello.txt", "links/native")
	pid := m.Pid()
	if err := m.Unmount(); err != nil {
		t.Errorf("umount: %v", err)
	}
	if ok, err := harness.IsMounted(m.Dir); ok || err != nil {
		t.Errorf("%s still mounted after umount (%v)", m.Dir, err)
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
		if b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline"); strings.Contains(string(b), "ossfuse") {
			t.Errorf("ossfuse (pid %d) still exists after it was reaped", pid)
		}
	}

	m.Remount(t)
	if got := harness.Run(t, m.Dir, "cat", "data/hello.txt"); got != "hello, world\n" {
		t.Errorf("cat after remount = %q", got)
	}
	if err := m.Unmount(); err != nil {
		t.Errorf("umount after remount: %v", err)
	}
}

// TestPrefixMount mounts BUCKET:/data: the root shows data/'s entries, and
// their content and metadata are the same as through a whole-bucket mount.
func TestPrefixMount(t *testing.T) {
	f := setup(t)
	m := f.mount(t, harness.WithPrefix("data"))
	got := lines(harness.Run(t, m.Dir, "ls", "-1"))
	want := []string{"a", "empty", "empty-dir", "grep", "hello.txt", "meta", "unicode"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("ls of the mount of %s: got %q, want %q", m.Source, got, want)
	}
	if got := harness.Run(t, m.Dir, "cat", "a/b/c.txt"); got != string(body("data/a/b/c.txt")) {
		t.Errorf("cat a/b/c.txt = %q", got)
	}
	if got := statLine(t, m.Dir, "%a|%u|%g|%Y", "meta/exec.sh"); got != "755|1000|1000|1600000000" {
		t.Errorf("stat meta/exec.sh = %s, want 755|1000|1000|1600000000", got)
	}
	if r := harness.Exec(t, m.Dir, "stat", "data"); r.ExitCode == 0 {
		t.Errorf("the prefix mount shows a data/ inside itself")
	}
}

// TestReadaheadRaised checks that the mount's kernel readahead is 1 MiB,
// so that a sequential read reaches ossfuse in 1 MiB requests rather than
// the 128 KiB the kernel grants a FUSE mount by default.
func TestReadaheadRaised(t *testing.T) {
	f := setup(t)
	m := f.mount(t)
	var st unix.Stat_t
	if err := unix.Stat(m.Dir, &st); err != nil {
		t.Fatal(err)
	}
	// The mount shows before ossfuse has finished setting it up; it logs
	// "mounted" once it has (readahead included).
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(m.Log(), "msg=mounted"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("ossfuse did not log that it mounted within 20 s")
		}
	}
	path := fmt.Sprintf("/sys/class/bdi/%d:%d/read_ahead_kb", unix.Major(st.Dev), unix.Minor(st.Dev))
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(string(got)) != "1024" {
		t.Errorf("%s = %s, want 1024", path, got)
	}
}
