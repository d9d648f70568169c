package cli

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ossfuse/ossfuse/integration/harness"
)

// TestDaemonMountsInTheBackground runs ossfuse without -f: the command
// returns 0 only once the mount answers, the daemon lives on detached (its
// own session, stdin on /dev/null, stdout and stderr on the log file),
// serves the bucket, has no secret in its command line or its log, and
// exits 0 on umount.
func TestDaemonMountsInTheBackground(t *testing.T) {
	harness.RequireFUSE(t)
	emu := harness.StartEmulator(t)
	seed(t, emu, "hello.txt", "hello from the daemon\n")
	bins := harness.Build(t)
	dir := newDir(t, "mnt")
	logFile := filepath.Join(newDir(t, "logs"), "ossfuse.log")

	r := runParent(t, bins.Ossfuse, emu.Bucket, dir,
		"-o", "endpoint="+emu.Endpoint+",region="+emu.Region+","+credentialOptions(emu), "--log_file", logFile)
	if r.exitCode != 0 || r.stderr != "" {
		t.Fatalf("ossfuse without -f: exit %d, stderr %q; want 0 and nothing", r.exitCode, r.stderr)
	}
	t.Logf("start to ready: the command returned after %v", r.elapsed)
	// Ready means mounted and answering when the command returns: no
	// polling here.
	if ok, err := harness.IsMounted(dir); !ok || err != nil {
		t.Fatalf("%s is not mounted when ossfuse returned (%v)", dir, err)
	}
	d := theDaemon(t, dir)
	if d.sid != d.pid {
		t.Errorf("daemon %d is in session %d, want its own session", d.pid, d.sid)
	}
	if d.ppid != os.Getpid() {
		t.Errorf("daemon %d has parent %d: its parent should have exited (handing it to this subreaper, %d)", d.pid, d.ppid, os.Getpid())
	}
	for fd, want := range map[int]string{0: os.DevNull, 1: logFile, 2: logFile} {
		if got, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", d.pid, fd)); got != want {
			t.Errorf("daemon's descriptor %d is %q, want %q", fd, got, want)
		}
	}
	if got := harness.Run(t, dir, "cat", "hello.txt"); got != "hello from the daemon\n" {
		t.Errorf("cat hello.txt = %q", got)
	}
	if cmdline := strings.Join(d.cmdline, " "); strings.Contains(cmdline, emu.Secret) || !strings.Contains(cmdline, "access_key_id="+emu.KeyID) {
		t.Errorf("daemon's command line %q: want it without the secret (and with the rest)", cmdline)
	}
	start := time.Now()
	umount(t, dir)
	ws, err := reap(d.pid, exitTimeout)
	t.Logf("umount to daemon exit: %v", time.Since(start))
	if err != nil || ws.ExitStatus() != 0 {
		t.Errorf("daemon after umount: status %v (exit %d), %v; want exit 0", ws, ws.ExitStatus(), err)
	}
	log, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(log), emu.Secret) {
		t.Errorf("the log holds the secret:\n%s", log)
	}
	if !strings.Contains(string(log), "msg=mounted") || !strings.Contains(string(log), "msg=unmounted") {
		t.Errorf("the log does not say mounted and unmounted:\n%s", log)
	}
	if st, err := os.Stat(logFile); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("log file mode %v (%v), want 0600", st.Mode(), err)
	}
}

// TestDaemonFailuresLeaveNothing runs ossfuse without -f against mounts
// that cannot work. Each must exit 1 within its bound with one line on
// stderr saying why, and leave no ossfuse process and no mount behind.
func TestDaemonFailuresLeaveNothing(t *testing.T) {
	harness.RequireFUSE(t)
	emu := harness.StartEmulator(t)
	bins := harness.Build(t)
	refused := closedPort(t)
	silent := silentListener(t)
	conn := "region=" + emu.Region + "," + credentialOptions(emu)

	for _, tc := range []struct {
		name   string
		source string
		dir    func(t *testing.T) string
		opts   string
		want   string
		limit  time.Duration
	}{
		{"wrong secret", emu.Bucket, emptyDir, "endpoint=" + emu.Endpoint + ",region=" + emu.Region + ",access_key_id=" + emu.KeyID + ",access_key_secret=not-the-secret",
			"access to bucket " + emu.Bucket + " denied (SignatureDoesNotMatch)", 10 * time.Second},
		{"no such bucket", "no-such-bucket", emptyDir, "endpoint=" + emu.Endpoint + "," + conn, "bucket no-such-bucket does not exist", 10 * time.Second},
		{"endpoint refuses", emu.Bucket, emptyDir, "endpoint=http://" + refused + "," + conn, "cannot reach bucket " + emu.Bucket + " at http://" + refused, 10 * time.Second},
		{"endpoint silent", emu.Bucket, emptyDir, "endpoint=http://" + silent + "," + conn + ",mount_timeout=2s", "no answer within 2s (mount_timeout)", 10 * time.Second},
		{"mountpoint missing", emu.Bucket, func(t *testing.T) string { return emptyDir(t) + "/missing" }, "endpoint=" + emu.Endpoint + "," + conn, "does not exist", 10 * time.Second},
		{"mountpoint not empty", emu.Bucket, fullDir, "endpoint=" + emu.Endpoint + "," + conn, "is not empty", 10 * time.Second},
		{"mountpoint busy", emu.Bucket, busyDir, "endpoint=" + emu.Endpoint + "," + conn, "is busy: something is already mounted there", 10 * time.Second},
	} {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			dir := tc.dir(t)
			mountedBefore, _ := harness.IsMounted(dir)
			r := runParent(t, bins.Ossfuse, tc.source, dir, "-o", tc.opts)
			lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
			if r.exitCode != 1 || len(lines) != 1 || !strings.HasPrefix(lines[0], "ossfuse: ") || !strings.Contains(lines[0], tc.want) {
				t.Errorf("exit %d, stderr %q; want exit 1 and one line with %q", r.exitCode, r.stderr, tc.want)
			}
			if strings.Contains(r.stderr, emu.Secret) || strings.Contains(r.stderr, "not-the-secret") {
				t.Errorf("stderr shows a secret: %q", r.stderr)
			}
			if r.elapsed > tc.limit {
				t.Errorf("took %v, want at most %v", r.elapsed, tc.limit)
			}
			t.Logf("failed after %v: %s", r.elapsed.Round(time.Millisecond), strings.TrimSpace(r.stderr))
			if left := ossfuseServing(dir); len(left) > 0 {
				t.Errorf("ossfuse processes left behind: %+v", left)
				for _, p := range left {
					stopDaemon(t, dir, p.pid)
				}
			}
			if left := orphanDaemons(); len(left) > 0 {
				t.Errorf("daemons left behind: %+v", left)
			}
			if mounted, _ := harness.IsMounted(dir); mounted != mountedBefore {
				t.Errorf("%s: mounted %v after the failure, %v before", dir, mounted, mountedBefore)
			}
		})
	}
}

// TestInterruptedMountLeavesNothing sends SIGINT (^C in the shell) to the
// command while the daemon waits for a silent endpoint: the command must
// exit 1 at once, saying so, and leave no daemon that would mount later.
func TestInterruptedMountLeavesNothing(t *testing.T) {
	harness.RequireFUSE(t)
	bins := harness.Build(t)
	dir := emptyDir(t)
	p := startParent(t, bins.Ossfuse, "bkt", dir, "-o", "endpoint=http://"+silentListener(t)+",mount_timeout=30s")
	// Both processes name dir on their command lines; wait for the daemon.
	if !waitFor(commandTimeout, func() bool { return len(ossfuseServing(dir)) == 2 }) {
		t.Fatalf("no daemon started within %v", commandTimeout)
	}
	sent := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	r := p.wait(t)
	if r.exitCode != 1 || !strings.Contains(r.stderr, "interrupted before the mount was ready") || time.Since(sent) > time.Minute { // a hang guard, not a timing: "at once" is the SIGINT being handled at all
		t.Errorf("after SIGINT: exit %d after %v, stderr %q; want exit 1 at once, saying it was interrupted", r.exitCode, time.Since(sent), r.stderr)
	}
	if left := ossfuseServing(dir); len(left) > 0 {
		t.Errorf("ossfuse processes left behind: %+v", left)
		for _, p := range left {
			stopDaemon(t, dir, p.pid)
		}
	}
	if mounted, _ := harness.IsMounted(dir); mounted {
		t.Errorf("%s mounted after the interrupted mount", dir)
	}
}

func emptyDir(t *testing.T) string { return newDir(t, "mnt") }

// fullDir is a directory holding a file.
func fullDir(t *testing.T) string {
	dir := newDir(t, "mnt")
	if err := os.WriteFile(filepath.Join(dir, "local-file"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// busyDir is a directory with a tmpfs mounted on it until the test ends.
func busyDir(t *testing.T) string {
	dir := newDir(t, "mnt")
	if err := unix.Mount("ossfuse-test", dir, "tmpfs", 0, "size=1m"); err != nil {
		t.Fatalf("mount tmpfs on %s: %v", dir, err)
	}
	t.Cleanup(func() { _ = unix.Unmount(dir, unix.MNT_DETACH) })
	return dir
}

// closedPort returns a loopback address where nothing listens.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// silentListener returns a loopback address that accepts connections (the
// kernel completes them) and never answers, until the test ends.
func silentListener(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

// TestForegroundHidesSecretsFromArgv mounts in the foreground with the
// secret as an option: the serving process (the same PID, re-executed)
// must not show it in its command line.
func TestForegroundHidesSecretsFromArgv(t *testing.T) {
	emu := harness.StartEmulator(t)
	seed(t, emu, "f", "x")
	m := harness.Mount(t, emu, harness.WithOptions(credentialOptions(emu)))
	// The harness saw the mount; the process may still be finishing its
	// start. It re-executed itself before mounting, so its argv is final.
	p, ok := readProc(m.Pid())
	if !ok {
		t.Fatalf("ossfuse (pid %d) is gone", m.Pid())
	}
	cmdline := strings.Join(p.cmdline, " ")
	if strings.Contains(cmdline, emu.Secret) || !strings.Contains(cmdline, m.Dir) {
		t.Errorf("ossfuse's command line %q: want the mount point and no secret", cmdline)
	}
	if got := harness.Run(t, m.Dir, "cat", "f"); got != "x" {
		t.Errorf("cat f = %q", got)
	}
}
