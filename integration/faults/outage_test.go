package faults

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestEmulatorRestartMidCopy kills the emulator with SIGKILL while cp -r
// copies 200 small files and a 16 MiB one into the mount, and restarts it
// on its data directory at the same address once cp has seen closes fail.
// Only closes may fail (every other step of the copy is answered by the
// mount itself); a file whose close failed stays visible and readable in
// the mount, and is uploaded in the background once the emulator answers
// again, without a remount; after the unmount every file is in the bucket.
func TestEmulatorRestartMidCopy(t *testing.T) {
	// attr_ttl=1h: the listing of the directory cp creates stays fresh, so
	// cp's lookups of new names need no request while the emulator is down.
	d := newDrill(t, setup{dataDir: true, options: []string{"attr_ttl=1h"}})
	tr := makeTree(t, treeSpec{perDir: 200, big: []int64{16 << 20}})
	// 20 ms a request makes the copy last several seconds, so the kill
	// lands in the middle of it.
	d.emu.SetFaults(t, `{"latency":"20ms"}`)
	d.emu.ResetStats(t)
	cp := startTool(t, toolTimeout, nil, d.m.Dir, "cp", "-r", tr.root, d.m.Path("tree"))
	if !waitFor(time.Minute, pollEvery, func() bool { return !cp.running() || d.emu.Stats(t).Requests["PutObject"] >= 40 }) {
		t.Fatalf("cp made no 40 PutObjects within a minute: %v", d.emu.Stats(t))
	}
	if !cp.running() {
		t.Fatalf("cp finished before the emulator was killed (exit %d): the test proves nothing", cp.exit)
	}
	if err := d.emu.Kill(); err != nil {
		t.Fatal(err)
	}
	t.Logf("emulator killed after %v of cp", cp.elapsed().Round(time.Millisecond))
	closeFailures := func() int { return strings.Count(cp.stderr.String(), "failed to close") }
	waitFor(settleTimeout, pollEvery, func() bool { return !cp.running() || closeFailures() >= 3 })
	if err := d.emu.Restart(); err != nil {
		t.Fatal(err)
	}
	t.Logf("emulator restarted at %s after %d failed closes, %v of cp", d.emu.Endpoint, closeFailures(), cp.elapsed().Round(time.Millisecond))
	code := cp.wait(t)
	errs := toolErrors(t, "cp", cp.stderr.String())
	out := classifyCopy(errs, tr, d.m.Dir, "tree")
	t.Logf("cp exited %d after %v: %d closes failed, %d files not written, %d other errors",
		code, cp.elapsed().Round(time.Millisecond), len(out.closeFailed), len(out.notWritten), len(out.other))
	if len(out.closeFailed) == 0 {
		t.Fatalf("no close failed while the emulator was down: the test proves nothing")
	}
	for rel, why := range out.notWritten {
		t.Errorf("%s: cp could not write it (%s): only closes need OSS in this copy", rel, why)
	}
	for _, e := range out.other {
		t.Errorf("cp reported an error other than a failed close: %s", e.line)
	}

	// What cp closed without an error is in the bucket (close-to-open).
	skip := map[string]string{}
	for rel := range out.notWritten {
		skip[rel] = "cp did not write it"
	}
	for rel := range out.closeFailed {
		skip[rel] = "its close failed; checked below"
	}
	d.wantSaved(tr, "tree", false, skip)
	d.wantKeptInMount(tr, "tree", out.closeFailed)
	if left := d.waitUploaded(tr, "tree", keysOf(out.closeFailed), settleTimeout); len(left) > 0 {
		t.Errorf("%d of the %d files whose close failed are not in the bucket %v after the emulator came back (no remount): %s",
			len(left), len(out.closeFailed), settleTimeout, strings.Join(left, ", "))
	}
	d.unmountClean()
	for rel := range out.closeFailed {
		delete(skip, rel)
	}
	d.wantSaved(tr, "tree", false, skip)
	d.wantNoRecovered()
}

// TestFrozenEmulator stops the emulator with SIGSTOP: connections are
// accepted and requests sent, and nothing answers. With
// request_timeout=2s, ls of a directory not cached yet and the close of a
// file just written fail with EIO or ETIMEDOUT within hangBound instead
// of hanging for minutes, while stat of a cached file answers during the
// hang. Once the emulator resumes, the written file ends up in the bucket.
func TestFrozenEmulator(t *testing.T) {
	// attr_ttl=1h keeps what the mount saw before the freeze; entry_ttl=1ms
	// sends the kernel's lookups to ossfuse, which answers them from its
	// own caches rather than the kernel's.
	d := newDrill(t, setup{
		options: []string{"request_timeout=2s", "attr_ttl=1h", "entry_ttl=1ms"},
		beforeMount: func(d *drill) {
			d.put("cached.txt", []byte("cached before the freeze\n"))
			d.put("uncached/a", []byte("a\n"))
			d.put("uncached/b", []byte("b\n"))
		},
	})
	// Cache the root's listing (so the create below needs no lookup) and
	// cached.txt's attributes.
	warm := startTool(t, opTimeout, nil, d.m.Dir, "sh", "-c", "ls >/dev/null && stat cached.txt >/dev/null && cat cached.txt >/dev/null")
	if code := warm.wait(t); code != 0 {
		t.Fatalf("warming the caches: exit %d: %s", code, warm.stderr.String())
	}

	if err := d.emu.Freeze(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.emu.Thaw() }) // before the unmount, which runs earlier-registered cleanups later
	frozen := time.Now()
	ls := startTool(t, toolTimeout, nil, d.m.Dir, "ls", "uncached")

	type result struct {
		err     error
		elapsed time.Duration
	}
	closed := make(chan result, 1)
	go func() {
		start := time.Now()
		err := os.WriteFile(d.m.Path("written.txt"), []byte("written while OSS was frozen\n"), 0o644)
		closed <- result{err, time.Since(start)}
	}()

	// stat of a cached file answers while a request hangs.
	stat := startTool(t, hangBound, nil, d.m.Dir, "stat", "-c", "%s", "cached.txt")
	if code := stat.wait(t); code != 0 {
		t.Errorf("stat of a cached file while OSS is frozen: exit %d: %s", code, stat.stderr.String())
	}
	t.Logf("stat of cached.txt answered in %v; ls of uncached/ still running then: %v", stat.elapsed().Round(time.Millisecond), ls.running())

	code := ls.wait(t)
	lsErrs := toolErrors(t, "ls", ls.stderr.String())
	t.Logf("ls uncached: exit %d after %v", code, ls.elapsed().Round(time.Millisecond))
	switch {
	case code == 0:
		t.Errorf("ls of an uncached directory succeeded while OSS was frozen")
	case ls.elapsed() > hangBound:
		t.Errorf("ls of an uncached directory failed only after %v (bound %v): request_timeout=2s must end a hung request", ls.elapsed().Round(time.Second), hangBound)
	case !anyErrno(lsErrs, "EIO", "ETIMEDOUT"):
		t.Errorf("ls of an uncached directory failed with %q; want EIO or ETIMEDOUT", ls.stderr.String())
	}

	var r result
	select {
	case r = <-closed:
	case <-time.After(toolTimeout):
		t.Fatalf("writing a file while OSS is frozen: close hung for %v", toolTimeout)
	}
	t.Logf("write+close of written.txt while OSS was frozen: %s after %v", errnoOf(r.err), r.elapsed.Round(time.Millisecond))
	switch {
	case r.err == nil:
		t.Errorf("close of a file written while OSS was frozen returned 0: the data cannot be in OSS")
	case r.elapsed > hangBound:
		t.Errorf("close of a file written while OSS was frozen failed only after %v (bound %v)", r.elapsed.Round(time.Second), hangBound)
	case !isErrno(r.err, syscall.EIO, syscall.ETIMEDOUT):
		t.Errorf("close of a file written while OSS was frozen: %v; want EIO or ETIMEDOUT", r.err)
	}

	if err := d.emu.Thaw(); err != nil {
		t.Fatal(err)
	}
	t.Logf("emulator resumed after %v frozen", time.Since(frozen).Round(time.Millisecond))
	want := srcFile{rel: "written.txt", size: int64(len("written while OSS was frozen\n"))}
	want.sum = md5Of([]byte("written while OSS was frozen\n"))
	tr := tree{files: []srcFile{want}}
	if left := d.waitUploaded(tr, "", []string{"written.txt"}, settleTimeout); len(left) > 0 {
		t.Logf("written.txt is not in the bucket %v after the emulator resumed; the unmount's last flush must upload it", settleTimeout)
	}
	d.unmountClean()
	d.wantSaved(tr, "", false, nil)
	d.wantNoRecovered()
}

// anyErrno reports whether any of errs names one of errnos.
func anyErrno(errs []toolError, errnos ...string) bool {
	for _, e := range errs {
		for _, n := range errnos {
			if e.errno == n {
				return true
			}
		}
	}
	return false
}
