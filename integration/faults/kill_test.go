package faults

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ossfuse/ossfuse/integration/harness"
)

// preciousSize is the size of the object the kill -9 scenarios protect.
const preciousSize = 1 << 20

// seedPrecious stores precious.bin, 1 MiB, before the mount, and returns
// its content.
func seedPrecious(d *drill) []byte {
	old := harness.Pattern{Seed: 4}.Bytes(0, preciousSize)
	d.put("precious.bin", old)
	return old
}

// wantOldOrNew wants key in the bucket to be old or the complete new, never
// a mix, a part or an empty object, and says which it is.
func (d *drill) wantOldOrNew(when, key string, old, new []byte) {
	d.t.Helper()
	o := d.object(key)
	switch {
	case o.exists && o.size == int64(len(old)) && o.sum == md5Of(old):
		d.t.Logf("%s: %s in the bucket is the old object", when, key)
	case new != nil && o.exists && o.size == int64(len(new)) && o.sum == md5Of(new):
		d.t.Logf("%s: %s in the bucket is the complete new object", when, key)
	default:
		d.t.Errorf("%s: %s in the bucket is %s; want the old %d bytes (md5 %x)%s, never a mix, a part or an empty object",
			when, key, o, len(old), md5Of(old), orNew(new))
	}
}

func orNew(new []byte) string {
	if new == nil {
		return ""
	}
	return fmt.Sprintf(" or the complete new %d bytes (md5 %x)", len(new), md5Of(new))
}

// afterCrash mounts again with the same cache_dir (the dead process's
// stages are there), unmounts, and wants cache_dir empty; it logs what the
// bucket and recovery_dir then hold of key. (What the new process is to do
// with a dead one's stage of an overwrite is TestKill9MidStream's subject.)
func (d *drill) afterCrash(key string) {
	d.t.Helper()
	d.m.Remount(d.t)
	if err := d.m.Unmount(); err != nil {
		d.t.Logf("unmount after the remount: %v", err)
	}
	d.wantCacheDirEmpty("after a remount over the dead process's cache_dir and a clean unmount")
	d.t.Logf("after the remount: %s in the bucket: %s; in recovery_dir: %v", key, d.object(key), d.recovered()[key])
}

// TestKill9DuringTruncatingOpen has a shell open precious.bin with O_TRUNC
// for a command that writes nothing (bash -c 'sleep 30' > precious.bin)
// and kills ossfuse with SIGKILL while the command runs: the bucket still
// holds the old 1 MiB. (The shell's dup2 and close of its descriptor is a
// flush of a file truncated and not written.)
func TestKill9DuringTruncatingOpen(t *testing.T) {
	var old []byte
	d := newDrill(t, setup{beforeMount: func(d *drill) { old = seedPrecious(d) }})
	target := d.m.Path("precious.bin")
	sh := startTool(t, toolTimeout, nil, d.m.Dir, "bash", "-c", "bash -c 'sleep 30' > precious.bin")
	var holder int
	if !waitFor(opTimeout, pollEvery, func() bool {
		holder = findHolder(sh.cmd.Process.Pid, "sleep", 1, target)
		return holder > 0 || !sh.running()
	}) || holder == 0 {
		t.Fatalf("no sleep with its stdout on %s within %v (shell running: %v): %s", target, opTimeout, sh.running(), sh.stderr.String())
	}
	t.Logf("sleep (pid %d) holds precious.bin open as its stdout, truncated and unwritten; killing ossfuse", holder)
	d.m.Kill(t)
	d.wantOldOrNew("after kill -9 of ossfuse", "precious.bin", old, nil)
	sh.kill()
	toolErrors(t, "the shell", sh.stderr.String())
	d.afterCrash("precious.bin")
}

// TestKill9DuringDdOverwrite has dd write 1 MiB of new data over
// precious.bin and kills ossfuse with SIGKILL once dd has written half of
// it: the bucket holds the old object or the complete new one, never a mix,
// a part or an empty object.
func TestKill9DuringDdOverwrite(t *testing.T) {
	var old []byte
	d := newDrill(t, setup{beforeMount: func(d *drill) { old = seedPrecious(d) }})
	newData := harness.Pattern{Seed: 44}.Bytes(0, preciousSize)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	dd := startTool(t, toolTimeout, r, d.m.Dir, "dd", "of=precious.bin", "bs=64k", "status=none")
	r.Close()
	const half = preciousSize / 2
	fed := make(chan error, 1)
	go func() { _, err := w.Write(newData[:half]); fed <- err }()
	var wrote int64
	if !waitFor(opTimeout, pollEvery, func() bool { wrote = writtenBy(dd.cmd.Process.Pid); return wrote >= half || !dd.running() }) || wrote < half {
		t.Fatalf("dd did not write %d bytes within %v (wrote %d, running %v): %s", half, opTimeout, wrote, dd.running(), dd.stderr.String())
	}
	t.Logf("dd has written %d of %d bytes into precious.bin; killing ossfuse", wrote, len(newData))
	d.m.Kill(t)
	if err := <-fed; err != nil {
		t.Fatalf("feeding dd: %v", err)
	}
	w.Close() // dd reads the end of its input and closes its output
	code := dd.wait(t)
	toolErrors(t, "dd", dd.stderr.String())
	t.Logf("dd exited %d", code)
	d.wantOldOrNew("after kill -9 of ossfuse mid-dd", "precious.bin", old, newData)
	d.afterCrash("precious.bin")
}

// TestKill9MidStream writes a 40 MiB file sequentially (it streams as a
// multipart upload), kills ossfuse with SIGKILL halfway, before any close,
// and mounts again with the same cache_dir: the new process finds the dead
// one's stage and uploads it (the bucket then holds exactly the bytes
// written before the kill) or moves it to recovery_dir under its key; the
// log names it either way, and no stage is left in cache_dir.
func TestKill9MidStream(t *testing.T) {
	d := newDrill(t, setup{})
	p := harness.Pattern{Seed: 5}
	const planned = 40 << 20
	const beforeKill = 20<<20 + 100<<10 // not a part boundary
	path := d.m.Path("stream.bin")
	var f *os.File
	if err := bounded(t, opTimeout, "create stream.bin", func() (err error) {
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		return err
	}); err != nil {
		t.Fatalf("create stream.bin: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	var acked int64
	for acked < beforeKill {
		chunk := p.Bytes(acked, int(min(1<<20, beforeKill-acked)))
		if err := bounded(t, opTimeout, "write stream.bin", func() error { _, err := f.Write(chunk); return err }); err != nil {
			t.Fatalf("write at %d: %v", acked, err)
		}
		acked += int64(len(chunk))
	}
	if !waitFor(time.Minute, bucketPoll, func() bool { return d.emu.Stats(t).Requests["UploadPart"] >= 1 }) {
		t.Fatalf("no part uploaded within a minute of writing %d bytes: the file does not stream (%v)", acked, d.emu.Stats(t))
	}
	if s := d.emu.Stats(t); s.Requests["CompleteMultipartUpload"] != 0 {
		t.Fatalf("the upload completed before the kill (%v): the test proves nothing", s)
	}
	t.Logf("%d of %d bytes written, parts streaming; killing ossfuse before close", acked, planned)
	d.m.Kill(t)
	werr := bounded(t, opTimeout, "write after the kill", func() error { _, err := f.Write(p.Bytes(acked, 1<<20)); return err })
	cerr := bounded(t, opTimeout, "close after the kill", f.Close)
	t.Logf("the writer saw: write after the kill: %s; close: %s", errnoOf(werr), errnoOf(cerr))
	if werr == nil {
		t.Fatalf("a write succeeded after ossfuse was killed")
	}

	from := len(d.m.Log())
	d.m.Remount(t)
	handled := waitFor(settleTimeout, bucketPoll, func() bool {
		size, err := d.size("stream.bin")
		return (err == nil && size >= 0) || len(d.recovered()["stream.bin"]) > 0
	})
	if !handled {
		t.Errorf("the new process neither uploaded nor recovered the dead process's stage of stream.bin within %v; cache_dir holds %s",
			settleTimeout, strings.Join(leftovers(d.cacheDir), ", "))
	}
	if err := d.m.Unmount(); err != nil {
		t.Logf("unmount after the remount: %v", err)
	}
	log := d.m.Log()[from:]
	d.wantCacheDirEmpty("after the new process handled the dead one's stage and a clean unmount")

	want := srcFile{rel: "stream.bin", size: acked, sum: patternMD5(p, acked)}
	at, detail := d.where("stream.bin", want, d.recovered())
	switch at {
	case "":
		t.Errorf("stream.bin: the %d bytes written before the kill (md5 %x) are neither in the bucket nor in recovery_dir: %s", acked, want.sum, detail)
	case "bucket":
		t.Logf("stream.bin: the new process uploaded the %d bytes written before the kill", acked)
	default:
		t.Logf("stream.bin: the new process moved the %d bytes written before the kill to %s", acked, at)
	}
	if !strings.Contains(log, "stream.bin") {
		t.Errorf("the new process's log does not name stream.bin:\n%s", log)
	}
}

// findHolder looks for a process among pid and its descendants (three
// levels down) named comm whose descriptor fd is target, and returns its
// pid, or 0.
func findHolder(pid int, comm string, fd int, target string) int {
	queue := []int{pid}
	for depth := 0; depth < 4 && len(queue) > 0; depth++ {
		var next []int
		for _, p := range queue {
			name, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", p))
			link, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", p, fd))
			if strings.TrimSpace(string(name)) == comm && filepath.Clean(link) == target {
				return p
			}
			next = append(next, children(p)...)
		}
		queue = next
	}
	return 0
}

// children returns the child processes of pid.
func children(pid int) []int {
	var out []int
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	for _, task := range tasks {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, task.Name()))
		for _, f := range strings.Fields(string(b)) {
			if c, err := strconv.Atoi(f); err == nil {
				out = append(out, c)
			}
		}
	}
	return out
}

// writtenBy returns the bytes pid has written with write(2) and friends
// (wchar of /proc/PID/io), 0 when unknown.
func writtenBy(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return 0
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("wchar: ")); ok {
			n, _ := strconv.ParseInt(string(v), 10, 64)
			return n
		}
	}
	return 0
}
