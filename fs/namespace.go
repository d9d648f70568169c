package fs

import (
	"bytes"
	"context"
	"strings"
	"syscall"

	fusefs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/ossfuse/ossfuse/meta"
	"github.com/ossfuse/ossfuse/ossio"
)

var (
	_ = (fusefs.NodeCreater)((*dirNode)(nil))
	_ = (fusefs.NodeMkdirer)((*dirNode)(nil))
	_ = (fusefs.NodeUnlinker)((*dirNode)(nil))
	_ = (fusefs.NodeRmdirer)((*dirNode)(nil))
	_ = (fusefs.NodeSymlinker)((*dirNode)(nil))
	_ = (fusefs.NodeLinker)((*dirNode)(nil))
	_ = (fusefs.NodeMknoder)((*dirNode)(nil))
	_ = (fusefs.NodeSetattrer)((*dirNode)(nil))
	_ = (fusefs.NodeSetattrer)((*symlinkNode)(nil))
)

// newChildPath checks a name for a new child of n and returns its path.
func (n *dirNode) newChildPath(name string) (string, syscall.Errno) {
	if n.fs.opts.ReadOnly {
		return "", syscall.EROFS
	}
	if err := meta.CheckName(name); err != nil {
		return "", toErrno(n.fs.log, "create", name, err)
	}
	p := childPath(n.path(), name)
	if err := meta.CheckKeyLength(n.fs.opts.Mapper.Key(p)); err != nil {
		return "", toErrno(n.fs.log, "create", p, err)
	}
	return p, 0
}

// Create makes a new file. Nothing is uploaded until the first flush: the
// file is staged, and close uploads it (an empty file too).
func (n *dirNode) Create(ctx context.Context, name string, flags, mode uint32, out *fuse.EntryOut) (*fusefs.Inode, fusefs.FileHandle, uint32, syscall.Errno) {
	ctx = uninterruptible(ctx)
	p, errno := n.newChildPath(name)
	if errno != 0 {
		return nil, nil, 0, errno
	}
	e := entry{kind: kindFile, key: n.fs.opts.Mapper.Key(p), attr: callerAttr(ctx, meta.ModeRegular|mode&0o7777)}
	w, err := n.fs.newWriter(p, e, true)
	if err != nil {
		return nil, nil, 0, toErrno(n.fs.log, "create", p, err)
	}
	w.handles, w.writeHandles = 1, 1
	if old := n.fs.writers.add(p, w); old != nil {
		old.markUnlinked()
	}
	n.fs.stored(p, e)
	e.fill(&out.Attr)
	node := &fileNode{fs: n.fs, last: e}
	ch := n.NewInode(ctx, node, fusefs.StableAttr{Mode: kindFile.mode()})
	return ch, &fileHandle{node: node, write: true, w: w}, 0, 0
}

// Mkdir writes the directory's marker, carrying its mode, owner and mtime.
func (n *dirNode) Mkdir(ctx context.Context, name string, mode uint32, out *fuse.EntryOut) (*fusefs.Inode, syscall.Errno) {
	ctx = uninterruptible(ctx)
	p, errno := n.newChildPath(name)
	if errno != 0 {
		return nil, errno
	}
	e := entry{kind: kindDir, key: n.fs.opts.Mapper.DirKey(p), attr: callerAttr(ctx, meta.ModeDir|mode&0o7777), exact: true}
	e.attr.Mtime = meta.StoredTime(e.attr.Mtime)
	e.userMeta, e.contentType = meta.Encode(e.attr), meta.MarkerContentType
	if _, err := n.fs.client.PutObject(ctx, ossio.PutRequest{Key: e.key, Body: strings.NewReader(""), ContentType: e.contentType, Meta: e.userMeta}); err != nil {
		return nil, toErrno(n.fs.log, "mkdir", p, err)
	}
	n.fs.stored(p, e)
	// The mount just made it, empty: lookups of names in it need no request.
	n.fs.lists.Put(p, &dirListing{entries: map[string]entry{}})
	e.fill(&out.Attr)
	return n.fs.child(ctx, n.EmbeddedInode(), name, e), 0
}

// Symlink writes an ossfs 1.x symlink: the target as the body, S_IFLNK in
// the mode, so that ossfs reads it too.
func (n *dirNode) Symlink(ctx context.Context, target, name string, out *fuse.EntryOut) (*fusefs.Inode, syscall.Errno) {
	ctx = uninterruptible(ctx)
	p, errno := n.newChildPath(name)
	if errno != 0 {
		return nil, errno
	}
	a := callerAttr(ctx, meta.SymlinkMode)
	a.Mtime = meta.StoredTime(a.Mtime)
	body, m, err := meta.EncodeSymlink(target, a)
	if err != nil {
		return nil, toErrno(n.fs.log, "symlink", p, err)
	}
	key := n.fs.opts.Mapper.Key(p)
	res, err := n.fs.client.PutObject(ctx, ossio.PutRequest{Key: key, Body: bytes.NewReader(body), Size: int64(len(body)), ContentType: meta.SymlinkContentType, Meta: m})
	if err != nil {
		return nil, toErrno(n.fs.log, "symlink", p, err)
	}
	e := entry{kind: kindSymlink, key: key, etag: res.ETag, attr: a, exact: true, symlink: meta.SymlinkBody, target: target,
		contentType: meta.SymlinkContentType, userMeta: m}
	n.fs.stored(p, e)
	e.fill(&out.Attr)
	return n.fs.child(ctx, n.EmbeddedInode(), name, e), 0
}

// Unlink deletes a file's object. A descriptor still open on it keeps its
// data locally but uploads nothing: the name is gone.
func (n *dirNode) Unlink(ctx context.Context, name string) syscall.Errno {
	ctx = uninterruptible(ctx)
	if n.fs.opts.ReadOnly {
		return syscall.EROFS
	}
	p := childPath(n.path(), name)
	key := n.fs.opts.Mapper.Key(p)
	w := n.fs.writers.get(p)
	if w != nil {
		// An upload in flight would bring the object back after the
		// delete: wait for it, and let none start until the writer knows.
		w.upload.Lock()
		defer w.upload.Unlock()
	}
	if err := n.fs.client.DeleteObject(ctx, key); err != nil {
		return toErrno(n.fs.log, "unlink", p, err)
	}
	if w != nil {
		w.markUnlinked()
	}
	n.unlinkedChild(name)
	n.fs.removed(p, key)
	return 0
}

// unlinkedChild tells the node of name, if the kernel still has one, that
// its name is gone.
func (n *dirNode) unlinkedChild(name string) {
	if ch := n.GetChild(name); ch != nil {
		if fn, ok := ch.Operations().(*fileNode); ok {
			fn.markUnlinked()
		}
	}
}

// Rmdir removes an empty directory's marker; ENOTEMPTY while anything
// but the marker is under its prefix.
func (n *dirNode) Rmdir(ctx context.Context, name string) syscall.Errno {
	ctx = uninterruptible(ctx)
	if n.fs.opts.ReadOnly {
		return syscall.EROFS
	}
	p := childPath(n.path(), name)
	dirKey := n.fs.opts.Mapper.DirKey(p)
	page, err := n.fs.client.ListObjects(ctx, ossio.ListRequest{Prefix: dirKey, MaxKeys: 2})
	if err != nil {
		return toErrno(n.fs.log, "rmdir", p, err)
	}
	marker := false
	for _, o := range page.Objects {
		if o.Key != dirKey {
			return syscall.ENOTEMPTY
		}
		marker = true
	}
	if len(page.CommonPrefixes) > 0 {
		return syscall.ENOTEMPTY
	}
	if marker {
		if err := n.fs.client.DeleteObject(ctx, dirKey); err != nil {
			return toErrno(n.fs.log, "rmdir", p, err)
		}
	}
	n.fs.removedDir(p)
	return 0
}

// Link: OSS has no hard links.
func (n *dirNode) Link(ctx context.Context, target fusefs.InodeEmbedder, name string, out *fuse.EntryOut) (*fusefs.Inode, syscall.Errno) {
	return nil, syscall.EPERM
}

// Mknod: device nodes, FIFOs and sockets cannot be stored.
func (n *dirNode) Mknod(ctx context.Context, name string, mode, dev uint32, out *fuse.EntryOut) (*fusefs.Inode, syscall.Errno) {
	return nil, syscall.EPERM
}

// Setattr changes a directory's metadata on its marker (writing one for an
// implicit directory).
func (n *dirNode) Setattr(ctx context.Context, fh fusefs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	if n.IsRoot() {
		return syscall.EPERM // the root has no object to hold its attributes
	}
	return n.fs.setattrObject(uninterruptible(ctx), n.EmbeddedInode(), n, in, out)
}

// Setattr changes a symlink's metadata (lchown, utimensat with
// AT_SYMLINK_NOFOLLOW) by a self-copy.
func (n *symlinkNode) Setattr(ctx context.Context, fh fusefs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	return n.fs.setattrObject(uninterruptible(ctx), n.EmbeddedInode(), n, in, out)
}
