package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ossfuse/ossfuse/integration/harness"
)

// helperName is the mount helper `make install` puts in SBINDIR.
const helperName = "mount.fuse.ossfuse"

// makeInstall runs `make install VARS...` in the module root with the
// harness's binary as bin/ossfuse (-o build: nothing is rebuilt).
func makeInstall(t *testing.T, vars ...string) {
	t.Helper()
	harness.RequireTool(t, "make")
	bins := harness.Build(t)
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-s", "-C", root, "-o", "build", "install", "BIN=" + filepath.Dir(bins.Ossfuse)}, vars...)
	for range 2 { // install must be repeatable
		r := harness.ExecTimeout(t, 2*time.Minute, root, "make", args...)
		if r.ExitCode != 0 {
			t.Fatalf("make %s: exit %d: %s", strings.Join(args, " "), r.ExitCode, r.Stderr)
		}
	}
}

// wantInstalled checks the binary and the helper's symlink to it.
func wantInstalled(t *testing.T, bin, helper, linkTarget string) {
	t.Helper()
	st, err := os.Stat(bin)
	if err != nil || st.Mode().Perm() != 0o755 || !st.Mode().IsRegular() {
		t.Errorf("%s: %v (%v), want an executable file", bin, st, err)
	}
	if got, err := os.Readlink(helper); err != nil || got != linkTarget {
		t.Errorf("%s -> %q (%v), want a symlink to %s", helper, got, err, linkTarget)
	}
}

// TestMakeInstall checks where `make install` puts things: under DESTDIR
// for packaging (the helper's link pointing to the final path), and under
// another PREFIX and SBINDIR.
func TestMakeInstall(t *testing.T) {
	dest := newDir(t, "destdir")
	makeInstall(t, "DESTDIR="+dest)
	wantInstalled(t, dest+"/usr/local/bin/ossfuse", dest+"/sbin/"+helperName, "/usr/local/bin/ossfuse")

	prefix := newDir(t, "prefix")
	makeInstall(t, "PREFIX="+prefix, "SBINDIR="+prefix+"/sbin")
	wantInstalled(t, prefix+"/bin/ossfuse", prefix+"/sbin/"+helperName, prefix+"/bin/ossfuse")
}

// mountScript runs in a private mount namespace (unshare -m), so that
// what it mounts is seen by nobody else and vanishes with it: it lays the
// installed helper over /usr/sbin (/sbin on Debian) with a read-only
// overlay, mounts the bucket through mount(8) as $mode says, shows the
// mount's type and source, reads a file and unmounts.
const mountScript = `set -eu
sbin=$1 mnt=$2 mode=$3 source=$4 opts=$5 fstab=$6
mount -t overlay ossfuse-test-sbin -o "lowerdir=$sbin:/usr/sbin" /usr/sbin
trap 'umount "$mnt" 2>/dev/null || true' EXIT
case $mode in
fstab) mount --fstab "$fstab" "$mnt" ;;
*)     mount -t fuse.ossfuse "$source" "$mnt" -o "$opts" ;;
esac
findmnt -n -o FSTYPE,SOURCE --mountpoint "$mnt"
cat "$mnt/hello.txt"
umount "$mnt"
trap - EXIT
`

// TestMountHelper installs ossfuse with `make install` and mounts a
// bucket the way users and boot do: `mount -t fuse.ossfuse`, and an fstab
// line with the options systemd and mount(8) add. mount(8) runs the helper,
// which must return once the mount answers; the daemon it leaves must exit
// 0 on umount. The helper is found only if mount(8) runs ours: the
// generic /sbin/mount.fuse would look for ossfuse on PATH, where it is not.
// The machine is left as found: the helper is visible only in a private
// mount namespace.
func TestMountHelper(t *testing.T) {
	harness.RequireFUSE(t)
	for _, tool := range []string{"unshare", "mount", "findmnt"} {
		harness.RequireTool(t, tool)
	}
	_, err := os.Lstat("/sbin/" + helperName)
	installedBefore := err == nil
	t.Cleanup(func() {
		if _, err := os.Lstat("/sbin/" + helperName); (err == nil) != installedBefore {
			t.Errorf("/sbin/%s: present %v before the test, %v after", helperName, installedBefore, err == nil)
		}
	})
	prefix := newDir(t, "prefix")
	makeInstall(t, "PREFIX="+prefix, "SBINDIR="+prefix+"/sbin")
	emu := harness.StartEmulator(t, harness.WithAnonymous())
	seed(t, emu, "hello.txt", "hello through mount(8)\n")
	t.Cleanup(func() { killOrphanDaemons(t) })

	for _, mode := range []string{"type", "fstab"} {
		t.Run(mode, func(t *testing.T) {
			mnt := newDir(t, "mnt")
			logFile := filepath.Join(newDir(t, "logs"), "ossfuse.log")
			opts := "endpoint=" + emu.Endpoint + ",region=" + emu.Region + ",log_file=" + logFile
			fstab := filepath.Join(newDir(t, "etc"), "fstab")
			line := emu.Bucket + " " + mnt + " fuse.ossfuse " + opts + ",_netdev,nofail,noauto,x-systemd.automount,x-systemd.mount-timeout=30 0 0\n"
			if err := os.WriteFile(fstab, []byte("# test fstab\n"+line), 0o644); err != nil {
				t.Fatal(err)
			}
			r := harness.Exec(t, "/", "unshare", "-m", "--propagation", "private", "sh", "-c", mountScript,
				"sh", prefix+"/sbin", mnt, mode, emu.Bucket, opts, fstab)
			if r.ExitCode != 0 {
				log, _ := os.ReadFile(logFile)
				t.Fatalf("mount through mount(8), %s: exit %d\nstdout: %s\nstderr: %s\nossfuse log:\n%s", mode, r.ExitCode, r.Stdout, r.Stderr, log)
			}
			want := "fuse.ossfuse ossfuse:" + emu.Bucket + "\nhello through mount(8)\n"
			if r.Stdout != want {
				t.Errorf("mount, findmnt, cat: %q, want %q", r.Stdout, want)
			}
			wantDaemonExitedZero(t)
		})
	}
}

// wantDaemonExitedZero waits for the one daemon handed to this subreaper
// to exit, and wants status 0.
func wantDaemonExitedZero(t *testing.T) {
	t.Helper()
	var daemons []proc
	if !waitFor(exitTimeout, func() bool { daemons = orphanDaemons(); return len(daemons) > 0 }) {
		t.Errorf("no daemon was handed to this test (the helper's daemon should have been)")
		return
	}
	if len(daemons) != 1 {
		t.Errorf("want one daemon, found %+v", daemons)
	}
	for _, d := range daemons {
		if ws, err := reap(d.pid, exitTimeout); err != nil || ws.ExitStatus() != 0 {
			t.Errorf("daemon %d after umount: status %v, %v; want exit 0", d.pid, ws, err)
		}
	}
}

// killOrphanDaemons kills and reaps the daemons handed to this test binary
// that are still there (a failed test): in a private namespace, their
// mount goes away with them.
func killOrphanDaemons(t *testing.T) {
	for _, d := range orphanDaemons() {
		t.Logf("killing daemon %d left behind", d.pid)
		_ = killAndReap(d.pid)
	}
}
