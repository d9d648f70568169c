package fs

import (
	"context"
	"path"
	"strings"
	"syscall"
	"time"

	fusefs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/ossfuse/ossfuse/meta"
	"github.com/ossfuse/ossfuse/ossio"
)

// parentOf is the directory path of p ("" for a child of the root).
func parentOf(p string) string {
	dir := path.Dir(p)
	if dir == "." {
		return ""
	}
	return dir
}

// stored records that path now holds e: our own changes are seen at once.
// A fresh listing of the parent is amended rather than dropped (keeping
// its age), so that creating many files in a directory the mount just
// made or listed costs no lookup request per file.
func (f *FS) stored(p string, e entry) {
	f.stats.Put(p, e)
	_, name := path.Split(p)
	f.lists.Amend(parentOf(p), func(l *dirListing) *dirListing { return l.withChild(name, e) })
	if e.key != "" {
		f.blocks.InvalidateObject(e.key)
	}
}

// removed records that the file or symlink at path is gone.
func (f *FS) removed(p, key string) {
	_, name := path.Split(p)
	f.lists.Amend(parentOf(p), func(l *dirListing) *dirListing { return l.withoutChild(name) })
	f.stats.PutNegative(p)
	if key != "" {
		f.blocks.InvalidateObject(key)
	}
}

// removedDir records that the directory at path and everything under it
// are gone. Forgetting what was cached under it scans the stat cache: a
// cost for directories, which a file's removal must not pay.
func (f *FS) removedDir(p string) {
	f.stats.InvalidatePrefix(p + "/")
	f.lists.Invalidate(p)
	f.removed(p, "")
}

// changedTree forgets what was known of path and everything under it.
func (f *FS) changedTree(p string) {
	f.stats.Invalidate(p)
	f.stats.InvalidatePrefix(p + "/")
	f.lists.Invalidate(p)
	f.lists.Invalidate(parentOf(p))
}

// uninterruptible detaches an operation from the kernel's interrupts. A
// handled signal that reaches the caller during a FUSE request (Go
// programs get SIGURG for preemption all the time) becomes an INTERRUPT;
// answering it with EINTR fails lookups, opens and renames that programs
// do not retry, and could leave a rename or an upload half done. Only
// reads stay interruptible: a read may return early.
func uninterruptible(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }

// now is the current time as it will be stored (whole seconds), so that
// what a process sees before an upload does not change after it.
func now() time.Time { return meta.StoredTime(time.Now()) }

// callerAttr is the attributes of an object a caller creates now.
func callerAttr(ctx context.Context, mode uint32) meta.Attr {
	a := meta.Attr{Mode: mode, Mtime: now()}
	if c, ok := fuse.FromContext(ctx); ok {
		a.Uid, a.Gid = c.Uid, c.Gid
	}
	return a
}

// exactEntryOf returns e with the object's own metadata: e itself when it
// came from a HEAD, else a fresh HEAD of its key.
func (f *FS) exactEntryOf(ctx context.Context, e entry) (entry, error) {
	if e.exact || e.key == "" {
		return e, nil
	}
	info, err := f.client.HeadObject(ctx, e.key)
	if err != nil {
		return entry{}, err
	}
	exact := f.fileEntry(info)
	exact.kind = e.kind
	if e.kind == kindDir {
		exact.attr.Mode = meta.ModeDir | exact.attr.Perm()
	}
	return exact, nil
}

// replaceAttr gives the object of e the attributes a: a copy of the
// object onto itself with its full metadata (OSS replaces metadata on a
// self-copy), or for an implicit directory a new marker. One request.
func (f *FS) replaceAttr(ctx context.Context, p string, e entry, a meta.Attr) (entry, error) {
	e, err := f.exactEntryOf(ctx, e)
	if err != nil {
		return entry{}, err
	}
	a.Mtime = meta.StoredTime(a.Mtime)
	m := meta.Merge(e.userMeta, a)
	if e.kind == kindDir && e.key == "" {
		e.key, e.contentType = f.opts.Mapper.DirKey(p), meta.MarkerContentType
		_, err = f.client.PutObject(ctx, ossio.PutRequest{Key: e.key, Body: strings.NewReader(""), ContentType: meta.MarkerContentType, Meta: m})
	} else {
		_, err = ossio.CopyLarge(ctx, f.client, ossio.CopyRequest{
			SrcKey: e.key, DstKey: e.key, Directive: ossio.MetadataReplace, ContentType: e.contentType, Meta: m,
		}, e.attr.Size, ossio.UploadOptions{})
	}
	if err != nil {
		return entry{}, err
	}
	e.attr.Mode, e.attr.Uid, e.attr.Gid, e.attr.Mtime = a.Mode, a.Uid, a.Gid, a.Mtime
	e.userMeta, e.exact = m, true
	return e, nil
}

// applySetattr changes a as in asks: mode bits, owner, mtime (atime is
// not stored).
func applySetattr(a *meta.Attr, in *fuse.SetAttrIn) {
	if mode, ok := in.GetMode(); ok {
		a.Mode = a.Type() | mode&0o7777
	}
	if uid, ok := in.GetUID(); ok {
		a.Uid = uid
	}
	if gid, ok := in.GetGID(); ok {
		a.Gid = gid
	}
	if t, ok := in.GetMTime(); ok {
		a.Mtime = meta.StoredTime(t)
	}
}

// changesMetadata reports whether in changes what OSS stores (not only atime).
func changesMetadata(in *fuse.SetAttrIn) bool {
	return in.Valid&(fuse.FATTR_MODE|fuse.FATTR_UID|fuse.FATTR_GID|fuse.FATTR_MTIME) != 0
}

// setattrClean applies a metadata change to the object behind path p.
func (f *FS) setattrClean(ctx context.Context, p string, e entry, in *fuse.SetAttrIn) (entry, syscall.Errno) {
	if f.opts.ReadOnly {
		return e, syscall.EROFS
	}
	if !changesMetadata(in) {
		return e, 0
	}
	a := e.attr
	applySetattr(&a, in)
	e, err := f.replaceAttr(ctx, p, e, a)
	if err != nil {
		return entry{}, toErrno(f.log, "setattr", p, err)
	}
	f.stored(p, e)
	return e, 0
}

// setattrObject applies a metadata change to the object of node (a file
// not being written, a directory, a symlink): the node's current entry,
// then one self-copy; the node remembers the result and out reports it.
func (f *FS) setattrObject(ctx context.Context, node *fusefs.Inode, setter entrySetter, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	e, err := revalidate(ctx, f, node)
	if err != nil {
		return toErrno(f.log, "setattr", node.Path(nil), err)
	}
	e, errno := f.setattrClean(ctx, node.Path(nil), e, in)
	if errno != 0 {
		return errno
	}
	setter.setEntry(e)
	e.fill(&out.Attr)
	return 0
}

// Setattr truncates through the stage, and changes metadata in the
// pending upload of a file being written, else by a self-copy (an
// Appendable object, which OSS cannot copy, is staged and rewritten).
func (n *fileNode) Setattr(ctx context.Context, fh fusefs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	if n.fs.opts.ReadOnly {
		return syscall.EROFS
	}
	ctx = uninterruptible(ctx)
	p := n.Path(nil)
	_, truncate := in.GetSize()
	var w *writer
	h, _ := fh.(*fileHandle)
	if h != nil {
		w = h.w
	}
	if w == nil && !truncate && n.writer() == nil {
		e, err := revalidate(ctx, n.fs, n.EmbeddedInode())
		if err != nil {
			return toErrno(n.fs.log, "setattr", p, err)
		}
		if e.objType != ossio.TypeAppendable || !changesMetadata(in) {
			return n.fs.setattrObject(ctx, n.EmbeddedInode(), n, in, out)
		}
	}
	if w == nil {
		// Truncation by path, a file being written, or metadata of an
		// Appendable object: a handle on the writer for this call.
		size, _ := in.GetSize()
		var err error
		if w, err = n.fs.attachWriter(ctx, p, truncate && size == 0, false); err != nil {
			return toErrno(n.fs.log, "setattr", p, err)
		}
		defer w.release(ctx, false)
	}
	writing, err := w.setattr(in, h == nil)
	if err != nil {
		return toErrno(n.fs.log, "setattr", p, err)
	}
	if !writing { // no close will upload it: do it now
		if err := w.flush(ctx, flushSync); err != nil {
			return toErrno(n.fs.log, "setattr", p, err)
		}
	}
	e, _ := w.lastEntry()
	e.fill(&out.Attr)
	return 0
}
