package faults

import (
	"os"
	"path/filepath"
	"strings"
	"time"
)

// copyOutcome sorts what cp reported about the files of a tree it copied
// into the mount.
type copyOutcome struct {
	// closeFailed are the files whose close (the upload) failed: cp wrote
	// all their bytes, so the mount must keep them.
	closeFailed map[string]toolError
	// notWritten are the files cp never wrote (a directory or the file
	// could not be created, a lookup failed), with cp's message.
	notWritten map[string]string
	// other are errors about files that fit neither, e.g. a failed write.
	other []toolError
}

// classifyCopy sorts cp's errors about the files of tr, copied to the
// directory dest of the mount m (mountDir).
func classifyCopy(errs []toolError, tr tree, mountDir, dest string) copyOutcome {
	out := copyOutcome{closeFailed: map[string]toolError{}, notWritten: map[string]string{}}
	base := filepath.Join(mountDir, dest) + "/"
	for _, e := range errs {
		rel, ok := strings.CutPrefix(e.path, base)
		if !ok {
			out.other = append(out.other, e)
			continue
		}
		switch {
		case e.op == "failed to close":
			out.closeFailed[rel] = e
		case strings.HasPrefix(e.op, "cannot create directory"), strings.HasPrefix(e.op, "cannot stat"),
			strings.HasPrefix(e.op, "cannot access"):
			for _, f := range tr.files {
				if f.rel == rel || strings.HasPrefix(f.rel, rel+"/") {
					out.notWritten[f.rel] = e.line
				}
			}
		case strings.HasPrefix(e.op, "cannot create regular file"):
			out.notWritten[rel] = e.line
		default:
			out.other = append(out.other, e)
		}
	}
	return out
}

// wantKeptInMount checks that each file whose close failed is still
// visible in the mount (in its directory's listing, with its size) and
// readable with its bytes: its data is in the stage, not lost.
func (d *drill) wantKeptInMount(tr tree, dest string, rels map[string]toolError) {
	d.t.Helper()
	listed := map[string]map[string]bool{}
	for rel := range rels {
		f, ok := tr.file(rel)
		if !ok {
			d.t.Errorf("%s: not a file of the tree", rel)
			continue
		}
		p := d.m.Path(dest, rel)
		dir := filepath.Dir(p)
		if listed[dir] == nil {
			listed[dir] = map[string]bool{}
			var names []os.DirEntry
			err := bounded(d.t, opTimeout, "readdir "+dir, func() (err error) { names, err = os.ReadDir(dir); return err })
			if err != nil {
				d.t.Errorf("readdir %s: %v (%s)", dir, err, errnoOf(err))
			}
			for _, n := range names {
				listed[dir][n.Name()] = true
			}
		}
		if !listed[dir][filepath.Base(p)] {
			d.t.Errorf("%s: its close failed, and it is not in the listing of its directory", rel)
		}
		var st os.FileInfo
		err := bounded(d.t, opTimeout, "stat "+p, func() (err error) { st, err = os.Stat(p); return err })
		if err != nil {
			d.t.Errorf("%s: its close failed, and stat fails: %v (%s)", rel, err, errnoOf(err))
			continue
		}
		if st.Size() != f.size {
			d.t.Errorf("%s: its close failed, and stat says %d bytes, want %d", rel, st.Size(), f.size)
		}
		var sum [16]byte
		var n int64
		err = bounded(d.t, opTimeout, "read "+p, func() (err error) { sum, n, err = fileMD5(p); return err })
		switch {
		case err != nil:
			d.t.Errorf("%s: its close failed, and reading it fails: %v (%s)", rel, err, errnoOf(err))
		case n != f.size || sum != f.sum:
			d.t.Errorf("%s: its close failed, and it reads %d bytes, md5 %x; want %d bytes, md5 %x", rel, n, sum, f.size, f.sum)
		}
	}
}

// waitUploaded waits up to timeout for each file of rels to be in the
// bucket under dest/rel with its bytes, without a remount (ossfuse
// uploads it in the background), and returns those that are not.
func (d *drill) waitUploaded(tr tree, dest string, rels []string, timeout time.Duration) []string {
	d.t.Helper()
	left := append([]string(nil), rels...)
	waitFor(timeout, bucketPoll, func() bool {
		var still []string
		for _, rel := range left {
			f, _ := tr.file(rel)
			key := keyOf(dest, rel)
			if size, err := d.size(key); err != nil || size != f.size {
				still = append(still, rel)
				continue
			}
			if o, err := d.tryObject(key); err != nil || !o.exists || o.sum != f.sum {
				still = append(still, rel)
			}
		}
		left = still
		return len(left) == 0
	})
	return left
}
