package readonly

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ossfuse/ossfuse/integration/harness"
)

// TestWritesRefused checks that on a mount with -o ro every kind of write
// fails with EROFS and changes nothing in the bucket.
func TestWritesRefused(t *testing.T) {
	f := setup(t)
	m := f.mount(t, harness.WithOptions("ro"))
	f.emu.ResetStats(t)
	for _, script := range []string{
		"echo x > new-file",
		"echo x >> data/hello.txt",
		"mkdir new-dir",
		"rm data/hello.txt",
		"mv data/hello.txt data/moved.txt",
		"touch data/hello.txt",
		"chmod 600 data/hello.txt",
		"ln -s data/hello.txt link",
	} {
		r := harness.Exec(t, m.Dir, "sh", "-c", script)
		if r.ExitCode == 0 || !strings.Contains(r.Stderr, "Read-only file system") {
			t.Errorf("%s: exit %d, stderr %q; want EROFS", script, r.ExitCode, r.Stderr)
		}
	}
	for op, n := range f.emu.Stats(t).Requests {
		switch op {
		case "HeadObject", "ListObjectsV2", "GetObject":
		default:
			t.Errorf("a refused write sent %d %s requests", n, op)
		}
	}
}

// TestNameTooLong checks that a name over NAME_MAX gets ENAMETOOLONG.
func TestNameTooLong(t *testing.T) {
	f := setup(t)
	m := f.mount(t)
	r := harness.Exec(t, m.Dir, "stat", "data/"+strings.Repeat("n", 256))
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, "File name too long") {
		t.Errorf("stat of a 256-byte name: exit %d, stderr %q; want ENAMETOOLONG", r.ExitCode, r.Stderr)
	}
}

// TestXattrsNotSupported checks that extended attributes get ENOTSUP, on
// the first call and every later one (the kernel answers those itself,
// so that ls -l does not pay a round trip per entry for them).
func TestXattrsNotSupported(t *testing.T) {
	f := setup(t)
	m := f.mount(t)
	for _, p := range []string{"data/hello.txt", "data", "links/native"} {
		for round := range 2 {
			if _, err := unix.Lgetxattr(m.Path(p), "security.selinux", make([]byte, 64)); err != unix.ENOTSUP {
				t.Errorf("lgetxattr %s (call %d): %v, want ENOTSUP", p, round+1, err)
			}
			if _, err := unix.Llistxattr(m.Path(p), make([]byte, 64)); err != unix.ENOTSUP {
				t.Errorf("llistxattr %s (call %d): %v, want ENOTSUP", p, round+1, err)
			}
		}
	}
}
