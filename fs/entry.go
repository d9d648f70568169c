package fs

import (
	"path"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/ossfuse/ossfuse/meta"
	"github.com/ossfuse/ossfuse/ossio"
)

// kind is the file type of an entry.
type kind uint8

const (
	kindFile kind = iota
	kindDir
	kindSymlink
)

func (k kind) String() string {
	switch k {
	case kindDir:
		return "dir"
	case kindSymlink:
		return "symlink"
	}
	return "file"
}

// mode is the type bits go-fuse wants for an inode of this kind.
func (k kind) mode() uint32 {
	switch k {
	case kindDir:
		return syscall.S_IFDIR
	case kindSymlink:
		return syscall.S_IFLNK
	}
	return syscall.S_IFREG
}

// entry is what the filesystem knows of one path.
type entry struct {
	kind kind
	attr meta.Attr
	// key is the object behind the path: the file or symlink object, or a
	// directory's marker ("" for an implicit directory).
	key  string
	etag string
	// exact says the attributes come from a HEAD (the object's own
	// metadata), not from a listing and the mount defaults.
	exact bool
	// symlink says where a symlink's target is; target holds it once known.
	symlink meta.SymlinkKind
	target  string
	objType ossio.ObjectType
	// contentType and userMeta are the object's, known when exact: a
	// metadata change or a rewrite must carry them over.
	contentType string
	userMeta    map[string]string
}

// fill writes e's attributes to out.
func (e entry) fill(out *fuse.Attr) {
	a := e.attr
	out.Mode = a.Mode
	out.Size = uint64(max(a.Size, 0))
	if e.kind == kindSymlink && e.target != "" {
		out.Size = uint64(len(e.target))
	}
	out.Blocks = (out.Size + 511) / 512
	out.Blksize = blockSize
	out.Uid, out.Gid = a.Uid, a.Gid
	out.Nlink = 1
	if e.kind == kindDir {
		out.Nlink = 2
	}
	sec, nsec := uint64(a.Mtime.Unix()), uint32(a.Mtime.Nanosecond())
	out.Mtime, out.Mtimensec = sec, nsec
	out.Ctime, out.Ctimensec = sec, nsec
	out.Atime, out.Atimensec = sec, nsec
}

// fileEntry builds the entry of an object from a HEAD.
func (f *FS) fileEntry(info ossio.ObjectInfo) entry {
	a, warnings := meta.Decode(info, f.opts.Defaults)
	for _, w := range warnings {
		if f.skipped.once("meta:" + info.Key + ":" + w) {
			f.log.WithField("key", info.Key).Warn("metadata ignored: " + w)
		}
	}
	e := entry{kind: kindFile, attr: a, key: info.Key, etag: info.ETag, exact: true, objType: info.Type,
		contentType: info.ContentType, userMeta: info.Meta}
	if k, target := meta.SymlinkSource(info); k != meta.NotSymlink {
		e.kind, e.symlink, e.target = kindSymlink, k, target
		e.attr.Mode = meta.ModeSymlink | (e.attr.Mode & meta.ModePerm)
		if e.attr.Mode&meta.ModePerm == 0 {
			e.attr.Mode |= 0o777
		}
	} else if a.IsDir() {
		e.kind = kindDir
	}
	return e
}

// listedEntry builds the entry of a listed object with the mount defaults.
func (f *FS) listedEntry(le ossio.ListEntry) entry {
	e := entry{kind: kindFile, attr: meta.FromListEntry(le, f.opts.Defaults), key: le.Key, etag: le.ETag, objType: le.Type}
	if le.Type == ossio.TypeSymlink {
		e.kind, e.symlink = kindSymlink, meta.SymlinkNative
		e.attr.Mode = meta.SymlinkMode
	}
	return e
}

// dirEntry is a directory with the mount defaults; marker is its marker
// key, "" when the directory is implicit.
func (f *FS) dirEntry(marker string) entry {
	return entry{kind: kindDir, key: marker, attr: meta.Attr{Mode: f.opts.Defaults.Dir(), Uid: f.opts.Defaults.Uid, Gid: f.opts.Defaults.Gid, Mtime: f.mounted}}
}

// childPath joins a directory path ("" for the root) and a name.
func childPath(dir, name string) string {
	if dir == "" {
		return name
	}
	return path.Join(dir, name)
}
