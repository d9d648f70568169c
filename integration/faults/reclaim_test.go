package faults

import (
	"os"
	"sort"
	"strings"
	"syscall"
	"testing"

	"github.com/ossfuse/ossfuse/integration/harness"
)

// TestReclaimWhileDirty writes three files while every PutObject answers
// 503, so each close returns EIO, then makes the kernel forget their
// inodes (sync, echo 2 > /proc/sys/vm/drop_caches). The files must still
// be listed and readable at their paths, from the mount's stages; once
// OSS answers again they are uploaded in the background without a
// remount; after the unmount the bucket holds all three, recovery_dir
// none, and cache_dir nothing.
func TestReclaimWhileDirty(t *testing.T) {
	// Caches that expire at once: what the mount shows comes from its
	// stages, not from a listing or a stat it remembered.
	// A prefix mount: a forgotten inode has no path, and a key derived from
	// one would be the mount root's own key, "reclaim/".
	d := newDrill(t, setup{prefix: "reclaim", options: []string{"attr_ttl=1ms", "entry_ttl=1ms", "negative_ttl=1ms"}})
	d.emu.SetFaults(t, `{"failRate":1,"failCodes":["503"],"failOps":["PutObject"]}`)
	sizes := []int64{10 << 10, 200 << 10, 3 << 20}
	tr := tree{}
	inodes := map[string]uint64{}
	for i, size := range sizes {
		f := srcFile{rel: "dirty" + string(rune('a'+i)) + ".bin", size: size, seed: uint64(60 + i)}
		data := harness.Pattern{Seed: f.seed}.Bytes(0, int(size))
		f.sum = md5Of(data)
		tr.files = append(tr.files, f)
		p := d.m.Path(f.rel)
		err := bounded(t, opTimeout, "write "+f.rel, func() error { return os.WriteFile(p, data, 0o644) })
		t.Logf("write and close of %s while PutObject answers 503: %s", f.rel, errnoOf(err))
		if !isErrno(err, syscall.EIO) {
			t.Fatalf("close of %s while every PutObject fails: %v, want EIO", f.rel, err)
		}
		var st syscall.Stat_t
		if err := syscall.Stat(p, &st); err == nil {
			inodes[f.rel] = st.Ino
		}
	}

	// sync -f: only the mount's file system. A plain sync would also wait
	// on every other FUSE mount of the machine, some of which may be hung
	// on purpose by other tests.
	harness.Run(t, d.m.Dir, "sh", "-c", "sync -f . && echo 2 > /proc/sys/vm/drop_caches")

	var names []string
	err := bounded(t, opTimeout, "readdir", func() error {
		entries, err := os.ReadDir(d.m.Dir)
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return err
	})
	sort.Strings(names)
	if err != nil || strings.Join(names, " ") != "dirtya.bin dirtyb.bin dirtyc.bin" {
		t.Errorf("ls after the kernel forgot the inodes: %v (%s); want dirtya.bin dirtyb.bin dirtyc.bin", names, errnoOf(err))
	}
	for _, f := range tr.files {
		p := d.m.Path(f.rel)
		var st syscall.Stat_t
		if err := bounded(t, opTimeout, "stat "+f.rel, func() error { return syscall.Stat(p, &st) }); err != nil {
			t.Errorf("stat %s after the kernel forgot its inode: %v (%s)", f.rel, err, errnoOf(err))
			continue
		}
		if st.Ino == inodes[f.rel] {
			t.Logf("%s: inode %d as before drop_caches: the kernel may have kept it", f.rel, st.Ino)
		}
		var sum [16]byte
		var n int64
		err := bounded(t, opTimeout, "read "+f.rel, func() (err error) { sum, n, err = fileMD5(p); return err })
		switch {
		case err != nil:
			t.Errorf("cat %s after the kernel forgot its inode: %v (%s)", f.rel, err, errnoOf(err))
		case n != f.size || sum != f.sum:
			t.Errorf("cat %s after the kernel forgot its inode: %d bytes, md5 %x; want %d bytes, md5 %x", f.rel, n, sum, f.size, f.sum)
		}
	}

	d.emu.SetFaults(t, `{}`)
	if left := d.waitUploaded(tr, "", keysOf(map[string]int{"dirtya.bin": 0, "dirtyb.bin": 0, "dirtyc.bin": 0}), settleTimeout); len(left) > 0 {
		t.Errorf("%v not in the bucket %v after PutObject answered again (no remount)", left, settleTimeout)
	}
	d.unmountClean()
	d.wantSaved(tr, "", false, nil)
	d.wantNoRecovered()
	for _, k := range d.keys() {
		if _, ok := tr.file(k); !ok {
			t.Errorf("the bucket holds %q (%s) under the mount's root besides the three files", d.prefix+k, d.object(k))
		}
	}
}
