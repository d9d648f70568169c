package fs

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ossfuse/ossfuse/ossio"
)

// writer is the write side of one file: its stage (the content not yet
// in OSS, on local disk), the handles using it, and the uploads of it.
// It lives in the filesystem's registry (writers) under the path the file
// has now, from the first write, truncate or read-write open until its
// content is in OSS and no handle uses it; it does not depend on any
// kernel inode, so the kernel forgetting one loses nothing.
//
// LOCK ORDER: upload, then mu, then the registry's mutex (FS.writers.mu).
// upload is held across network I/O and nothing else waits for it but
// other uploads and renames of this file; mu is held only for local work
// (the stage file on disk), never across a request. Lookups, getattr and
// listings read published without any lock.
type writer struct {
	fs *FS
	id uint64 // names the stage files

	// upload serializes the uploads of this file, and the renames that
	// move its object: a rename holds it from its flush to the move in the
	// registry, so no upload lands under the old key meanwhile.
	upload sync.Mutex

	mu           sync.Mutex
	path         string      // GUARDED_BY(fs.writers.mu): the file's path now; read with fs.writers.pathOf
	stage        *staging    // GUARDED_BY(mu): nil once done (and out of the registry)
	handles      int         // GUARDED_BY(mu): open handles on the stage
	writeHandles int         // GUARDED_BY(mu): those of them that may write
	unlinked     bool        // GUARDED_BY(mu): the name is gone: nothing is uploaded any more
	failures     int         // GUARDED_BY(mu): uploads failed in a row
	retry        *time.Timer // GUARDED_BY(mu): the pending background retry

	// published is the file's entry as lookups, getattr and listings
	// serve it; nil when the writer is done or unlinked.
	published atomic.Pointer[entry]
}

// flushReason says why a flush runs; the plan depends on it.
type flushReason uint8

const (
	// flushClose is the FLUSH of a close(2): maybe not the last one (the
	// shell's `cmd > f` closes a dup first), so a file only emptied since
	// its last upload waits for its release instead of replacing the
	// object with an empty one.
	flushClose flushReason = iota
	// flushSync is fsync, a rename or unmount: upload whatever is staged.
	flushSync
	// flushRelease runs when the last handle goes.
	flushRelease
	// flushRetry is a background retry after a failure.
	flushRetry
)

// newWriter starts the writer of the file at path p whose current object
// is e (etag "" for a new file): a stage, empty when truncate is set.
// It is not registered yet.
func (f *FS) newWriter(p string, e entry, truncate bool) (*writer, error) {
	w := &writer{fs: f, id: f.writers.newID(), path: p}
	s, err := f.newStaging(w.id, e, truncate, &w.mu)
	if err != nil {
		return nil, err
	}
	w.stage = s
	w.publishLocked()
	return w, nil
}

// attachWriter returns the writer of the file at p with one more handle
// on it, starting one (after a look at the file's object, with no lock
// held) if the file has none. truncate empties the content.
func (f *FS) attachWriter(ctx context.Context, p string, truncate, write bool) (*writer, error) {
	for attempt := 0; ; attempt++ {
		if w := f.writers.get(p); w != nil {
			if ok, err := w.attach(truncate, write); ok || err != nil {
				return w, err
			}
			if attempt < 16 {
				continue // done just now: start another
			}
		}
		e, err := f.fileAt(ctx, p)
		if err != nil {
			return nil, err
		}
		w, err := f.newWriter(p, e, truncate)
		if err != nil {
			return nil, err
		}
		w.handles = 1
		if write {
			w.writeHandles = 1
		}
		if f.writers.addIfAbsent(p, w) {
			return w, nil
		}
		w.stage.discard() // another open started one meanwhile: use it
	}
}

// fileAt returns the entry of the regular file at p. When the name now
// holds something else (a rename put a symlink or a directory there since
// the kernel looked it up), ESTALE makes the kernel walk the path again.
func (f *FS) fileAt(ctx context.Context, p string) (entry, error) {
	e, err := f.stat(ctx, parentOf(p), baseName(p))
	if err == nil && e.kind != kindFile {
		return entry{}, fmt.Errorf("open %q: now a %v: %w", p, e.kind, errStale)
	}
	return e, err
}

// attach adds a handle to w, emptying the content if asked. It reports
// false when w is done (out of the registry), and then changes nothing.
func (w *writer) attach(truncate, write bool) (bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stage == nil {
		return false, nil
	}
	if truncate {
		if err := w.truncateLocked(0); err != nil {
			return true, err
		}
		w.stage.emptied = true
	}
	w.handles++
	if write {
		w.writeHandles++
	}
	return true, nil
}

// entry returns the file's entry while w holds its content.
func (w *writer) entry() (entry, bool) {
	if e := w.published.Load(); e != nil {
		return *e, true
	}
	return entry{}, false
}

// publishLocked makes the stage's current size and attributes what
// lookups and getattr serve.
// LOCKS_REQUIRED(w.mu)
func (w *writer) publishLocked() {
	s := w.stage
	if s == nil || w.unlinked {
		w.published.Store(nil)
		return
	}
	e := s.base
	if !s.hasBase {
		e = entry{}
	}
	e.kind, e.key = kindFile, s.key
	e.attr = s.attr
	e.attr.Size = s.size
	w.published.Store(&e)
}

// write puts data at off. A failure to stage it (a full cache directory)
// spoils the stage: the bytes the program was told were not written must
// not be published as the file, so every later flush fails too, and the
// object keeps its old content.
func (w *writer) write(ctx context.Context, data []byte, off int64) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.stage
	if s.spoiled != nil {
		return 0, s.spoiled
	}
	n, err := s.writeAtLocked(data, off)
	if err != nil {
		w.spoilLocked(err)
		return n, err
	}
	w.fs.streamLocked(ctx, s, data[:n], off)
	w.scheduleAppendLocked()
	w.publishLocked()
	return n, nil
}

// truncateLocked sets the content's size.
// LOCKS_REQUIRED(w.mu)
func (w *writer) truncateLocked(size int64) error {
	s := w.stage
	if s.spoiled != nil {
		return s.spoiled
	}
	if err := s.truncateLocked(size); err != nil {
		w.spoilLocked(err)
		return err
	}
	w.fs.dropStreamLocked(s)
	w.publishLocked()
	return nil
}

// spoilLocked records that the stage lost bytes a program wrote.
// LOCKS_REQUIRED(w.mu)
func (w *writer) spoilLocked(err error) {
	s := w.stage
	if s.spoiled == nil {
		s.spoiled = fmt.Errorf("the staged content lost a write (%w); the object keeps its previous content", err)
		w.fs.log.WithError(err).WithField("key", s.key).Error("could not stage a write: the file's new content is lost, the object keeps its previous content")
	}
	w.fs.dropStreamLocked(s)
}

// flush uploads the stage if it holds changes, as reason allows; the
// upload's error is what close and fsync return, and the changes stay
// staged for a retry.
func (w *writer) flush(ctx context.Context, reason flushReason) error {
	w.upload.Lock()
	defer w.upload.Unlock()
	return w.flushHeld(ctx, reason)
}

// flushHeld is flush for a caller holding w.upload.
// LOCKS_REQUIRED(w.upload)
func (w *writer) flushHeld(ctx context.Context, reason flushReason) error {
	w.mu.Lock()
	s := w.stage
	if s == nil || w.unlinked || !s.dirty() {
		w.mu.Unlock()
		return nil
	}
	if s.spoiled != nil {
		w.mu.Unlock()
		return s.spoiled
	}
	if reason == flushClose && s.onlyEmptied() {
		w.mu.Unlock()
		return nil // the release uploads it, if no write comes first
	}
	if s.appendTimer != nil {
		s.appendTimer.Stop()
		s.appendTimer = nil
	}
	// What a close or fsync uploads is finished content: should this
	// process die before it is in OSS, the next mount uploads it.
	if err := s.journalClosedLocked(true); err != nil {
		w.spoilLocked(err)
		w.mu.Unlock()
		return s.spoiled
	}
	st := flushState{
		key: s.key, size: s.size, attr: s.attr,
		contentGen: s.contentGen, attrGen: s.attrGen, contentDirty: s.contentDirty(), explicitMtime: s.explicitMtime,
	}
	st.attr.Size = s.size
	s.flushing = true
	w.mu.Unlock()

	e, err := w.fs.uploadStage(ctx, s, st)

	w.mu.Lock()
	defer w.mu.Unlock()
	s.flushing = false
	s.flushed.Broadcast()
	if err != nil {
		w.failures++
		if s.stream != nil && s.stream.fed == st.size {
			w.fs.dropStreamLocked(s) // the next flush uploads the stage
		}
		return err
	}
	if w.failures > 0 {
		w.fs.log.WithField("key", st.key).Infof("uploaded after %d failed attempts", w.failures)
		w.failures = 0
	}
	s.rebaseLocked(e, st)
	w.publishLocked()
	p := w.fs.writers.pathOf(w)
	if e.etag == "" {
		// An append whose answer had no ETag: the next look HEADs.
		w.fs.stats.Invalidate(p)
		w.fs.lists.Invalidate(parentOf(p))
		w.fs.blocks.InvalidateObject(st.key)
	} else {
		w.fs.stored(p, e)
	}
	w.dropIfDoneLocked()
	return nil
}

// release ends a handle on the stage. The last one uploads what is still
// staged (a file only emptied, whose close did not upload it, or one whose
// upload failed); what fails is retried in the background.
func (w *writer) release(ctx context.Context, write bool) {
	w.mu.Lock()
	w.handles--
	if write {
		w.writeHandles--
	}
	upload := w.handles == 0 && w.stage != nil && w.stage.dirty() && !w.unlinked && w.stage.spoiled == nil
	if upload && w.failures > 0 {
		w.scheduleRetryLocked() // it failed just now: wait a little
		upload = false
	}
	w.dropIfDoneLocked()
	w.mu.Unlock()
	if !upload {
		return
	}
	if err := w.flush(ctx, flushRelease); err != nil {
		w.fs.log.WithError(err).WithField("key", w.key()).Warn("upload at the last close failed; retrying in the background")
		w.mu.Lock()
		w.scheduleRetryLocked()
		w.mu.Unlock()
	}
}

// key is the object key the content goes to now.
func (w *writer) key() string { return w.fs.opts.Mapper.Key(w.fs.writers.pathOf(w)) }

// dropIfDoneLocked removes the stage once no handle uses it and it holds
// nothing to upload (or nothing that may be uploaded any more).
// LOCKS_REQUIRED(w.mu)
func (w *writer) dropIfDoneLocked() {
	s := w.stage
	if w.handles > 0 || s == nil || s.flushing {
		return
	}
	switch {
	case w.unlinked, !s.dirty():
	case s.spoiled != nil:
		w.fs.log.WithField("key", s.key).Warn("the file's unfinished content is dropped; the object keeps its previous content")
	default:
		return
	}
	w.fs.dropStreamLocked(s)
	s.discard()
	w.stage = nil
	if w.retry != nil {
		w.retry.Stop()
		w.retry = nil
	}
	w.fs.writers.remove(w)
	w.publishLocked()
}

// markUnlinked records that the file's name is gone (removed, or renamed
// over): its changes are never uploaded, and its stage goes once no handle
// uses it.
func (w *writer) markUnlinked() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.unlinked = true
	w.fs.writers.remove(w)
	if w.stage != nil {
		w.fs.dropStreamLocked(w.stage)
	}
	w.dropIfDoneLocked()
	w.publishLocked()
}

// Background retries of failed uploads: the delay doubles from
// retryMinDelay up to retryMaxDelay, so a transient outage ends with
// everything uploaded, without a remount.
const (
	retryMinDelay = time.Second
	retryMaxDelay = 16 * time.Second
	// retryTimeout bounds one background attempt.
	retryTimeout = 10 * time.Minute
)

// scheduleRetryLocked arranges a background upload of w after a failure,
// unless one is pending, the file is open for writing (its last close
// uploads it) or the filesystem is closing.
// LOCKS_REQUIRED(w.mu)
func (w *writer) scheduleRetryLocked() {
	if w.retry != nil || w.stage == nil || w.unlinked || w.stage.spoiled != nil || w.fs.closing.Load() {
		return
	}
	delay := retryMaxDelay
	if w.failures < 5 {
		delay = min(retryMaxDelay, retryMinDelay<<max(w.failures-1, 0))
	}
	w.retry = time.AfterFunc(delay, w.retryUpload)
}

// retryUpload is one background attempt to upload w.
func (w *writer) retryUpload() {
	w.mu.Lock()
	w.retry = nil
	busy := w.writeHandles > 0
	w.mu.Unlock()
	if busy || w.fs.closing.Load() {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), retryTimeout)
	err := w.flush(ctx, flushRetry)
	cancel()
	if err == nil {
		return
	}
	log := w.fs.log.WithError(err).WithField("key", w.key())
	if errors.Is(err, errStale) || errors.Is(err, ossio.ErrTooLarge) {
		log.Error("the file cannot be uploaded (its base object changed, or it is too large); it is saved to recovery_dir at unmount")
		return
	}
	log.Warn("background upload failed; retrying")
	w.mu.Lock()
	w.scheduleRetryLocked()
	w.mu.Unlock()
}

// stopRetry cancels a pending background retry.
func (w *writer) stopRetry() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.retry != nil {
		w.retry.Stop()
		w.retry = nil
	}
}
