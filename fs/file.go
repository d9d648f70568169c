package fs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"sync"
	"syscall"

	fusefs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/ossfuse/ossfuse/ossio"
)

// fileNode is a regular file backed by one object.
//
// Lock order: upload before mu. upload is held for the whole of an upload
// (network I/O); mu only for short critical sections.
type fileNode struct {
	fusefs.Inode
	noXattrs
	fs *FS

	upload sync.Mutex // serializes the uploads of this file

	mu         sync.Mutex
	last       entry    // GUARDED_BY(mu): the entry last served
	cachedETag string   // GUARDED_BY(mu): the version whose pages the kernel may hold
	stage      *staging // GUARDED_BY(mu): the new content while the file is written
	writers    int      // GUARDED_BY(mu): open handles that may write
	staged     int      // GUARDED_BY(mu): open handles reading or writing the stage
	unlinked   bool     // GUARDED_BY(mu): its name is gone: flushes upload nothing
}

var (
	_ = (fusefs.NodeGetattrer)((*fileNode)(nil))
	_ = (fusefs.NodeOpener)((*fileNode)(nil))
	_ = (fusefs.NodeSetattrer)((*fileNode)(nil))
)

func (n *fileNode) setEntry(e entry) {
	n.mu.Lock()
	n.last = e
	n.mu.Unlock()
}

// key is the object key of the file's current path (go-fuse moves the
// inode on rename, so the key follows).
func (n *fileNode) key() string { return n.fs.opts.Mapper.Key(n.Path(nil)) }

// revalidate returns the file's current entry: the cached one while fresh,
// else one HEAD.
func revalidate(ctx context.Context, f *FS, in *fusefs.Inode) (entry, error) {
	p := in.Path(nil)
	dir, name := path.Split(p)
	if dir != "" {
		dir = dir[:len(dir)-1]
	}
	return f.stat(ctx, dir, name)
}

// revalidateFile is revalidate for an open: when the name now holds
// something else than a regular file (a rename put a symlink or a
// directory there since the kernel looked it up), the open must not serve
// that object as this file's content. ESTALE makes the kernel walk the
// path again, and find what is there now.
func (n *fileNode) revalidateFile(ctx context.Context) (entry, error) {
	e, err := revalidate(ctx, n.fs, n.EmbeddedInode())
	if err == nil && e.kind != kindFile {
		return entry{}, fmt.Errorf("open %q: now a %v: %w", n.Path(nil), e.kind, errStale)
	}
	return e, err
}

// stagedEntry returns the entry of the file while it has a stage (and a
// name).
func (n *fileNode) stagedEntry() (entry, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.stage == nil || n.unlinked {
		return entry{}, false
	}
	return n.stagedEntryLocked(), true
}

// stagedEntryLocked is the entry of a file being written.
func (n *fileNode) stagedEntryLocked() entry {
	e := n.last
	e.kind, e.key = kindFile, n.key()
	e.attr = n.stage.attr
	e.attr.Size = n.stage.size
	return e
}

func (n *fileNode) Getattr(ctx context.Context, fh fusefs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	ctx = uninterruptible(ctx)
	n.mu.Lock()
	switch {
	case n.unlinked:
		// fstat of a descriptor whose name is gone: what it holds, no links.
		e := n.last
		if n.stage != nil {
			e = n.stagedEntryLocked()
		}
		n.mu.Unlock()
		e.fill(&out.Attr)
		out.Nlink = 0
		return 0
	case n.stage != nil:
		n.stagedEntryLocked().fill(&out.Attr)
		n.mu.Unlock()
		return 0
	}
	n.mu.Unlock()
	if h, ok := fh.(*fileHandle); ok && h.r != nil {
		h.e.fill(&out.Attr) // an open reader reports the version it reads
		return 0
	}
	e, err := revalidate(ctx, n.fs, n.EmbeddedInode())
	if err != nil {
		return toErrno(n.fs.log, "getattr", n.Path(nil), err)
	}
	n.setEntry(e)
	e.fill(&out.Attr)
	return 0
}

// Open revalidates the file (close-to-open consistency) and keeps the
// kernel's page cache only when the object is the version it caches. An
// open for writing stages the file's content locally (see staging).
func (n *fileNode) Open(ctx context.Context, flags uint32) (fusefs.FileHandle, uint32, syscall.Errno) {
	ctx = uninterruptible(ctx)
	write := flags&syscall.O_ACCMODE != syscall.O_RDONLY
	if n.fs.opts.ReadOnly && (write || flags&syscall.O_TRUNC != 0) {
		return nil, 0, syscall.EROFS
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if write || n.stage != nil {
		// A write-only open stages nothing until the first write or
		// truncate: `touch` and metadata changes through a descriptor then
		// cost a self-copy, not a download and an upload. A read-write
		// open stages at once, so that its reads see its writes.
		truncate := flags&syscall.O_TRUNC != 0
		if truncate || n.stage != nil || flags&syscall.O_ACCMODE == syscall.O_RDWR {
			if errno := n.stageLocked(ctx, truncate); errno != 0 {
				return nil, 0, errno
			}
		}
		if write {
			n.writers++
		}
		n.staged++
		return &fileHandle{node: n, write: write}, 0, 0
	}
	e, err := n.revalidateFile(ctx)
	if err != nil {
		return nil, 0, toErrno(n.fs.log, "open", n.Path(nil), err)
	}
	n.last = e
	var fuseFlags uint32
	if n.cachedETag == e.etag {
		fuseFlags = fuse.FOPEN_KEEP_CACHE
	}
	n.cachedETag = e.etag
	r := newObjectReader(n.fs.client, n.fs.blocks, n.fs.budget, &n.fs.streams, n.fs.opts.Reader, e.key, e.etag, e.attr.Size)
	return &fileHandle{node: n, e: e, r: r}, fuseFlags, 0
}

// stageLocked makes sure the file has a stage, truncated if asked.
func (n *fileNode) stageLocked(ctx context.Context, truncate bool) syscall.Errno {
	if n.stage != nil {
		if truncate {
			if err := n.stage.truncateLocked(0); err != nil {
				return toErrno(n.fs.log, "truncate", n.Path(nil), err)
			}
			n.fs.dropStreamLocked(n.stage)
			n.fs.markDirty(n)
		}
		return 0
	}
	e, err := n.revalidateFile(ctx)
	if err != nil {
		return toErrno(n.fs.log, "open", n.Path(nil), err)
	}
	s, err := n.fs.newStaging(e, truncate, &n.mu)
	if err != nil {
		return toErrno(n.fs.log, "open", n.Path(nil), err)
	}
	n.last, n.stage = e, s
	if s.dirty() {
		n.fs.markDirty(n)
	}
	return 0
}

// flush uploads the stage if it holds changes; the upload's error is what
// close and fsync return, and the changes stay staged for a retry. Writes
// to the file wait while the upload reads the stage.
func (n *fileNode) flush(ctx context.Context) error {
	n.upload.Lock()
	defer n.upload.Unlock()
	n.mu.Lock()
	s := n.stage
	if s == nil || !s.dirty() || n.unlinked {
		n.mu.Unlock()
		n.fs.markClean(n)
		return nil
	}
	if s.appendTimer != nil {
		s.appendTimer.Stop()
		s.appendTimer = nil
	}
	st := flushState{
		path: n.Path(nil), key: n.key(), size: s.size, attr: s.attr,
		contentGen: s.contentGen, attrGen: s.attrGen, contentDirty: s.contentDirty(), explicitMtime: s.explicitMtime,
	}
	st.attr.Size = s.size
	s.flushing = true
	n.mu.Unlock()

	e, err := n.fs.uploadStage(ctx, s, st)

	n.mu.Lock()
	s.flushing = false
	s.flushed.Broadcast()
	if err != nil {
		if s.stream != nil && s.stream.fed == st.size {
			n.fs.dropStreamLocked(s) // the next flush uploads the stage
		}
		n.mu.Unlock()
		return err
	}
	s.rebaseLocked(e, st)
	n.last = e
	n.cachedETag = e.etag
	clean := !s.dirty()
	n.mu.Unlock()
	if clean {
		n.fs.markClean(n)
	}
	if e.etag == "" {
		// An append whose answer had no ETag: the next look HEADs.
		n.fs.stats.Invalidate(st.path)
		n.fs.lists.Invalidate(parentOf(st.path))
		n.fs.blocks.InvalidateObject(st.key)
		return nil
	}
	n.fs.stored(st.path, e)
	return nil
}

// release ends a handle on the stage.
func (n *fileNode) release(write bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if write {
		n.writers--
	}
	n.staged--
	n.dropCleanStageLocked()
}

// dropCleanStageLocked removes the stage once no handle uses it and it
// holds nothing unuploaded (or nothing that may be uploaded any more).
func (n *fileNode) dropCleanStageLocked() {
	if n.staged == 0 && n.stage != nil && !n.stage.flushing && (!n.stage.dirty() || n.unlinked) {
		n.fs.dropStreamLocked(n.stage)
		n.stage.discard()
		n.stage = nil
		n.fs.markClean(n)
	}
}

// fileHandle is one open file: a reader of the version open found, or a
// handle on the staged content.
type fileHandle struct {
	node  *fileNode
	write bool
	e     entry
	r     *objectReader // nil when the file is staged
}

var (
	_ = (fusefs.FileReader)((*fileHandle)(nil))
	_ = (fusefs.FileWriter)((*fileHandle)(nil))
	_ = (fusefs.FileFlusher)((*fileHandle)(nil))
	_ = (fusefs.FileFsyncer)((*fileHandle)(nil))
	_ = (fusefs.FileReleaser)((*fileHandle)(nil))
	_ = (fusefs.FileAllocater)((*fileHandle)(nil))
)

// fallocKeepSize is FALLOC_FL_KEEP_SIZE of fallocate(2).
const fallocKeepSize = 1

// Allocate grows the file (fallocate with mode 0) through its stage; with
// FALLOC_FL_KEEP_SIZE there is nothing to reserve on OSS. Other modes
// (punching holes, collapsing ranges) are not supported.
func (h *fileHandle) Allocate(ctx context.Context, off, size uint64, mode uint32) syscall.Errno {
	ctx = uninterruptible(ctx)
	switch {
	case !h.write:
		return syscall.EBADF
	case mode == fallocKeepSize:
		return 0
	case mode != 0:
		return syscall.EOPNOTSUPP
	}
	n := h.node
	n.mu.Lock()
	defer n.mu.Unlock()
	if errno := n.stageLocked(ctx, false); errno != 0 {
		return errno
	}
	if end := int64(off + size); end > n.stage.size {
		if err := n.stage.truncateLocked(end); err != nil {
			return toErrno(n.fs.log, "fallocate", n.Path(nil), err)
		}
		n.fs.dropStreamLocked(n.stage)
		n.fs.markDirty(n)
	}
	return 0
}

func (h *fileHandle) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	if h.r == nil {
		return h.readStaged(ctx, dest, off)
	}
	n, err := h.r.ReadAt(ctx, dest, off)
	if err != nil && !errors.Is(err, io.EOF) {
		if errors.Is(err, errStale) {
			// The kernel must not keep pages of a version that is gone.
			h.node.mu.Lock()
			h.node.cachedETag = ""
			h.node.mu.Unlock()
			h.node.fs.stats.Invalidate(h.node.Path(nil))
		}
		return nil, toErrno(h.node.fs.log, "read", h.node.Path(nil), err)
	}
	return fuse.ReadResultData(dest[:n]), 0
}

func (h *fileHandle) readStaged(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	n := h.node
	n.mu.Lock()
	s := n.stage
	n.mu.Unlock()
	if s == nil {
		return nil, syscall.EBADF
	}
	// Base bytes not staged yet are fetched first, outside the lock; a
	// truncation meanwhile may leave a gap, hence the bounded retries.
	for attempt := 0; ; attempt++ {
		if err := n.fs.fill(ctx, s, off, off+int64(len(dest))); err != nil {
			return nil, toErrno(n.fs.log, "read", n.Path(nil), err)
		}
		n.mu.Lock()
		if n.stage != s {
			n.mu.Unlock()
			return nil, syscall.EBADF
		}
		present := s.fetched.union(&s.written)
		if attempt < 8 && !present.covers(off, min(off+int64(len(dest)), s.baseValid)) {
			n.mu.Unlock()
			continue
		}
		defer n.mu.Unlock()
		if off >= s.size {
			return fuse.ReadResultData(nil), 0
		}
		dest = dest[:min(int64(len(dest)), s.size-off)]
		got, err := s.file.ReadAt(dest, off)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, toErrno(n.fs.log, "read", n.Path(nil), err)
		}
		clear(dest[got:]) // a hole at the end of the stage file
		return fuse.ReadResultData(dest), 0
	}
}

func (h *fileHandle) Write(ctx context.Context, data []byte, off int64) (uint32, syscall.Errno) {
	ctx = uninterruptible(ctx)
	n := h.node
	n.mu.Lock()
	defer n.mu.Unlock()
	if !h.write {
		return 0, syscall.EBADF
	}
	if errno := n.stageLocked(ctx, false); errno != 0 {
		return 0, errno
	}
	w, err := n.stage.writeAtLocked(data, off)
	if w > 0 {
		n.fs.markDirty(n)
		n.fs.streamLocked(ctx, n.stage, n.key(), data[:w], off)
		n.scheduleAppendLocked()
	}
	if err != nil {
		return uint32(w), toErrno(n.fs.log, "write", n.Path(nil), err)
	}
	return uint32(w), 0
}

// Flush runs at every close of a descriptor: the close of one that could
// write returns the upload's error. Closing a read-only descriptor uploads
// nothing (and so cannot fail because of somebody else's writes).
func (h *fileHandle) Flush(ctx context.Context) syscall.Errno {
	if !h.write {
		return 0
	}
	if err := h.node.flush(uninterruptible(ctx)); err != nil {
		return toErrno(h.node.fs.log, "flush", h.node.Path(nil), err)
	}
	return 0
}

func (h *fileHandle) Fsync(ctx context.Context, flags uint32) syscall.Errno {
	if err := h.node.flush(uninterruptible(ctx)); err != nil {
		return toErrno(h.node.fs.log, "fsync", h.node.Path(nil), err)
	}
	return 0
}

func (h *fileHandle) Release(ctx context.Context) syscall.Errno {
	if h.r != nil {
		h.r.Close()
	}
	if h.r == nil {
		h.node.release(h.write)
	}
	return 0
}

// markUnlinked records that the file's name is gone (removed, or renamed
// over): its changes must never be uploaded, and its stage goes once no
// descriptor uses it.
func (n *fileNode) markUnlinked() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.unlinked = true
	if n.stage != nil {
		n.fs.dropStreamLocked(n.stage)
	}
	n.dropCleanStageLocked()
	n.fs.markClean(n)
}

// moved records that the file's object was copied to key (as the version
// etag) by a rename: the stage's unchanged bytes now come from there.
func (n *fileNode) moved(key, etag string, rewritten bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if s := n.stage; s != nil && s.hasBase {
		s.base.key, s.base.etag = key, etag
		if rewritten {
			s.base.objType = ossio.TypeNormal
		}
	}
}
