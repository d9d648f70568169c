package fs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ossfuse/ossfuse/meta"
	"github.com/ossfuse/ossfuse/ossio"
)

// staging is the local side of a file being written: a sparse file in the
// cache directory that holds every byte written through the mount, and
// the attributes to upload with them. The bytes the file still shares
// with its base (the object version it started from) are not copied
// locally unless they are read: an append to a large log, or a 4 KiB
// write into a 1 GiB object, stages a few KiB, and the upload copies the
// unchanged ranges inside OSS.
//
// Dirty data never lives only in memory: a failed upload leaves it here,
// the next flush retries, and what cannot be uploaded by the time the
// filesystem closes goes to the recovery directory.
//
// A journal beside the stage file records what is needed to finish it
// (key, base, written ranges, attributes), so that the next mount with the
// same cache directory can upload or recover the stage of a process that
// died (see orphans.go).
//
// Every field is guarded by the owning writer's mutex (mu), which is also
// what stops a gap being filled over a byte a write just put there.
type staging struct {
	mu      *sync.Mutex
	file    *os.File
	journal *os.File
	// usage is the mount's account of stage bytes (nil: not counted);
	// charged what this stage added to it.
	usage   *stageUsage
	charged int64

	// key is the object the content goes to: the file's key now.
	key string

	// base is the object version the content started from; hasBase is
	// false for a new file. base.etag is empty after an append whose
	// answer carried no ETag.
	base    entry
	hasBase bool
	// Bytes [0, baseValid) that are not in written are the base's bytes;
	// a truncation below the base's end lowers baseValid for good.
	baseValid int64
	// fetched are the bytes of [0, baseValid) copied from the base into
	// file; written those changed by writes. Bytes at or past baseValid are
	// always in file (a hole there reads as zeros).
	fetched, written spanSet
	// fetching are the blocks being fetched, closed when done.
	fetching map[int64]chan struct{}

	size int64
	attr meta.Attr

	// contentGen counts changes of the content, attrGen of the
	// attributes; the *Uploaded fields are the generations in OSS.
	contentGen, contentUploaded uint64
	attrGen, attrUploaded       uint64
	// explicitMtime says a utimens set the mtime (rather than a write).
	explicitMtime bool

	// sequential says the content was written from offset 0 in order, with
	// no truncation up and nothing kept from the base: it may stream.
	sequential bool
	stream     *stream

	// appendable says a flush should create the object as Appendable (the
	// append-mode option, for a file that did not exist).
	appendable bool

	// flushing is set while an upload reads the content: writes and
	// truncations wait on flushed, so an upload never sends a mix.
	flushing bool
	flushed  *sync.Cond

	// emptied says the content was emptied by the open that created or
	// truncated it (O_TRUNC), and nothing written since.
	emptied bool
	// closedInJournal says the journal's last word is that the content
	// is finished (stageRecord.Closed).
	closedInJournal bool
	// spoiled is set when a write could not be staged: the content is not
	// what the program wrote, and must never be uploaded.
	spoiled error

	// appendTimer flushes an append-mode file a moment after a write, so
	// that readers see the object grow.
	appendTimer *time.Timer
}

// contentDirty reports whether the content differs from the object.
func (s *staging) contentDirty() bool { return s.contentGen != s.contentUploaded }

// dirty reports whether the content or the attributes differ from the object.
func (s *staging) dirty() bool { return s.contentDirty() || s.attrGen != s.attrUploaded }

// changedContent records a change of the content (and, with it, the mtime).
func (s *staging) changedContent() {
	s.contentGen++
	s.attr.Mtime = now()
	s.explicitMtime = false
}

// onlyEmptied reports whether the only change to upload is that the
// content was emptied.
func (s *staging) onlyEmptied() bool {
	return s.emptied && s.size == 0 && s.attrGen == s.attrUploaded
}

// stagePath names the stage file of the writer id (its journal is
// stagePath + journalSuffix).
func (f *FS) stagePath(id uint64) string {
	return filepath.Join(f.stageDir, strconv.FormatUint(id, 10))
}

// newStaging starts the stage id of the file whose current object is e
// (etag "" for a new file), empty when truncate is set. Nothing is
// downloaded.
func (f *FS) newStaging(id uint64, e entry, truncate bool, mu *sync.Mutex) (*staging, error) {
	name := f.stagePath(id)
	file, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	s := &staging{mu: mu, file: file, usage: &f.stageUsage, key: e.key, base: e, hasBase: e.etag != "", attr: e.attr, flushed: sync.NewCond(mu)}
	s.appendable = f.opts.AppendMode && !s.hasBase
	if s.hasBase && !truncate {
		s.baseValid, s.size = e.attr.Size, e.attr.Size
		if err := file.Truncate(s.size); err != nil {
			s.discard()
			return nil, err
		}
	}
	s.sequential = s.baseValid == 0
	if truncate || !s.hasBase {
		s.attr.Size = 0
		s.contentGen++ // a new or truncated file changes the object even without a write
		s.emptied = true
	}
	if s.journal, err = os.OpenFile(name+journalSuffix, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o600); err != nil {
		s.discard()
		return nil, err
	}
	if err := s.snapshotLocked(); err != nil {
		s.discard()
		return nil, err
	}
	return s, nil
}

// waitFlushLocked waits until no upload reads the content.
func (s *staging) waitFlushLocked() {
	for s.flushing {
		s.flushed.Wait()
	}
}

// writeAtLocked writes p at off, growing the content (a hole reads as zeros).
func (s *staging) writeAtLocked(p []byte, off int64) (int, error) {
	s.waitFlushLocked()
	if err := s.usage.reserve(int64(len(p))); err != nil {
		return 0, err
	}
	n, err := s.file.WriteAt(p, off)
	s.charge(int64(n))
	s.usage.release(int64(len(p)))
	end := off + int64(n)
	if n > 0 {
		if off < s.baseValid && !s.written.covers(off, min(end, s.baseValid)) {
			s.written.add(off, min(end, s.baseValid))
			if jerr := s.journalWrite(off, min(end, s.baseValid)); jerr != nil && err == nil {
				err = jerr
			}
		}
		if off != s.size {
			s.sequential = false
		}
		s.size = max(s.size, end)
		s.emptied = false
		s.changedContent()
		if jerr := s.journalClosedLocked(false); jerr != nil && err == nil {
			err = jerr
		}
	}
	return n, err
}

// truncateLocked sets the content's size.
func (s *staging) truncateLocked(size int64) error {
	s.waitFlushLocked()
	if err := s.file.Truncate(size); err != nil {
		return err
	}
	lowered := size < s.baseValid
	if lowered {
		s.baseValid = size
		s.fetched.clip(size)
		s.written.clip(size)
	}
	switch {
	case size == 0 && s.baseValid == 0:
		s.sequential = true // as new: a stream may start again
	case size != s.size:
		s.sequential = false
	}
	s.size = size
	s.emptied = false // an explicit truncation is a change to upload; see writer.setattr
	s.changedContent()
	if err := s.journalClosedLocked(false); err != nil {
		return err
	}
	if lowered {
		return s.snapshotLocked()
	}
	return nil
}

// diskBytes is the disk space the stage file takes (it is sparse).
func (s *staging) diskBytes() int64 {
	var st syscall.Stat_t
	if syscall.Fstat(int(s.file.Fd()), &st) != nil {
		return 0
	}
	return st.Blocks * 512
}

// stageUsage accounts for the bytes written into the stages of a mount
// (rewrites of a byte count again: an upper bound of their disk use),
// and bounds them.
type stageUsage struct {
	limit    int64 // 0: no bound but the disk's
	used     atomic.Int64
	reserved atomic.Int64
}

// errStageLimit is a write past stage_limit: as a full disk, ENOSPC.
var errStageLimit = fmt.Errorf("the stages of files being written would exceed stage_limit: %w", syscall.ENOSPC)

// reserve makes room for n bytes about to be staged, or fails with
// errStageLimit.
func (u *stageUsage) reserve(n int64) error {
	if u == nil || u.limit <= 0 {
		return nil
	}
	if u.used.Load()+u.reserved.Add(n) > u.limit {
		u.reserved.Add(-n)
		return errStageLimit
	}
	return nil
}

// release returns what reserve took once the bytes are charged.
func (u *stageUsage) release(n int64) {
	if u != nil && u.limit > 0 {
		u.reserved.Add(-n)
	}
}

// charge counts n more bytes in the stage.
func (s *staging) charge(n int64) {
	if s.usage != nil && n > 0 {
		s.charged += n
		s.usage.used.Add(n)
	}
}

// discard removes the stage file and its journal.
func (s *staging) discard() {
	if s.usage != nil {
		s.usage.used.Add(-s.charged)
		s.charged = 0
	}
	if s.appendTimer != nil {
		s.appendTimer.Stop()
	}
	name := s.file.Name()
	s.file.Close()
	os.Remove(name)
	if s.journal != nil {
		s.journal.Close()
		os.Remove(name + journalSuffix)
	}
}

// fetchBlock is the unit in which base bytes are copied into a stage: a
// read of a few bytes fetches their whole block, so that reading a staged
// file sequentially costs one GET per block, not per read.
const fetchBlock = 4 << 20

// fill makes sure bytes [start, end) of the content are in the stage
// file, fetching the missing base bytes block by block with ranged GETs
// conditional on the base's ETag (a base changed by someone else fails
// with errStale). A block is fetched once however many readers want it at
// the same time (the kernel's readahead sends several): the others wait
// for it. The node's mutex is held only between requests.
func (f *FS) fill(ctx context.Context, s *staging, start, end int64) error {
	for attempt := 0; ; attempt++ {
		s.mu.Lock()
		present := s.fetched.union(&s.written)
		gaps := present.gaps(start, min(end, s.baseValid))
		if len(gaps) == 0 {
			s.mu.Unlock()
			return nil
		}
		if attempt > 256 {
			s.mu.Unlock()
			return fmt.Errorf("fill %q: the stage keeps changing under the fetch", s.base.key)
		}
		block := gaps[0].start / fetchBlock
		if wait, ok := s.fetching[block]; ok {
			s.mu.Unlock()
			select {
			case <-wait:
			case <-ctx.Done():
				return ctx.Err()
			}
			continue
		}
		done := make(chan struct{})
		if s.fetching == nil {
			s.fetching = map[int64]chan struct{}{}
		}
		s.fetching[block] = done
		base := s.base
		from := block * fetchBlock
		to := min(from+fetchBlock, s.baseValid)
		s.mu.Unlock()

		buf, err := f.fetchRange(ctx, base, from, to-from)

		s.mu.Lock()
		if err == nil && s.base.key == base.key && s.base.etag == base.etag {
			// Only bytes still missing: a write may have landed meanwhile.
			present = s.fetched.union(&s.written)
			for _, g := range present.gaps(from, min(to, s.baseValid)) {
				if _, werr := s.file.WriteAt(buf[g.start-from:g.end-from], g.start); werr != nil {
					err = werr
					break
				}
				s.charge(g.end - g.start)
				s.fetched.add(g.start, g.end)
			}
		}
		delete(s.fetching, block)
		close(done)
		s.mu.Unlock()
		if err != nil {
			return err
		}
	}
}

// fetchRange reads n bytes at off of e's object, which must still be e's version.
func (f *FS) fetchRange(ctx context.Context, e entry, off, n int64) ([]byte, error) {
	res, err := f.client.GetObject(ctx, ossio.GetRequest{Key: e.key, Offset: off, Length: n, IfMatch: e.etag})
	if err != nil {
		if errors.Is(err, ossio.ErrPreconditionFailed) || errors.Is(err, ossio.ErrNotFound) {
			return nil, fmt.Errorf("read %q to complete its staged copy: %w (%w)", e.key, errStale, err)
		}
		return nil, err
	}
	defer res.Body.Close()
	buf := make([]byte, n)
	if _, err := io.ReadFull(res.Body, buf); err != nil {
		return nil, fmt.Errorf("read %q to complete its staged copy: %w", e.key, err)
	}
	return buf, nil
}

// stageReader reads the content of a stage for an upload: missing base
// bytes are fetched first. The content must not change meanwhile (the
// stage is flushing).
type stageReader struct {
	ctx context.Context
	fs  *FS
	s   *staging
}

func (r stageReader) ReadAt(p []byte, off int64) (int, error) {
	if err := r.fs.fill(r.ctx, r.s, off, off+int64(len(p))); err != nil {
		return 0, err
	}
	n, err := r.s.file.ReadAt(p, off)
	if errors.Is(err, io.EOF) && n < len(p) {
		// The stage file may end before the content does (a trailing hole).
		clear(p[n:])
		return len(p), nil
	}
	return n, err
}
