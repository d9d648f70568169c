package fs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ossfuse/ossfuse/meta"
	"github.com/ossfuse/ossfuse/ossio"
)

// staging is the local copy of a file being written: a file in the cache
// directory holding the file's whole new content, and the attributes to
// upload with it. It exists from the first open for writing until the
// content is in OSS and no handle may write any more; while it exists,
// reads and attributes of the file come from it.
//
// Dirty data never lives only in memory: a failed upload leaves it here,
// and the next flush retries.
type staging struct {
	file *os.File
	size int64
	attr meta.Attr
	// gen counts the changes; uploaded is the gen last uploaded, so a
	// write racing an upload leaves the file dirty.
	gen, uploaded uint64
}

// dirty reports whether the staging content differs from the object.
func (s *staging) dirty() bool { return s.gen != s.uploaded }

// touch records a change.
func (s *staging) touch() { s.gen++ }

// stagingPath names the staging file of key: one per key and mount, so a
// crash leaves at most one file per key to recover.
func (f *FS) stagingPath(key string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(f.opts.CacheDir, "stage-"+hex.EncodeToString(sum[:12]))
}

// newStaging creates the staging file of e's object: empty when truncate is
// set or the object is new, else filled with the object's current content.
func (f *FS) newStaging(ctx context.Context, e entry, truncate bool) (*staging, error) {
	if err := os.MkdirAll(f.opts.CacheDir, 0o700); err != nil {
		return nil, err
	}
	file, err := os.OpenFile(f.stagingPath(e.key), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	s := &staging{file: file, attr: e.attr}
	if !truncate && e.etag != "" && e.attr.Size > 0 {
		if err := f.download(ctx, e, file); err != nil {
			s.discard()
			return nil, err
		}
		s.size = e.attr.Size
	}
	if truncate {
		s.attr.Size = 0
		s.touch() // an O_TRUNC open changes the object even without a write
	}
	return s, nil
}

// download copies the object of e into w.
func (f *FS) download(ctx context.Context, e entry, w io.WriterAt) error {
	res, err := f.client.GetObject(ctx, ossio.GetRequest{Key: e.key, Length: -1, IfMatch: e.etag})
	if err != nil {
		return err
	}
	defer res.Body.Close()
	n, err := io.Copy(io.NewOffsetWriter(w, 0), res.Body)
	if err != nil {
		return err
	}
	if n != e.attr.Size {
		return fmt.Errorf("download %q: %d bytes, want %d: %w", e.key, n, e.attr.Size, errStale)
	}
	return nil
}

// discard removes the staging file.
func (s *staging) discard() {
	name := s.file.Name()
	s.file.Close()
	os.Remove(name)
}

// truncate sets the staging content's size.
func (s *staging) truncate(size int64) error {
	if err := s.file.Truncate(size); err != nil {
		return err
	}
	s.size = size
	s.touch()
	return nil
}

// writeAt writes p at off, growing the content (a hole reads as zeros).
func (s *staging) writeAt(p []byte, off int64) (int, error) {
	n, err := s.file.WriteAt(p, off)
	s.size = max(s.size, off+int64(n))
	s.touch()
	return n, err
}
