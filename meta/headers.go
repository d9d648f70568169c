package meta

import (
	"strconv"
	"strings"
	"time"

	"github.com/ossfuse/ossfuse/ossio"
)

// Encode returns the user metadata that stores a's mode, owner and mtime,
// as ossfs 1.x writes them: decimal st_mode with type bits, decimal uid and
// gid, and mtime in whole seconds. A zero Mtime is left out.
//
// mtime is written as "<sec>" although we read "<sec>.<ns>": ossfs up to
// 1.80 parses the value with s3fs_strtoofft, which returns 0 at the '.' and
// so would show every file we touched as modified in 1970; ossfs itself
// only ever writes str(time_t). StoredTime tells what reads back.
func Encode(a Attr) map[string]string {
	m := map[string]string{
		MetaMode: strconv.FormatUint(uint64(a.Mode), 10),
		MetaUid:  strconv.FormatUint(uint64(a.Uid), 10),
		MetaGid:  strconv.FormatUint(uint64(a.Gid), 10),
	}
	if !a.Mtime.IsZero() {
		m[MetaMtime] = strconv.FormatInt(a.Mtime.Unix(), 10)
	}
	return m
}

// StoredTime returns t as it reads back after Encode: truncated to whole
// seconds. The filesystem reports this after utimens or a write, so the
// mtime a process sees does not change when the attributes are next loaded
// from OSS.
func StoredTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return time.Unix(t.Unix(), 0).UTC()
}

// Merge returns the metadata for a self-copy that changes a's attributes
// (chmod, chown, utimens) of an object whose current user metadata is old.
// A copy with the REPLACE directive drops every header it is not given, so
// the object's other user metadata (ossfs's atime and ctime, the symlink
// target, anything a user set) is carried over; ours is overwritten. A
// zero a.Mtime keeps the old mtime. old is not modified.
func Merge(old map[string]string, a Attr) map[string]string {
	m := make(map[string]string, len(old)+4)
	for k, v := range old {
		m[k] = v
	}
	for k, v := range Encode(a) {
		m[k] = v
	}
	return m
}

// Decode builds the attributes of an object from its HEAD. Values missing
// or garbled fall back, one field at a time, to d (mode, owner) or to
// Last-Modified (mtime); each garbled value is described in the returned
// warnings (which do not repeat the key), for the caller to log once per
// object.
//
// The type comes from the key first: a key ending in "/" is a directory
// whatever its mode says, because the filesystem can only ever reach it as
// one. Otherwise a symlink in any of its three forms (see SymlinkSource) is
// a symlink; otherwise the mode's type bits decide, where a missing type is
// a regular file. Two stored types are refused, with a warning, and shown
// as regular files:
//   - S_IFDIR on a key without "/": the "dir" objects of s3fs before 1.63.
//     As a file it is harmless (an empty file, or hidden by the directory
//     "dir/" when that has children); as a directory its rmdir would delete
//     "dir/" and leave the object that makes it reappear.
//   - character and block devices: whoever can write the bucket must not
//     be able to plant /dev/mem in a mount that lacks nodev.
//
// FIFOs and sockets (ossfs's mknod makes them) keep their type.
//
// Size is the object's for files. Directories report 0, as ossfs 1.x does
// (it shows a marker's Content-Length) and as mountpoint-s3 and gcsfuse do:
// an implicit directory has no object at all. Symlinks report the target's
// length when the metadata holds the target, the body's length when the
// body does, and 0 for native OSS symlinks until GetSymlink has been read.
func Decode(info ossio.ObjectInfo, d Defaults) (Attr, []string) {
	var w warnings
	a := Attr{Uid: d.Uid, Gid: d.Gid, Size: info.Size, Mtime: info.LastModified}
	if uid, ok := lookup(info.Meta, uidAliases, parseID, &w); ok {
		a.Uid = uid
	}
	if gid, ok := lookup(info.Meta, gidAliases, parseID, &w); ok {
		a.Gid = gid
	}
	if t, ok := lookup(info.Meta, mtimeAliases, parseMtime, &w); ok {
		a.Mtime = t
	}
	mode, hasMode := lookup(info.Meta, modeAliases, parseMode, &w)

	if strings.HasSuffix(info.Key, "/") {
		if t := mode & ModeType; hasMode && t != 0 && t != ModeDir {
			w.add("x-oss-meta-mode %#o on a directory marker: type ignored", mode)
		}
		a.Mode, a.Size = d.Dir(), 0
		if hasMode {
			a.Mode = ModeDir | mode&ModePerm
		}
		return a, w
	}

	if kind, target := symlinkSource(info, mode, hasMode, &w); kind != NotSymlink {
		a.Mode = SymlinkMode
		switch kind {
		case SymlinkHeader:
			a.Size = int64(len(target))
		case SymlinkNative:
			a.Size = 0
		}
		return a, w
	}

	a.Mode = d.File()
	if !hasMode {
		return a, w
	}
	switch mode & ModeType {
	case 0, ModeRegular:
		a.Mode = ModeRegular | mode&ModePerm
	case ModeFIFO, ModeSocket:
		a.Mode = mode
	case ModeDir:
		w.add("x-oss-meta-mode %#o: a directory object without a trailing slash (s3fs < 1.63); shown as a file", mode)
		a.Mode = ModeRegular | mode&ModePerm
	default:
		w.add("x-oss-meta-mode %#o: device nodes are not mounted; shown as a file", mode)
		a.Mode = ModeRegular | mode&ModePerm
	}
	return a, w
}

// FromListEntry returns the attributes of a listed object, where only the
// key, size, mtime and object type are known (listings carry no user
// metadata): a key ending in "/" is a directory with d.Dir() and size 0, a
// native OSS symlink is a symlink, and anything else a regular file with
// d.File(). ossfs-style symlinks (mode S_IFLNK, body = target) cannot be
// told from small files here; they show as files until a HEAD is decoded.
//
// For a common prefix, which has no entry, pass ossio.ListEntry{Key:
// prefix}: the result has a zero Mtime, for the filesystem to fill in.
func FromListEntry(e ossio.ListEntry, d Defaults) Attr {
	a := Attr{Uid: d.Uid, Gid: d.Gid, Size: e.Size, Mtime: e.LastModified}
	switch {
	case strings.HasSuffix(e.Key, "/"):
		a.Mode, a.Size = d.Dir(), 0
	case e.Type == ossio.TypeSymlink:
		a.Mode, a.Size = SymlinkMode, 0
	default:
		a.Mode = d.File()
	}
	return a
}
