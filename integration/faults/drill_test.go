package faults

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/ossfuse/ossfuse/integration/harness"
	"github.com/ossfuse/ossfuse/ossio"
)

// drillBucket is the bucket of every drill's emulator.
const drillBucket = "drill"

// drill is one test's emulator, its mount of the whole bucket with a
// cache_dir and a recovery_dir of its own, and an ossio client that reads
// the bucket behind the mount's back.
type drill struct {
	t   *testing.T
	emu *harness.Emulator
	m   *harness.Mounted
	c   ossio.Client
	// cacheDir and recoveryDir are the mount's cache_dir and recovery_dir.
	cacheDir, recoveryDir string
	// prefix is the mount's prefix in the bucket ("p/"), "" for the whole
	// bucket. The helpers take keys relative to the mount's root.
	prefix string
}

// setup adjusts newDrill.
type setup struct {
	// dataDir keeps the emulator's objects in a directory, so that it can
	// be killed and restarted with them.
	dataDir bool
	// cacheDir is the mount's cache_dir; "" for a fresh directory.
	cacheDir string
	// prefix mounts BUCKET:/PREFIX instead of the whole bucket.
	prefix string
	// options are more -o options of the mount.
	options []string
	// beforeMount runs once the emulator listens, before the mount.
	beforeMount func(d *drill)
}

// newDrill starts an emulator and mounts it. It skips the test, saying
// why, before starting anything when FUSE or root is missing.
func newDrill(t *testing.T, s setup) *drill {
	t.Helper()
	harness.RequireFUSE(t)
	args := []string{"--seed", strconv.Itoa(faultSeed)}
	if s.dataDir {
		args = append(args, "--data-dir", t.TempDir())
	}
	d := &drill{t: t, cacheDir: s.cacheDir, recoveryDir: t.TempDir()}
	if s.prefix != "" {
		d.prefix = strings.Trim(s.prefix, "/") + "/"
	}
	d.emu = harness.StartEmulator(t, harness.WithBucket(drillBucket), harness.WithEmulatorArgs(args...))
	d.c = d.emu.Client(t)
	if d.cacheDir == "" {
		d.cacheDir = t.TempDir()
	}
	if s.beforeMount != nil {
		s.beforeMount(d)
	}
	opts := append([]string{"cache_dir=" + d.cacheDir, "recovery_dir=" + d.recoveryDir}, s.options...)
	mopts := []harness.MountOption{harness.WithOptions(opts...)}
	if d.prefix != "" {
		mopts = append(mopts, harness.WithPrefix(d.prefix))
	}
	d.m = harness.Mount(t, d.emu, mopts...)
	t.Logf("emulator %s (fault seed %d), mount %s, cache_dir %s, recovery_dir %s", d.emu.Endpoint, faultSeed, d.m.Dir, d.cacheDir, d.recoveryDir)
	return d
}

// ctx returns a context bounded by opTimeout for one ossio call.
func (d *drill) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	d.t.Cleanup(cancel)
	return ctx
}

// put stores an object behind the mount's back.
func (d *drill) put(key string, body []byte) {
	d.t.Helper()
	if _, err := d.c.PutObject(d.ctx(), ossio.PutRequest{Key: d.prefix + key, Body: bytes.NewReader(body), Size: int64(len(body))}); err != nil {
		d.t.Fatalf("PutObject %q: %v", key, err)
	}
}

// object is what the bucket holds under a key.
type object struct {
	exists bool
	size   int64
	sum    [md5.Size]byte
}

func (o object) String() string {
	if !o.exists {
		return "no object"
	}
	return fmt.Sprintf("%d bytes, md5 %x", o.size, o.sum)
}

// keys lists the keys under the mount's root (relative to it), sorted.
func (d *drill) keys() []string {
	d.t.Helper()
	var out []string
	req := ossio.ListRequest{Prefix: d.prefix}
	for range 1000 { // a million keys: far more than any drill makes
		page, err := d.c.ListObjects(d.ctx(), req)
		if err != nil {
			d.t.Fatalf("ListObjects %q: %v", d.prefix, err)
		}
		for _, o := range page.Objects {
			out = append(out, strings.TrimPrefix(o.Key, d.prefix))
		}
		if !page.IsTruncated {
			sort.Strings(out)
			return out
		}
		req.ContinuationToken = page.NextContinuationToken
	}
	d.t.Fatalf("ListObjects %q: more than 1000 pages", d.prefix)
	return nil
}

// object reads key from the bucket. Errors other than "not found" fail the test.
func (d *drill) object(key string) object {
	d.t.Helper()
	o, err := d.tryObject(key)
	if err != nil {
		d.t.Fatal(err)
	}
	return o
}

// tryObject is object returning errors instead, for waits.
func (d *drill) tryObject(key string) (object, error) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	res, err := d.c.GetObject(ctx, ossio.GetRequest{Key: d.prefix + key, Length: -1})
	if errors.Is(err, ossio.ErrNotFound) {
		return object{}, nil
	}
	if err != nil {
		return object{}, fmt.Errorf("GetObject %q: %w", key, err)
	}
	defer res.Body.Close()
	h := md5.New()
	n, err := io.Copy(h, res.Body)
	if err != nil {
		return object{}, fmt.Errorf("GetObject %q: reading the body: %w", key, err)
	}
	o := object{exists: true, size: n}
	copy(o.sum[:], h.Sum(nil))
	return o, nil
}

// size returns the size of key in the bucket, -1 when missing.
func (d *drill) size(key string) (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	info, err := d.c.HeadObject(ctx, d.prefix+key)
	switch {
	case errors.Is(err, ossio.ErrNotFound):
		return -1, nil
	case err != nil:
		return 0, err
	}
	return info.Size, nil
}

// recovered returns the files in recovery_dir by key relative to the
// mount's root, from the layout recovery_dir/<time>/<bucket key>.
func (d *drill) recovered() map[string][]string {
	d.t.Helper()
	out := map[string][]string{}
	err := filepath.WalkDir(d.recoveryDir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(d.recoveryDir, p)
		_, key, ok := strings.Cut(filepath.ToSlash(rel), "/")
		if !ok {
			key = "<no key: a file named " + rel + ">" // not in a <time> directory
		}
		key, _ = strings.CutPrefix(key, d.prefix)
		out[key] = append(out[key], p)
		return nil
	})
	if err != nil {
		d.t.Fatalf("walking recovery_dir: %v", err)
	}
	return out
}

// wantNoRecovered fails the test when recovery_dir holds anything.
func (d *drill) wantNoRecovered() {
	d.t.Helper()
	if r := d.recovered(); len(r) > 0 {
		d.t.Errorf("recovery_dir holds %v; nothing should have needed recovering", r)
	}
}

// wantCacheDirEmpty fails the test when cache_dir holds anything: after a
// clean unmount no stage, no stage directory, nothing is left.
func (d *drill) wantCacheDirEmpty(when string) {
	d.t.Helper()
	if left := leftovers(d.cacheDir); len(left) > 0 {
		d.t.Errorf("%s: cache_dir %s still holds %s", when, d.cacheDir, strings.Join(left, ", "))
	}
}

// leftovers lists what is under dir (relative paths, with sizes of files).
func leftovers(dir string) []string {
	var out []string
	_ = filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		if info, err := e.Info(); err == nil && !e.IsDir() {
			rel += fmt.Sprintf(" (%d bytes)", info.Size())
		}
		out = append(out, rel)
		return nil
	})
	return out
}

// unmountClean unmounts and wants ossfuse to exit 0, then nothing in cache_dir.
func (d *drill) unmountClean() {
	d.t.Helper()
	if err := d.m.Unmount(); err != nil {
		d.t.Errorf("unmount: %v", err)
	}
	d.wantCacheDirEmpty("after unmount")
}

// where says where a source file's bytes are: "bucket", a path in
// recovery_dir, or "" when in neither; detail says what was found.
func (d *drill) where(key string, f srcFile, recovery map[string][]string) (string, string) {
	d.t.Helper()
	o := d.object(key)
	if o.exists && o.size == f.size && o.sum == f.sum {
		return "bucket", ""
	}
	detail := "bucket: " + o.String()
	for _, p := range recovery[key] {
		sum, size, err := fileMD5(p)
		if err == nil && size == f.size && sum == f.sum {
			return p, ""
		}
		detail += fmt.Sprintf("; %s: %d bytes, md5 %x (%v)", p, size, sum, err)
	}
	return "", detail
}

// wantSaved checks every file of tr, copied to the directory dest of the
// mount: its bytes must be in the bucket under dest/rel, or, with
// orRecovered, in recovery_dir under that key. Files in skip (rel ->
// reason) were never written through the mount, by the tool's own
// account; they are only logged.
func (d *drill) wantSaved(tr tree, dest string, orRecovered bool, skip map[string]string) {
	d.t.Helper()
	recovery := d.recovered()
	var lost []string
	inRecovery := 0
	skipped := map[string]int{} // reason -> files
	for _, f := range tr.files {
		if why, ok := skip[f.rel]; ok {
			skipped[why]++
			continue
		}
		key := keyOf(dest, f.rel)
		at, detail := d.where(key, f, recovery)
		switch {
		case at == "":
			lost = append(lost, fmt.Sprintf("%s (%d bytes, md5 %x): %s", key, f.size, f.sum, detail))
		case at != "bucket" && !orRecovered:
			lost = append(lost, fmt.Sprintf("%s: only in recovery_dir (%s), want it in the bucket", key, at))
		case at != "bucket":
			inRecovery++
			d.t.Logf("%s: in recovery_dir as %s", key, at)
		}
	}
	for _, why := range keysOf(skipped) {
		d.t.Logf("not checked here (%d files): %s", skipped[why], why)
	}
	n := 0
	for _, c := range skipped {
		n += c
	}
	d.t.Logf("%d files under %s/: %d checked, %d lost, %d in recovery_dir", len(tr.files), dest, len(tr.files)-n, len(lost), inRecovery)
	if len(lost) > 0 {
		sort.Strings(lost)
		shown := lost[:min(len(lost), 20)]
		d.t.Errorf("%d of %d files are neither in the bucket nor in recovery_dir with their bytes:\n  %s", len(lost), len(tr.files), strings.Join(shown, "\n  "))
	}
}

// keyOf is the key of the file rel of a tree copied to the directory
// dest of the mount ("" for its root).
func keyOf(dest, rel string) string {
	if dest == "" {
		return rel
	}
	return dest + "/" + rel
}

// md5Of returns the MD5 of b.
func md5Of(b []byte) [md5.Size]byte { return md5.Sum(b) }

// fileMD5 returns the MD5 and size of a local file (or of one in the mount).
func fileMD5(p string) ([md5.Size]byte, int64, error) {
	var sum [md5.Size]byte
	f, err := os.Open(p)
	if err != nil {
		return sum, 0, err
	}
	defer f.Close()
	h := md5.New()
	n, err := io.Copy(h, f)
	copy(sum[:], h.Sum(nil))
	return sum, n, err
}
