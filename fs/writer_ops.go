package fs

import (
	"context"
	"errors"
	"io"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/ossfuse/ossfuse/ossio"
)

// lastEntry is the entry of the staged content, also once unlinked.
func (w *writer) lastEntry() (entry, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.stage
	if s == nil {
		return entry{}, false
	}
	e := s.base
	e.kind, e.key, e.attr = kindFile, s.key, s.attr
	e.attr.Size = s.size
	return e, true
}

// read reads the staged content at off into dest. Base bytes not staged
// yet are fetched first, outside the lock; a truncation meanwhile may
// leave a gap, hence the bounded retries.
func (w *writer) read(ctx context.Context, dest []byte, off int64) ([]byte, error) {
	w.mu.Lock()
	s := w.stage
	w.mu.Unlock()
	if s == nil {
		return nil, syscall.EBADF
	}
	for attempt := 0; ; attempt++ {
		if err := w.fs.fill(ctx, s, off, off+int64(len(dest))); err != nil {
			return nil, err
		}
		w.mu.Lock()
		present := s.fetched.union(&s.written)
		if attempt < 8 && !present.covers(off, min(off+int64(len(dest)), s.baseValid)) {
			w.mu.Unlock()
			continue
		}
		defer w.mu.Unlock()
		if off >= s.size {
			return nil, nil
		}
		dest = dest[:min(int64(len(dest)), s.size-off)]
		got, err := s.file.ReadAt(dest, off)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		clear(dest[got:]) // a hole at the end of the stage file
		return dest, nil
	}
}

// grow makes the content at least size bytes long (fallocate).
func (w *writer) grow(size int64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if size <= w.stage.size {
		return nil
	}
	return w.truncateLocked(size)
}

// setattr applies a truncation and metadata change to the staged file,
// and reports whether a handle that may write is open (whose close will
// upload the change). byOpen says the call came without a handle: the
// kernel's truncation of an O_TRUNC open comes so (as does truncate(2)),
// and an open that empties the file is not a change to upload before
// data is written or the last descriptor goes.
func (w *writer) setattr(in *fuse.SetAttrIn, byOpen bool) (writing bool, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.stage
	if size, ok := in.GetSize(); ok {
		if int64(size) != s.size {
			if err := w.truncateLocked(int64(size)); err != nil {
				return false, err
			}
		}
		s.emptied = byOpen && size == 0 && s.written.spans == nil && s.baseValid == 0
	}
	if changesMetadata(in) {
		applySetattr(&s.attr, in)
		if _, ok := in.GetMTime(); ok {
			s.explicitMtime = true
		}
		s.attrGen++
		if err := s.snapshotLocked(); err != nil {
			w.spoilLocked(err)
			return false, err
		}
		w.publishLocked()
	}
	return w.writeHandles > 0, nil
}

// onlyStagedLocked reports whether the file exists only in its stage: new,
// never uploaded, no multipart upload started. A rename then only moves
// the writer; any other file is uploaded first and its object copied (a
// stream is completed under its old key rather than its bytes sent again).
// LOCKS_REQUIRED(w.mu)
func (w *writer) onlyStagedLocked() bool {
	return w.stage != nil && !w.stage.hasBase && w.stage.stream == nil
}

// rekeyLocked gives the stage the key of its new path after a rename;
// base is the object the rename made (etag "" when none was copied).
// LOCKS_REQUIRED(w.mu)
func (w *writer) rekeyLocked(key string, base entry, rewritten bool) {
	s := w.stage
	if s == nil {
		return
	}
	s.key = key
	if s.stream != nil && s.stream.key != key {
		w.fs.dropStreamLocked(s) // its object has the old name: the stage is uploaded instead
	}
	if s.hasBase && base.etag != "" {
		s.base.key, s.base.etag = key, base.etag
		if rewritten {
			s.base.objType = ossio.TypeNormal
		}
	}
	if err := s.snapshotLocked(); err != nil {
		w.spoilLocked(err)
	}
	w.publishLocked()
}

// appendFlushDelay is how soon after a write an append-mode file is
// appended to its object, so that readers see it grow while it is written.
const appendFlushDelay = time.Second

// scheduleAppendLocked arranges a background flush of an append-mode file
// being written, unless one is pending.
// LOCKS_REQUIRED(w.mu)
func (w *writer) scheduleAppendLocked() {
	s := w.stage
	if !w.fs.opts.AppendMode || s.appendTimer != nil || !(s.appendable || s.base.objType == ossio.TypeAppendable) {
		return
	}
	s.appendTimer = time.AfterFunc(appendFlushDelay, func() {
		if err := w.flush(context.Background(), flushSync); err != nil {
			w.fs.log.WithError(err).WithField("key", w.key()).Warn("append-mode flush failed; the data stays staged for the next flush")
		}
	})
}
