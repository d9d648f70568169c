package readwrite

import (
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"testing"

	"github.com/hanwen/go-fuse/v2/posixtest"
	"golang.org/x/sys/unix"
)

// unsupported is a posixtest test that is skipped: the errno users get for
// the operation it needs (0: the call succeeds, but not as the test
// expects), why, and a probe that does the operation, so that the table is
// checked against the mount rather than believed.
type unsupported struct {
	errno syscall.Errno
	name  string // the errno as the table spells it
	why   string
	// probe performs the unsupported operation in the (empty) directory
	// dir and returns its error.
	probe func(dir string) error
}

// posixUnsupported is the table of posixtest tests skipped, each for one
// reason, with the errno users get. It is the table of docs/SEMANTICS.md:
//
//	| posixtest           | operation                     | users get  | why |
//	|---------------------|-------------------------------|------------|-----|
//	| Link                | link(2)                       | EPERM      | no hard links on OSS: two keys cannot share one object, and a copy would diverge at the next write |
//	| LinkUnlinkRename    | link(2) then unlink(2)        | EPERM      | the same link(2) |
//	| Tmpfile             | open(2) with O_TMPFILE        | EOPNOTSUPP | an unnamed file could only be given a name by linkat(2), a hard link |
//	| XAttr               | setxattr(2) and friends       | ENOTSUP    | no extended attributes: user metadata holds mode, owner and mtime only (DESIGN §3) |
//	| XAttrLarge          | setxattr(2), 8315-byte value  | ENOTSUP    | as XAttr; the value alone also exceeds the 8 KiB OSS allows for all user metadata of an object |
//	| FcntlFlockLocksFile | F_SETLK on a 2nd descriptor   | success    | record locks are the kernel's, local to the mount (OSS has no lock service: other mounts never see them); as on ext4, two descriptors of one process never conflict, whereas the test expects the conflict go-fuse's loopback gives |
//
// (ENOTSUP and EOPNOTSUPP are one errno on Linux: "Operation not supported".)
// posixtest's own XAttr, XAttrLarge and Tmpfile skip themselves on these
// errnos too; they are listed so that the table is complete and checked.
var posixUnsupported = map[string]unsupported{
	"Link": {syscall.EPERM, "EPERM",
		"link(2): OSS has no hard links (two keys cannot share one object; a copy would diverge at the next write)",
		probeLink},
	"LinkUnlinkRename": {syscall.EPERM, "EPERM",
		"renames with link(2) then unlink(2); link(2) fails as for Link",
		probeLink},
	"Tmpfile": {syscall.EOPNOTSUPP, "EOPNOTSUPP",
		"O_TMPFILE: an unnamed file could only be given a name by linkat(2), a hard link, which OSS cannot do",
		probeTmpfile},
	"XAttr": {syscall.ENOTSUP, "ENOTSUP",
		"extended attributes: none are stored (user metadata holds mode, owner and mtime only); the kernel answers ENOTSUP",
		func(dir string) error { return probeXattr(dir, []byte("value")) }},
	"XAttrLarge": {syscall.ENOTSUP, "ENOTSUP",
		"extended attributes, as XAttr; the 8315-byte value would also exceed the 8 KiB OSS allows for an object's user metadata",
		func(dir string) error { return probeXattr(dir, make([]byte, 8<<10+123)) }},
	"FcntlFlockLocksFile": {0, "success",
		"record locks are kept by the kernel, local to the mount (OSS has no lock service); as on ext4, two descriptors of one process never conflict, whereas the test expects the conflict of go-fuse's loopback",
		probeSameProcessLocks},
}

// TestPosix runs every test of go-fuse's posixtest suite, each in a fresh
// directory of one mount, but those of posixUnsupported, which are skipped
// with their reason once a probe has shown that users get the listed errno.
func TestPosix(t *testing.T) {
	e := newEnv(t)
	names := make([]string, 0, len(posixtest.All))
	for name := range posixtest.All {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			dir := e.path("posix", name)
			must(t, "mkdir "+dir, func() error { return os.MkdirAll(dir, 0o755) })
			if u, ok := posixUnsupported[name]; ok {
				err := bounded(t, name+" probe", func() error { return u.probe(dir) })
				if errnoOf(err) != u.errno {
					t.Fatalf("%s is skipped because users get %v (%s), but the probe got %v", name, u.errno, u.name, err)
				}
				t.Skipf("skipped: users get %s: %s", u.name, u.why)
			}
			posixtest.All[name](t, dir)
		})
	}
}

// TestPosixTableCoversOnlyRealTests guards the table against tests that
// posixtest renames or drops.
func TestPosixTableCoversOnlyRealTests(t *testing.T) {
	for name := range posixUnsupported {
		if _, ok := posixtest.All[name]; !ok {
			t.Errorf("posixUnsupported lists %q, which posixtest.All does not have", name)
		}
	}
}

func probeLink(dir string) error {
	target := filepath.Join(dir, "probe-target")
	if err := os.WriteFile(target, []byte("probe"), 0o644); err != nil {
		return err
	}
	defer os.Remove(target)
	err := os.Link(target, filepath.Join(dir, "probe-link"))
	if err == nil {
		os.Remove(filepath.Join(dir, "probe-link"))
	}
	return err
}

func probeTmpfile(dir string) error {
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_RDWR, 0o600)
	if err == nil {
		unix.Close(fd)
	}
	return err
}

func probeXattr(dir string, value []byte) error {
	fn := filepath.Join(dir, "probe-xattr")
	if err := os.WriteFile(fn, nil, 0o644); err != nil {
		return err
	}
	defer os.Remove(fn)
	return unix.Setxattr(fn, "user.probe", value, 0)
}

// probeSameProcessLocks takes a write lock on one descriptor of a file and
// a read lock on another descriptor of it, in this one process.
func probeSameProcessLocks(dir string) error {
	fn := filepath.Join(dir, "probe-lock")
	f1, err := os.Create(fn)
	if err != nil {
		return err
	}
	defer os.Remove(fn)
	defer f1.Close()
	if err := syscall.FcntlFlock(f1.Fd(), syscall.F_SETLK, &syscall.Flock_t{Type: syscall.F_WRLCK}); err != nil {
		return err
	}
	f2, err := os.OpenFile(fn, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f2.Close()
	return syscall.FcntlFlock(f2.Fd(), syscall.F_SETLK, &syscall.Flock_t{Type: syscall.F_RDLCK})
}
