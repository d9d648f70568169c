package fs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/ossfuse/ossfuse/cache"
)

// dirtyWriters returns the writers with changes to upload.
func (f *FS) dirtyWriters() []*writer {
	var out []*writer
	for _, w := range f.writers.all() {
		w.mu.Lock()
		if w.stage != nil && w.stage.dirty() && !w.unlinked {
			out = append(out, w)
		}
		w.mu.Unlock()
	}
	return out
}

// FlushAll uploads the content of every file with changes not yet in OSS,
// open or not, as fsync would; it returns the first failure, and what
// failed stays dirty. A daemon calls it when told to stop (SIGTERM), before
// unmounting, so that a file being written is in the bucket as far as it
// was written.
func (f *FS) FlushAll(ctx context.Context) error {
	var errs []error
	for _, w := range f.dirtyWriters() {
		if err := w.flush(ctx, flushSync); err != nil {
			errs = append(errs, fmt.Errorf("flush %q: %w", w.key(), err))
		}
	}
	return errors.Join(errs...)
}

// Close ends the filesystem after the kernel let go of it: background
// retries stop, files still dirty get one last upload attempt within ctx,
// and whatever cannot be uploaded is copied to the recovery directory as
// <time>/<key>, each file named in the log. It returns an error when data
// had to be recovered that way.
func (f *FS) Close(ctx context.Context) error {
	f.closing.Store(true)
	for _, w := range f.writers.all() {
		w.stopRetry()
	}
	var errs []error
	when := time.Now()
	for _, w := range f.dirtyWriters() {
		err := w.flush(ctx, flushSync)
		if err == nil {
			continue
		}
		key := w.key()
		w.mu.Lock()
		s := w.stage
		w.mu.Unlock()
		if s == nil {
			continue
		}
		log := f.log.WithError(err).WithField("key", key)
		if s.spoiled != nil {
			log.Error("the file's content was not uploaded: a write to it could not be staged, and the object keeps its previous content")
			errs = append(errs, fmt.Errorf("%s: not uploaded: %w", key, err))
			continue
		}
		where, rerr := f.recover(ctx, when, key, s)
		if rerr != nil {
			log.WithField("stage", s.file.Name()).Errorf("could not upload the file nor copy it to the recovery directory (%v); its staged bytes are left in the stage file", rerr)
			errs = append(errs, fmt.Errorf("%s: not uploaded, left in %s: %w", key, s.file.Name(), err))
			continue
		}
		log.WithField("recovered", where).Error("could not upload the file; its content is saved in the recovery directory")
		errs = append(errs, fmt.Errorf("%s: not uploaded, saved as %s: %w", key, where, err))
		w.mu.Lock()
		w.unlinked = true // nothing left to upload: the stage goes
		w.dropIfDoneLocked()
		w.mu.Unlock()
	}
	// Stages whose content is in OSS, still open in a detached mount.
	for _, w := range f.writers.all() {
		w.mu.Lock()
		if s := w.stage; s != nil && (!s.dirty() || w.unlinked) {
			w.fs.dropStreamLocked(s)
			s.discard()
			w.stage = nil
		}
		w.mu.Unlock()
	}
	f.releaseStageDir()
	if f.opts.ownCacheDir {
		_ = os.Remove(f.opts.CacheDir)
	}
	return errors.Join(errs...)
}

// recoveryDir is where content that cannot be uploaded is saved.
func (f *FS) recoveryDir() string {
	if f.opts.RecoveryDir != "" {
		return f.opts.RecoveryDir
	}
	return filepath.Join(f.opts.CacheDir, "recovered")
}

// recoveryFile creates the file that saves the content of key in the
// recovery directory: <time>/<key>, with a numbered suffix should that
// name be taken.
func (f *FS) recoveryFile(when time.Time, key string) (*os.File, error) {
	base := filepath.Join(f.recoveryDir(), when.UTC().Format("20060102T150405Z"), filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(base), 0o700); err != nil {
		return nil, err
	}
	name := base
	for i := 1; ; i++ {
		out, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if !errors.Is(err, os.ErrExist) || i > 100 {
			return out, err
		}
		name = fmt.Sprintf("%s.%d", base, i)
	}
}

// recover copies the content of s to the recovery directory, under the
// object's key, and returns the file's path. Base bytes never staged are
// fetched if OSS still serves them; if not, they read as zeros there, and
// the log says so.
func (f *FS) recover(ctx context.Context, when time.Time, key string, s *staging) (string, error) {
	out, err := f.recoveryFile(when, key)
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
	return out.Name(), err
}

// DirtyBytes is the number of bytes of file content written through the
// mount and not yet uploaded (an upper bound: the size of dirty files).
func (f *FS) DirtyBytes() int64 {
	var total int64
	for _, w := range f.writers.all() {
		w.mu.Lock()
		if s := w.stage; s != nil && s.contentDirty() && !w.unlinked {
			total += s.size
		}
		w.mu.Unlock()
	}
	return total
}

// StageBytes is the disk space the stages of this mount take in cache_dir.
func (f *FS) StageBytes() int64 {
	var total int64
	for _, w := range f.writers.all() {
		w.mu.Lock()
		if s := w.stage; s != nil {
			total += s.diskBytes()
		}
		w.mu.Unlock()
	}
	return total
}

// StatCacheStats, ListCacheStats and BlockCacheStats report the counters
// of the filesystem's caches (for metrics).
func (f *FS) StatCacheStats() cache.StatCacheStats   { return f.stats.Stats() }
func (f *FS) ListCacheStats() cache.StatCacheStats   { return f.lists.Stats() }
func (f *FS) BlockCacheStats() cache.BlockCacheStats { return f.blocks.Stats() }
