package fs

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"syscall"

	fusefs "github.com/hanwen/go-fuse/v2/fs"
	"golang.org/x/sync/errgroup"

	"github.com/ossfuse/ossfuse/ossio"
)

var _ = (fusefs.NodeRenamer)((*dirNode)(nil))

// renameParallelism bounds the copies of a directory rename in flight.
const renameParallelism = 16

// Rename moves a file (copy, then delete) or a directory (every key under
// it copied in parallel, then deleted in batches). It is not atomic: all
// copies are made before anything is deleted, so a failure leaves the
// source whole.
func (n *dirNode) Rename(ctx context.Context, name string, newParent fusefs.InodeEmbedder, newName string, flags uint32) syscall.Errno {
	ctx = uninterruptible(ctx)
	if n.fs.opts.ReadOnly {
		return syscall.EROFS
	}
	if flags&^uint32(unixRenameNoreplace) != 0 {
		return syscall.EINVAL // RENAME_EXCHANGE and RENAME_WHITEOUT: not on OSS
	}
	dst, ok := newParent.(*dirNode)
	if !ok {
		return syscall.EXDEV
	}
	if _, errno := dst.newChildPath(newName); errno != 0 {
		return errno
	}
	from, to := childPath(n.path(), name), childPath(dst.path(), newName)
	src, err := n.fs.stat(ctx, n.path(), name)
	if err != nil {
		return toErrno(n.fs.log, "rename", from, err)
	}
	target, err := n.fs.stat(ctx, dst.path(), newName)
	switch {
	case err == nil && flags&unixRenameNoreplace != 0:
		return syscall.EEXIST
	case err == nil && target.kind == kindDir && src.kind != kindDir:
		return syscall.EISDIR
	case err == nil && target.kind != kindDir && src.kind == kindDir:
		return syscall.ENOTDIR
	case err != nil && !errors.Is(err, ossio.ErrNotFound):
		return toErrno(n.fs.log, "rename", to, err)
	}
	if src.kind == kindDir {
		err = n.fs.renameDir(ctx, from, to, err == nil)
	} else {
		err = n.fs.renameFile(ctx, from, to)
	}
	if err != nil {
		if errors.Is(err, errNotEmpty) {
			return syscall.ENOTEMPTY
		}
		return toErrno(n.fs.log, "rename", from, err)
	}
	// The replaced file's open descriptors keep their data but must not
	// upload it over the file renamed here (its writer, if any, is
	// unlinked by the move in the registry).
	dst.unlinkedChild(newName)
	return 0
}

// unixRenameNoreplace is RENAME_NOREPLACE of renameat2(2).
const unixRenameNoreplace = 1

var errNotEmpty = errors.New("directory not empty")

// renameFile copies the object at from to its new key and deletes the
// old one. A file being written is uploaded first, so the copy has its
// bytes, and no upload of it (or of the file it replaces) may run until
// its writer has the new key; a new file never uploaded has nothing in OSS
// to move: only its writer moves.
func (f *FS) renameFile(ctx context.Context, from, to string) error {
	ws := lockUploads(f.writers.get(from), f.writers.get(to))
	defer unlockUploads(ws)
	oldKey, newKey := f.opts.Mapper.Key(from), f.opts.Mapper.Key(to)
	if w := f.writers.get(from); w != nil {
		w.mu.Lock()
		staged := w.onlyStagedLocked()
		w.mu.Unlock()
		if staged {
			f.moveWriter(from, to, entry{}, false)
			f.removed(from, oldKey)
			if e, ok := w.entry(); ok {
				f.stored(to, e)
			}
			return nil
		}
		if err := w.flushHeld(ctx, flushSync); err != nil {
			return err
		}
	}
	src, err := f.stat(ctx, parentOf(from), baseName(from))
	if err != nil {
		return err
	}
	var res ossio.CopyResult
	if src.objType == ossio.TypeAppendable {
		res.ETag, err = f.rewriteAppendable(ctx, src, newKey)
	} else {
		res, err = ossio.CopyLarge(ctx, f.client, ossio.CopyRequest{SrcKey: oldKey, DstKey: newKey, Directive: ossio.MetadataCopy, IfMatch: src.etag},
			src.attr.Size, f.uploadOptions())
	}
	if err != nil {
		return err
	}
	if err := f.client.DeleteObject(ctx, oldKey); err != nil {
		return err
	}
	f.moveWriter(from, to, entry{etag: res.ETag}, src.objType == ossio.TypeAppendable)
	f.removed(from, oldKey)
	src.key, src.etag = newKey, res.ETag
	f.stored(to, src)
	return nil
}

// moveWriter moves the writer at from, if any, to the path to (whose own
// writer, replaced, is unlinked); base is the object the rename made of
// the file.
func (f *FS) moveWriter(from, to string, base entry, rewritten bool) {
	moved, replaced := f.writers.move(from, to)
	if replaced != nil && replaced != moved {
		replaced.markUnlinked()
	}
	if moved != nil {
		moved.mu.Lock()
		moved.rekeyLocked(f.opts.Mapper.Key(to), base, rewritten)
		moved.mu.Unlock()
	}
}

// lockUploads takes the upload locks of the writers given (nil ones
// skipped), in the order of their ids, and returns them for
// unlockUploads.
func lockUploads(ws ...*writer) []*writer {
	ws = slices.DeleteFunc(ws, func(w *writer) bool { return w == nil })
	slices.SortFunc(ws, func(a, b *writer) int { return cmp.Compare(a.id, b.id) })
	ws = slices.Compact(ws)
	for _, w := range ws {
		w.upload.Lock()
	}
	return ws
}

func unlockUploads(ws []*writer) {
	for _, w := range ws {
		w.upload.Unlock()
	}
}

// renameDir moves every key under from/ to to/. targetExists says a
// directory is at to: it must be empty, and its marker is replaced.
func (f *FS) renameDir(ctx context.Context, from, to string, targetExists bool) error {
	oldPrefix, newPrefix := f.opts.Mapper.DirKey(from), f.opts.Mapper.DirKey(to)
	if strings.HasPrefix(newPrefix, oldPrefix) {
		return syscall.EINVAL // into itself
	}
	// Files being written under from are uploaded first, so the copies
	// have their bytes; new files never uploaded only move in the
	// registry. No upload under from may start until the writers moved.
	ws := lockUploads(f.writers.under(from)...)
	defer unlockUploads(ws)
	if targetExists && len(f.writers.under(to)) > 0 {
		return errNotEmpty
	}
	for _, w := range ws {
		w.mu.Lock()
		staged := w.onlyStagedLocked()
		w.mu.Unlock()
		if !staged {
			if err := w.flushHeld(ctx, flushSync); err != nil {
				return err
			}
		}
	}
	if targetExists {
		page, err := f.client.ListObjects(ctx, ossio.ListRequest{Prefix: newPrefix, MaxKeys: 2})
		if err != nil {
			return err
		}
		for _, o := range page.Objects {
			if o.Key != newPrefix {
				return errNotEmpty
			}
		}
	}
	keys, err := f.listAll(ctx, oldPrefix)
	if err != nil {
		return err
	}
	etags := make([]string, len(keys))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(renameParallelism)
	for i, k := range keys {
		g.Go(func() error {
			res, err := f.client.CopyObject(gctx, ossio.CopyRequest{
				SrcKey: k, DstKey: newPrefix + strings.TrimPrefix(k, oldPrefix), Directive: ossio.MetadataCopy,
			})
			etags[i] = res.ETag
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err // the source is whole; copies made so far stay under to/
	}
	if err := f.client.DeleteObjects(ctx, keys); err != nil {
		return err
	}
	f.writers.moveTree(from, to)
	copied := map[string]string{}
	for i, k := range keys {
		copied[newPrefix+strings.TrimPrefix(k, oldPrefix)] = etags[i]
	}
	for _, w := range ws {
		w.mu.Lock()
		if w.stage != nil {
			key := newPrefix + strings.TrimPrefix(w.stage.key, oldPrefix)
			w.rekeyLocked(key, entry{etag: copied[key]}, false)
		}
		w.mu.Unlock()
	}
	f.removedDir(from)
	f.changedTree(to)
	for _, k := range keys {
		f.blocks.InvalidateObject(k)
	}
	return nil
}

// listAll returns every key under prefix, the marker included.
func (f *FS) listAll(ctx context.Context, prefix string) ([]string, error) {
	var keys []string
	req := ossio.ListRequest{Prefix: prefix, MaxKeys: ossio.MaxListKeys}
	for {
		page, err := f.client.ListObjects(ctx, req)
		if err != nil {
			return nil, err
		}
		for _, o := range page.Objects {
			keys = append(keys, o.Key)
		}
		if !page.IsTruncated {
			return keys, nil
		}
		req.ContinuationToken = page.NextContinuationToken
	}
}

// rewriteAppendable writes the content and metadata of the Appendable
// object of src as newKey, which OSS cannot do by copying: the bytes go
// through a temporary stage (fetched in blocks) and up again, making a
// Normal object. It returns the new object's ETag.
func (f *FS) rewriteAppendable(ctx context.Context, src entry, newKey string) (string, error) {
	src, err := f.exactEntryOf(ctx, src)
	if err != nil {
		return "", err
	}
	var mu sync.Mutex
	tmp := src
	tmp.key = newKey // its journal shows it clean: a mount after a crash drops it
	s, err := f.newStaging(f.writers.newID(), tmp, false, &mu)
	if err != nil {
		return "", err
	}
	defer s.discard()
	s.base = src
	res, err := ossio.UploadFile(ctx, f.client, newKey, stageReader{ctx: ctx, fs: f, s: s}, src.attr.Size,
		ossio.ObjectMeta{ContentType: src.contentType, Meta: src.userMeta}, f.uploadOptions(), nil)
	return res.ETag, err
}
