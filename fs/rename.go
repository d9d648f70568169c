package fs

import (
	"context"
	"errors"
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
		err = n.renameFile(ctx, name, from, to)
	}
	if err != nil {
		if errors.Is(err, errNotEmpty) {
			return syscall.ENOTEMPTY
		}
		return toErrno(n.fs.log, "rename", from, err)
	}
	if ch := dst.GetChild(newName); ch != nil {
		if fn, ok := ch.Operations().(*fileNode); ok {
			// The replaced file's open descriptors keep their data but
			// must not upload it over the file renamed here.
			fn.markUnlinked()
		}
	}
	return 0
}

// unixRenameNoreplace is RENAME_NOREPLACE of renameat2(2).
const unixRenameNoreplace = 1

var errNotEmpty = errors.New("directory not empty")

// renameFile copies the object of name to its new key and deletes the old
// one. A file being written is uploaded first, so the copy has its bytes.
func (n *dirNode) renameFile(ctx context.Context, name, from, to string) error {
	if ch := n.GetChild(name); ch != nil {
		if fn, ok := ch.Operations().(*fileNode); ok {
			if err := fn.flush(ctx); err != nil {
				return err
			}
		}
	}
	src, err := n.fs.stat(ctx, n.path(), name)
	if err != nil {
		return err
	}
	oldKey, newKey := n.fs.opts.Mapper.Key(from), n.fs.opts.Mapper.Key(to)
	var res ossio.CopyResult
	if src.objType == ossio.TypeAppendable {
		res.ETag, err = n.fs.rewriteAppendable(ctx, src, newKey)
	} else {
		res, err = ossio.CopyLarge(ctx, n.fs.client, ossio.CopyRequest{SrcKey: oldKey, DstKey: newKey, Directive: ossio.MetadataCopy, IfMatch: src.etag},
			src.attr.Size, n.fs.uploadOptions())
	}
	if err != nil {
		return err
	}
	if ch := n.GetChild(name); ch != nil {
		if fn, ok := ch.Operations().(*fileNode); ok {
			fn.moved(newKey, res.ETag, src.objType == ossio.TypeAppendable)
		}
	}
	if err := n.fs.client.DeleteObject(ctx, oldKey); err != nil {
		return err
	}
	n.fs.removed(from, oldKey)
	src.key, src.etag = newKey, res.ETag
	n.fs.stored(to, src)
	return nil
}

// renameDir moves every key under from/ to to/. targetExists says a
// directory is at to: it must be empty, and its marker is replaced.
func (f *FS) renameDir(ctx context.Context, from, to string, targetExists bool) error {
	oldPrefix, newPrefix := f.opts.Mapper.DirKey(from), f.opts.Mapper.DirKey(to)
	if strings.HasPrefix(newPrefix, oldPrefix) {
		return syscall.EINVAL // into itself
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
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(renameParallelism)
	for _, k := range keys {
		g.Go(func() error {
			_, err := f.client.CopyObject(gctx, ossio.CopyRequest{
				SrcKey: k, DstKey: newPrefix + strings.TrimPrefix(k, oldPrefix), Directive: ossio.MetadataCopy,
			})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err // the source is whole; copies made so far stay under to/
	}
	if err := f.client.DeleteObjects(ctx, keys); err != nil {
		return err
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
	tmp.key = newKey + "\x00rename" // a stage file of its own, not the destination's
	s, err := f.newStaging(tmp, false, &mu)
	if err != nil {
		return "", err
	}
	defer s.discard()
	s.base = src
	res, err := ossio.UploadFile(ctx, f.client, newKey, stageReader{ctx: ctx, fs: f, s: s}, src.attr.Size,
		ossio.ObjectMeta{ContentType: src.contentType, Meta: src.userMeta}, f.uploadOptions(), nil)
	return res.ETag, err
}
