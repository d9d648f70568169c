package fs

import (
	"context"
	"errors"
	"io"
	"sync"
	"syscall"

	fusefs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// fileNode is a regular file backed by one object. What is being written
// to it lives in its writer, found in the filesystem's registry by path
// (FS.writers), not in the node: the kernel may forget a node whose file
// still has content to upload.
type fileNode struct {
	fusefs.Inode
	noXattrs
	fs *FS

	mu         sync.Mutex
	last       entry  // GUARDED_BY(mu): the entry last served
	cachedETag string // GUARDED_BY(mu): the version whose pages the kernel may hold
	unlinked   bool   // GUARDED_BY(mu): its name is gone (fstat reports no links)
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

// writer returns the writer of the file at the node's path, if any.
func (n *fileNode) writer() *writer { return n.fs.writers.get(n.Path(nil)) }

// revalidate returns the file's current entry: the cached one while fresh,
// else one HEAD.
func revalidate(ctx context.Context, f *FS, in *fusefs.Inode) (entry, error) {
	p := in.Path(nil)
	return f.stat(ctx, parentOf(p), baseName(p))
}

func (n *fileNode) Getattr(ctx context.Context, fh fusefs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	ctx = uninterruptible(ctx)
	h, _ := fh.(*fileHandle)
	n.mu.Lock()
	unlinked, last := n.unlinked, n.last
	n.mu.Unlock()
	var w *writer
	if h != nil {
		w = h.w
	}
	if w == nil && !unlinked {
		w = n.writer()
	}
	if w != nil {
		if e, ok := w.entry(); ok {
			e.fill(&out.Attr)
			return 0
		}
		if e, ok := w.lastEntry(); ok && unlinked {
			last = e
		}
	}
	if unlinked {
		// fstat of a descriptor whose name is gone: what it holds, no links.
		last.fill(&out.Attr)
		out.Nlink = 0
		return 0
	}
	if h != nil && h.r != nil {
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
// open for writing stages the file (see staging); no lock is held while
// OSS is asked.
func (n *fileNode) Open(ctx context.Context, flags uint32) (fusefs.FileHandle, uint32, syscall.Errno) {
	ctx = uninterruptible(ctx)
	write := flags&syscall.O_ACCMODE != syscall.O_RDONLY
	truncate := flags&syscall.O_TRUNC != 0
	if n.fs.opts.ReadOnly && (write || truncate) {
		return nil, 0, syscall.EROFS
	}
	p := n.Path(nil)
	if write || n.fs.writers.get(p) != nil {
		// A stage downloads nothing: `touch` and metadata changes through
		// a descriptor cost a self-copy at close, not a download and an
		// upload. (The kernel's truncation of an O_TRUNC open comes as a
		// setattr without the handle: it finds the writer by path.)
		w, err := n.fs.attachWriter(ctx, p, truncate, write)
		if err != nil {
			return nil, 0, toErrno(n.fs.log, "open", p, err)
		}
		return &fileHandle{node: n, write: write, w: w}, 0, 0
	}
	e, err := n.fs.fileAt(ctx, p)
	if err != nil {
		return nil, 0, toErrno(n.fs.log, "open", p, err)
	}
	n.mu.Lock()
	n.last = e
	var fuseFlags uint32
	if n.cachedETag == e.etag {
		fuseFlags = fuse.FOPEN_KEEP_CACHE
	}
	n.cachedETag = e.etag
	n.mu.Unlock()
	r := newObjectReader(n.fs.client, n.fs.blocks, n.fs.budget, &n.fs.streams, n.fs.opts.Reader, e.key, e.etag, e.attr.Size)
	return &fileHandle{node: n, e: e, r: r}, fuseFlags, 0
}

// uploaded records that the kernel's pages of the file are those of the
// version the writer just uploaded.
func (n *fileNode) uploaded(w *writer) {
	if e, ok := w.entry(); ok && e.etag != "" {
		n.mu.Lock()
		n.last, n.cachedETag = e, e.etag
		n.mu.Unlock()
	}
}

// fileHandle is one open file: a reader of the version open found, or a
// handle on the file's writer.
type fileHandle struct {
	node  *fileNode
	write bool
	e     entry
	r     *objectReader // nil when the file is staged
	w     *writer       // the file's writer, when the file is staged
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
func (h *fileHandle) Allocate(_ context.Context, off, size uint64, mode uint32) syscall.Errno {
	switch {
	case !h.write:
		return syscall.EBADF
	case mode == fallocKeepSize:
		return 0
	case mode != 0:
		return syscall.EOPNOTSUPP
	}
	return toErrno(h.node.fs.log, "fallocate", h.node.Path(nil), h.w.grow(int64(off+size)))
}

func (h *fileHandle) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	if h.r == nil {
		got, err := h.w.read(ctx, dest, off)
		if err != nil {
			return nil, toErrno(h.node.fs.log, "read", h.node.Path(nil), err)
		}
		return fuse.ReadResultData(got), 0
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

func (h *fileHandle) Write(ctx context.Context, data []byte, off int64) (uint32, syscall.Errno) {
	ctx = uninterruptible(ctx)
	if !h.write {
		return 0, syscall.EBADF
	}
	n, err := h.w.write(ctx, data, off)
	if err != nil {
		return uint32(n), toErrno(h.node.fs.log, "write", h.node.Path(nil), err)
	}
	return uint32(n), 0
}

// Flush runs at every close of a descriptor: the close of one that could
// write returns the upload's error. Closing a read-only descriptor uploads
// nothing (and so cannot fail because of somebody else's writes).
func (h *fileHandle) Flush(ctx context.Context) syscall.Errno {
	if !h.write {
		return 0
	}
	return h.flush(ctx, "flush", flushClose)
}

func (h *fileHandle) Fsync(ctx context.Context, flags uint32) syscall.Errno {
	return h.flush(ctx, "fsync", flushSync)
}

func (h *fileHandle) flush(ctx context.Context, op string, reason flushReason) syscall.Errno {
	if h.w == nil {
		return 0 // a reader of an object: nothing to upload
	}
	if err := h.w.flush(uninterruptible(ctx), reason); err != nil {
		return toErrno(h.node.fs.log, op, h.node.Path(nil), err)
	}
	h.node.uploaded(h.w)
	return 0
}

func (h *fileHandle) Release(ctx context.Context) syscall.Errno {
	if h.r != nil {
		h.r.Close()
		return 0
	}
	h.w.release(uninterruptible(ctx), h.write)
	return 0
}

// markUnlinked records that the node's name is gone.
func (n *fileNode) markUnlinked() {
	n.mu.Lock()
	n.unlinked = true
	n.mu.Unlock()
}
