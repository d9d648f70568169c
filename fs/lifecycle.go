package fs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ossfuse/ossfuse/cache"
	"github.com/ossfuse/ossfuse/ossio"
)

// dirtyFiles are the files whose stage holds changes not in OSS yet: what
// FlushAll uploads and Close must not lose.
type dirtyFiles struct {
	mu    sync.Mutex
	nodes map[*fileNode]struct{} // GUARDED_BY(mu)
}

// markDirty records that n has changes to upload.
func (f *FS) markDirty(n *fileNode) {
	f.dirty.mu.Lock()
	defer f.dirty.mu.Unlock()
	if f.dirty.nodes == nil {
		f.dirty.nodes = map[*fileNode]struct{}{}
	}
	f.dirty.nodes[n] = struct{}{}
}

// markClean records that n has nothing left to upload.
func (f *FS) markClean(n *fileNode) {
	f.dirty.mu.Lock()
	defer f.dirty.mu.Unlock()
	delete(f.dirty.nodes, n)
}

// dirtyNodes returns the files with changes to upload.
func (f *FS) dirtyNodes() []*fileNode {
	f.dirty.mu.Lock()
	defer f.dirty.mu.Unlock()
	out := make([]*fileNode, 0, len(f.dirty.nodes))
	for n := range f.dirty.nodes {
		out = append(out, n)
	}
	return out
}

// FlushAll uploads the content of every file with changes not yet in OSS,
// open or not, as close would; it returns the first failure, and what
// failed stays dirty. A daemon calls it when told to stop (SIGTERM), before
// unmounting, so that a file being written is in the bucket as far as it
// was written.
func (f *FS) FlushAll(ctx context.Context) error {
	var errs []error
	for _, n := range f.dirtyNodes() {
		if err := n.flush(ctx); err != nil {
			errs = append(errs, fmt.Errorf("flush %q: %w", n.Path(nil), err))
		}
	}
	return errors.Join(errs...)
}

// Close ends the filesystem after the kernel let go of it: files still
// dirty get one last upload attempt within ctx, and whatever cannot be
// uploaded is copied to the recovery directory, each file named in the
// log. It returns an error when data had to be recovered that way.
func (f *FS) Close(ctx context.Context) error {
	var errs []error
	for _, n := range f.dirtyNodes() {
		err := n.flush(ctx)
		if err == nil {
			continue
		}
		n.mu.Lock()
		unlinked, s := n.unlinked, n.stage
		n.mu.Unlock()
		if unlinked || s == nil {
			continue
		}
		where, rerr := f.recover(ctx, n.key(), s)
		log := f.log.WithError(err).WithField("key", n.key())
		if rerr != nil {
			log.WithField("stage", s.file.Name()).Errorf("could not upload the file nor copy it to the recovery directory (%v); its staged bytes are left in the stage file", rerr)
			errs = append(errs, fmt.Errorf("%s: not uploaded, left in %s: %w", n.key(), s.file.Name(), err))
			continue
		}
		log.WithField("recovered", where).Error("could not upload the file; its content is saved in the recovery directory")
		errs = append(errs, fmt.Errorf("%s: not uploaded, saved as %s: %w", n.key(), where, err))
		n.mu.Lock()
		s.discard()
		n.stage = nil
		n.mu.Unlock()
		f.markClean(n)
	}
	// Empty directories go (os.Remove refuses to remove anything else):
	// the stages of this process, and the cache directory if it was ours.
	_ = os.Remove(f.stageDir)
	if f.opts.ownCacheDir {
		_ = os.Remove(f.opts.CacheDir)
	}
	return errors.Join(errs...)
}

// recover copies the content of s to the recovery directory, under the
// object's key, and returns the file's path. Base bytes never staged are
// fetched if OSS still serves them; if not, they read as zeros there, and
// the log says so.
func (f *FS) recover(ctx context.Context, key string, s *staging) (string, error) {
	dir := f.opts.RecoveryDir
	if dir == "" {
		dir = filepath.Join(f.opts.CacheDir, "recovered")
	}
	where := filepath.Join(dir, time.Now().UTC().Format("20060102T150405Z"), filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(where), 0o700); err != nil {
		return "", err
	}
	out, err := os.OpenFile(where, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	size := s.size
	s.mu.Unlock()
	if err := f.fill(ctx, s, 0, size); err != nil {
		f.log.WithError(err).WithField("key", key).Warn("the unchanged bytes of the file could not be read back; they are zeros in the recovered copy")
	}
	s.mu.Lock()
	_, err = io.Copy(out, io.NewSectionReader(s.file, 0, size))
	s.mu.Unlock()
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return where, err
}

// DirtyBytes is the number of bytes of file content written through the
// mount and not yet uploaded (an upper bound: the size of dirty files).
func (f *FS) DirtyBytes() int64 {
	var total int64
	for _, n := range f.dirtyNodes() {
		n.mu.Lock()
		if s := n.stage; s != nil && s.contentDirty() {
			total += s.size
		}
		n.mu.Unlock()
	}
	return total
}

// appendFlushDelay is how soon after a write an append-mode file is
// appended to its object, so that readers see it grow while it is written.
const appendFlushDelay = time.Second

// scheduleAppendLocked arranges a background flush of an append-mode file
// being written, unless one is pending.
func (n *fileNode) scheduleAppendLocked() {
	s := n.stage
	if !n.fs.opts.AppendMode || s.appendTimer != nil || !(s.appendable || s.base.objType == ossio.TypeAppendable) {
		return
	}
	s.appendTimer = time.AfterFunc(appendFlushDelay, func() {
		if err := n.flush(context.Background()); err != nil {
			n.fs.log.WithError(err).WithField("key", n.key()).Warn("append-mode flush failed; the data stays staged for the next flush")
		}
	})
}

// StatCacheStats, ListCacheStats and BlockCacheStats report the counters
// of the filesystem's caches (for metrics).
func (f *FS) StatCacheStats() cache.StatCacheStats   { return f.stats.Stats() }
func (f *FS) ListCacheStats() cache.StatCacheStats   { return f.lists.Stats() }
func (f *FS) BlockCacheStats() cache.BlockCacheStats { return f.blocks.Stats() }
