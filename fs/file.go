package fs

import (
	"context"
	"errors"
	"io"
	"path"
	"sync"
	"syscall"

	fusefs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// fileNode is a regular file backed by one object.
type fileNode struct {
	fusefs.Inode
	noXattrs
	fs *FS

	mu         sync.Mutex
	last       entry  // GUARDED_BY(mu): the entry last served
	cachedETag string // GUARDED_BY(mu): the version whose pages the kernel may hold
}

var (
	_ = (fusefs.NodeGetattrer)((*fileNode)(nil))
	_ = (fusefs.NodeOpener)((*fileNode)(nil))
)

func (n *fileNode) setEntry(e entry) {
	n.mu.Lock()
	n.last = e
	n.mu.Unlock()
}

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

func (n *fileNode) Getattr(ctx context.Context, fh fusefs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	if h, ok := fh.(*fileHandle); ok {
		// An open file reports the version it reads.
		h.e.fill(&out.Attr)
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
// kernel's page cache only when the object is the version it caches.
func (n *fileNode) Open(ctx context.Context, flags uint32) (fusefs.FileHandle, uint32, syscall.Errno) {
	if flags&(syscall.O_WRONLY|syscall.O_RDWR|syscall.O_TRUNC|syscall.O_APPEND) != 0 {
		return nil, 0, syscall.EROFS
	}
	e, err := revalidate(ctx, n.fs, n.EmbeddedInode())
	if err != nil {
		return nil, 0, toErrno(n.fs.log, "open", n.Path(nil), err)
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

// fileHandle is one open file: a reader of the version open found.
type fileHandle struct {
	node *fileNode
	e    entry
	r    *objectReader
}

var (
	_ = (fusefs.FileReader)((*fileHandle)(nil))
	_ = (fusefs.FileReleaser)((*fileHandle)(nil))
)

func (h *fileHandle) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
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

func (h *fileHandle) Release(ctx context.Context) syscall.Errno {
	h.r.Close()
	return 0
}
