package fs

import (
	"context"
	"errors"
	"strings"

	fusefs "github.com/hanwen/go-fuse/v2/fs"

	"github.com/ossfuse/ossfuse/cache"
	"github.com/ossfuse/ossfuse/meta"
	"github.com/ossfuse/ossfuse/ossio"
)

// stat returns the entry of path. It answers from the stat cache, then
// from a fresh listing of the parent directory, and only then asks OSS:
// one HEAD of the key, and when that misses one LIST with max-keys 1 for
// an implicit or marked directory, and for a marked directory (unless the
// mount takes attributes from listings) one HEAD of its marker for its
// metadata. Concurrent misses of one path share those requests. A missing
// path is ossio.ErrNotFound.
func (f *FS) stat(ctx context.Context, dir, name string) (entry, error) {
	p := childPath(dir, name)
	switch e, state := f.stats.Get(p); state {
	case cache.Hit:
		return e, nil
	case cache.NegativeHit:
		return entry{}, ossio.ErrNotFound
	}
	if l, state := f.lists.Get(dir); state == cache.Hit {
		if e, ok := l.entries[name]; ok {
			f.stats.Put(p, e)
			return e, nil
		}
		f.stats.PutNegative(p)
		return entry{}, ossio.ErrNotFound
	}
	return f.probe(ctx, p)
}

// probe asks OSS about path, through the stat cache's single flight.
func (f *FS) probe(ctx context.Context, p string) (entry, error) {
	key := f.opts.Mapper.Key(p)
	if err := meta.CheckKeyLength(key); err != nil {
		return entry{}, err
	}
	e, exists, err := f.stats.Load(ctx, p, func(ctx context.Context) (entry, bool, error) {
		info, err := f.client.HeadObject(ctx, key)
		switch {
		case err == nil:
			return f.fileEntry(info), true, nil
		case errors.Is(err, ossio.ErrSymlinkTarget):
			// A native symlink whose target is missing: still a symlink.
			return entry{kind: kindSymlink, key: key, symlink: meta.SymlinkNative,
				attr: meta.Attr{Mode: meta.SymlinkMode, Uid: f.opts.Defaults.Uid, Gid: f.opts.Defaults.Gid}}, true, nil
		case !errors.Is(err, ossio.ErrNotFound):
			return entry{}, false, err
		}
		dirKey := f.opts.Mapper.DirKey(p)
		if meta.CheckKeyLength(dirKey) != nil {
			return entry{}, false, nil // a 1023-byte name can be a file, never a directory
		}
		page, err := f.client.ListObjects(ctx, ossio.ListRequest{Prefix: dirKey, MaxKeys: 1})
		if err != nil {
			return entry{}, false, err
		}
		switch {
		case len(page.Objects) > 0 && page.Objects[0].Key == dirKey && !f.opts.AttrFromList:
			// A marked directory: its marker holds its mode, owner and mtime.
			return f.exactEntry(ctx, strings.TrimSuffix(dirKey, "/"), f.dirEntry(dirKey))
		case len(page.Objects) > 0 && page.Objects[0].Key == dirKey:
			return f.dirEntry(dirKey), true, nil
		case len(page.Objects) > 0 || len(page.CommonPrefixes) > 0:
			return f.dirEntry(""), true, nil
		}
		return entry{}, false, nil
	})
	if err != nil {
		return entry{}, err
	}
	if !exists {
		return entry{}, ossio.ErrNotFound
	}
	return e, nil
}

// child returns the inode of name under parent for e, reusing the existing
// inode when it still has the same type, so the kernel's caches of it hold.
func (f *FS) child(ctx context.Context, parent *fusefs.Inode, name string, e entry) *fusefs.Inode {
	if ch := parent.GetChild(name); ch != nil && ch.StableAttr().Mode == e.kind.mode() {
		if n, ok := ch.Operations().(entrySetter); ok {
			n.setEntry(e)
		}
		return ch
	}
	var node fusefs.InodeEmbedder
	switch e.kind {
	case kindDir:
		node = &dirNode{fs: f, last: e}
	case kindSymlink:
		node = &symlinkNode{fs: f, last: e}
	default:
		node = &fileNode{fs: f, last: e}
	}
	return parent.NewInode(ctx, node, fusefs.StableAttr{Mode: e.kind.mode()})
}

// entrySetter is a node that remembers the last entry it served.
type entrySetter interface {
	setEntry(entry)
}
