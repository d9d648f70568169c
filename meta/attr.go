package meta

import "time"

// File type and permission bits of st_mode, with the values Linux (and so
// ossfs) stores in x-oss-meta-mode. They are spelled out here rather than
// taken from syscall because they are part of the on-bucket format, which
// must not change with the platform ossfuse is built for.
const (
	ModeType       uint32 = 0o170000 // S_IFMT: mask of the type bits
	ModeSocket     uint32 = 0o140000 // S_IFSOCK
	ModeSymlink    uint32 = 0o120000 // S_IFLNK
	ModeRegular    uint32 = 0o100000 // S_IFREG
	ModeDevice     uint32 = 0o060000 // S_IFBLK
	ModeDir        uint32 = 0o040000 // S_IFDIR
	ModeCharDevice uint32 = 0o020000 // S_IFCHR
	ModeFIFO       uint32 = 0o010000 // S_IFIFO
	// ModePerm is the permission bits including setuid, setgid and sticky.
	ModePerm uint32 = 0o7777
)

// Default permission bits for objects that carry no mode of their own, and
// the fixed mode of symlinks (Linux ignores a symlink's permissions and
// always shows lrwxrwxrwx; ossfs writes 0777 too).
const (
	DefaultFileMode uint32 = 0o644
	DefaultDirMode  uint32 = 0o755
	SymlinkMode            = ModeSymlink | 0o777
)

// Attr is the POSIX view of one object: what stat(2) reports for it.
type Attr struct {
	// Mode is the full st_mode: type bits (ModeDir, ModeRegular, ...) and
	// permission bits.
	Mode uint32
	Uid  uint32
	Gid  uint32
	// Size is the file's length; 0 for directories; the target's length
	// for symlinks when it is known.
	Size int64
	// Mtime is the modification time. It is the zero time only for
	// implicit directories, which have no object to take a time from; the
	// filesystem substitutes one (the mount time, say).
	Mtime time.Time
}

// Type returns the type bits of the mode (one of the Mode* type constants).
func (a Attr) Type() uint32 { return a.Mode & ModeType }

// IsDir reports whether the attributes are those of a directory.
func (a Attr) IsDir() bool { return a.Type() == ModeDir }

// IsRegular reports whether the attributes are those of a regular file.
func (a Attr) IsRegular() bool { return a.Type() == ModeRegular }

// IsSymlink reports whether the attributes are those of a symbolic link.
func (a Attr) IsSymlink() bool { return a.Type() == ModeSymlink }

// Perm returns the permission bits, including setuid, setgid and sticky.
func (a Attr) Perm() uint32 { return a.Mode & ModePerm }

// Defaults are the mount's attributes for objects that do not carry their
// own: objects written by tools other than ossfs, and implicit directories.
type Defaults struct {
	// Uid and Gid own every object without x-oss-meta-uid / -gid.
	Uid, Gid uint32
	// FileMode and DirMode are permission bits (no type bits); zero means
	// DefaultFileMode / DefaultDirMode, so that a zero Defaults is usable.
	// A mount wanting files nobody can read says so with Umask 0777.
	FileMode, DirMode uint32
	// Umask clears permission bits from FileMode and DirMode. It applies
	// to defaults only: a mode stored on the object is shown as stored,
	// as ossfs does without its umask option.
	Umask uint32
}

// File returns the full st_mode of a regular file without a stored mode.
func (d Defaults) File() uint32 {
	return ModeRegular | d.perm(d.FileMode, DefaultFileMode)
}

// Dir returns the full st_mode of a directory without a stored mode.
func (d Defaults) Dir() uint32 {
	return ModeDir | d.perm(d.DirMode, DefaultDirMode)
}

func (d Defaults) perm(mode, def uint32) uint32 {
	if mode == 0 {
		mode = def
	}
	return mode &^ d.Umask & ModePerm
}
