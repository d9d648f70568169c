package fs

import (
	"context"
	"sync"
	"syscall"

	fusefs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/ossfuse/ossfuse/cache"
	"github.com/ossfuse/ossfuse/meta"
)

// dirNode is a directory: the mount root, a directory marker or an
// implicit directory (a prefix with objects under it).
type dirNode struct {
	fusefs.Inode
	noXattrs
	fs *FS

	mu   sync.Mutex
	last entry // GUARDED_BY(mu): the entry last served
}

var (
	_ = (fusefs.NodeLookuper)((*dirNode)(nil))
	_ = (fusefs.NodeGetattrer)((*dirNode)(nil))
	_ = (fusefs.NodeOpendirHandler)((*dirNode)(nil))
	_ = (fusefs.NodeStatfser)((*dirNode)(nil))
)

func (n *dirNode) setEntry(e entry) {
	n.mu.Lock()
	n.last = e
	n.mu.Unlock()
}

// path is the node's path relative to the mount root ("" for the root).
func (n *dirNode) path() string { return n.Path(nil) }

// Lookup finds a child by name (see FS.stat for what it costs).
func (n *dirNode) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*fusefs.Inode, syscall.Errno) {
	ctx = uninterruptible(ctx)
	if err := meta.CheckName(name); err != nil {
		return nil, toErrno(n.fs.log, "lookup", name, err)
	}
	dir := n.path()
	if ch, e, ok := n.stagedChild(ctx, name); ok {
		e.fill(&out.Attr)
		return ch, 0
	}
	e, err := n.fs.stat(ctx, dir, name)
	if err != nil {
		return nil, toErrno(n.fs.log, "lookup", childPath(dir, name), err)
	}
	e.fill(&out.Attr)
	return n.fs.child(ctx, n.EmbeddedInode(), name, e), 0
}

// stagedChild returns the inode of name when it is a file with a writer
// (being written, or holding changes not uploaded), and its entry: what
// the mount says it is, in OSS yet or not, whether or not the kernel
// still has an inode for it.
func (n *dirNode) stagedChild(ctx context.Context, name string) (*fusefs.Inode, entry, bool) {
	w := n.fs.writers.get(childPath(n.path(), name))
	if w == nil {
		return nil, entry{}, false
	}
	e, ok := w.entry()
	if !ok {
		return nil, entry{}, false
	}
	return n.fs.child(ctx, n.EmbeddedInode(), name, e), e, true
}

// withStagedChildren returns l with the files of this directory that have
// a writer: a listing of OSS lacks those never uploaded, and shows older
// versions of the others.
func (n *dirNode) withStagedChildren(l *dirListing) *dirListing {
	for name, w := range n.fs.writers.childrenOf(n.path()) {
		if e, ok := w.entry(); ok {
			l = l.withChild(name, e)
		}
	}
	return l
}

// Getattr never asks OSS: a directory's attributes change rarely, and one
// that disappears is found out by its parent's next lookup or listing.
func (n *dirNode) Getattr(ctx context.Context, fh fusefs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	e, state := n.fs.stats.Get(n.path())
	n.mu.Lock()
	defer n.mu.Unlock()
	switch {
	case state == cache.Hit && e.kind == kindDir:
		n.last = e
	case n.IsRoot() && n.last.attr.Mode == 0:
		n.last = n.fs.dirEntry(n.fs.opts.Mapper.DirKey(""))
	}
	n.last.fill(&out.Attr)
	return 0
}

// OpendirHandle starts a listing; the handle serves it.
func (n *dirNode) OpendirHandle(ctx context.Context, flags uint32) (fusefs.FileHandle, uint32, syscall.Errno) {
	return &dirHandle{node: n}, 0, 0
}

// Statfs reports an effectively unlimited filesystem: OSS has no capacity
// to report, and tools such as cp and df must not think it is full.
func (n *dirNode) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	const blocks = 1 << 40 // 4 PiB of 4 KiB blocks
	out.Bsize, out.Frsize = 4096, 4096
	out.Blocks, out.Bfree, out.Bavail = blocks, blocks, blocks
	out.Files, out.Ffree = 1<<40, 1<<40
	out.NameLen = meta.NameMax
	return 0
}

// dirHandle serves one opendir: the listing is taken on the first read and
// kept for the life of the handle, so seekdir and the lookups of
// READDIRPLUS see one consistent snapshot.
type dirHandle struct {
	node *dirNode

	mu      sync.Mutex
	listing *dirListing // GUARDED_BY(mu)
	pos     int         // GUARDED_BY(mu): index of the next entry, "." and ".." counted
}

var (
	_ = (fusefs.FileFsyncdirer)((*dirHandle)(nil))
	_ = (fusefs.FileReaddirenter)((*dirHandle)(nil))
	_ = (fusefs.FileLookuper)((*dirHandle)(nil))
	_ = (fusefs.FileSeekdirer)((*dirHandle)(nil))
)

// load takes the listing if this handle has none yet.
func (h *dirHandle) load(ctx context.Context) (*dirListing, syscall.Errno) {
	ctx = uninterruptible(ctx)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.listing == nil {
		dir := h.node.path()
		l, err := h.node.fs.list(ctx, dir)
		if err != nil {
			return nil, toErrno(h.node.fs.log, "readdir", dir, err)
		}
		h.listing = h.node.withStagedChildren(l)
	}
	return h.listing, 0
}

// Fsyncdir (fsync and fdatasync of a directory descriptor, which editors
// and databases make after a rename) returns once every entry change made
// in the directory through this mount is in OSS: creates, removals and
// renames are by the time they return, so what remains is the files in it
// whose content is still staged, which it uploads.
func (h *dirHandle) Fsyncdir(ctx context.Context, flags uint32) syscall.Errno {
	ctx = uninterruptible(ctx)
	dir := h.node.path()
	for name, w := range h.node.fs.writers.childrenOf(dir) {
		if err := w.flush(ctx, flushSync); err != nil {
			return toErrno(h.node.fs.log, "fsync", childPath(dir, name), err)
		}
	}
	return 0
}

// Readdirent returns ".", "..", then the children in name order.
func (h *dirHandle) Readdirent(ctx context.Context) (*fuse.DirEntry, syscall.Errno) {
	l, errno := h.load(ctx)
	if errno != 0 {
		return nil, errno
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	i := h.pos
	if i >= len(l.names)+2 {
		return nil, 0
	}
	h.pos++
	de := &fuse.DirEntry{Off: uint64(i + 1), Mode: syscall.S_IFDIR}
	switch i {
	case 0:
		de.Name = "."
	case 1:
		de.Name = ".."
	default:
		de.Name = l.names[i-2]
		de.Mode = l.entries[de.Name].kind.mode()
	}
	return de, 0
}

// Seekdir moves to an offset earlier returned in a DirEntry.
func (h *dirHandle) Seekdir(ctx context.Context, off uint64) syscall.Errno {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pos = int(off)
	return 0
}

// Lookup answers READDIRPLUS from the handle's snapshot: no request.
func (h *dirHandle) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*fusefs.Inode, syscall.Errno) {
	ctx = uninterruptible(ctx)
	l, errno := h.load(ctx)
	if errno != 0 {
		return nil, errno
	}
	e, ok := l.entries[name]
	if !ok {
		return nil, syscall.ENOENT
	}
	e.fill(&out.Attr)
	return h.node.fs.child(ctx, h.node.EmbeddedInode(), name, e), 0
}
