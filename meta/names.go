package meta

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/ossfuse/ossfuse/ossio"
)

// NameMax is the longest path component Linux accepts (NAME_MAX), in bytes.
const NameMax = 255

// Errors of the name rules; the filesystem maps them to errnos.
var (
	// ErrInvalidName: empty, ".", "..", or holding '/' or NUL (EINVAL).
	ErrInvalidName = errors.New("invalid file name")
	// ErrNameTooLong: a component over NameMax bytes (ENAMETOOLONG).
	ErrNameTooLong = errors.New("file name too long")
	// ErrKeyTooLong: an object key over ossio.MaxKeyLength bytes
	// (ENAMETOOLONG).
	ErrKeyTooLong = errors.New("object key too long")
	// ErrNotUTF8: a name that is not valid UTF-8, which no OSS key can
	// hold (EILSEQ).
	ErrNotUTF8 = errors.New("file name is not valid UTF-8")
)

// CheckName checks one path component that is about to become part of a
// key (create, mkdir, symlink, rename). Linux passes any bytes but NUL and
// '/', and OSS stores any UTF-8 key, so only bytes that are not UTF-8 are
// refused besides: names with spaces, unicode or control characters are
// fine.
func CheckName(name string) error {
	if reason, tooLong := nameProblem(name); reason != "" {
		if tooLong {
			return ErrNameTooLong
		}
		return ErrInvalidName
	}
	if !utf8.ValidString(name) {
		return ErrNotUTF8
	}
	return nil
}

// CheckKeyLength checks a whole key against the OSS limit. A directory's
// marker key is one byte longer than the directory's path: check DirKey,
// not Key, for mkdir.
func CheckKeyLength(key string) error {
	if len(key) > ossio.MaxKeyLength {
		return ErrKeyTooLong
	}
	return nil
}

// nameProblem says why name cannot be a path component, or "" when it can.
func nameProblem(name string) (reason string, tooLong bool) {
	switch {
	case name == "":
		return "empty path component", false
	case name == "." || name == "..":
		return fmt.Sprintf("%q path component", name), false
	case strings.IndexByte(name, '/') >= 0:
		return "'/' in name", false
	case strings.IndexByte(name, 0) >= 0:
		return "NUL byte in name", false
	case len(name) > NameMax:
		return fmt.Sprintf("name of %d bytes exceeds NAME_MAX (%d)", len(name), NameMax), true
	}
	return "", false
}

// Mapper maps paths relative to the mount root to object keys under the
// mount prefix, and back.
//
// INVARIANT: Prefix is "" or a clean key ending in "/" ("some/prefix/").
type Mapper struct {
	Prefix string
}

// NewMapper returns the Mapper for a mount prefix as the user gives it
// ("", "data", "/data/", "a/b"). One leading and one trailing slash are
// dropped; a prefix with an empty, "." or ".." component is refused, since
// keys under it could not be reached as the paths they look like.
func NewMapper(prefix string) (Mapper, error) {
	p := strings.TrimSuffix(strings.TrimPrefix(prefix, "/"), "/")
	if p == "" {
		return Mapper{}, nil
	}
	for _, c := range strings.Split(p, "/") {
		// A prefix component is never shown as a name, so NAME_MAX does
		// not bind it; only components no path can spell are refused.
		if reason, tooLong := nameProblem(c); reason != "" && !tooLong {
			return Mapper{}, fmt.Errorf("mount prefix %q: %s: %w", prefix, reason, ErrInvalidName)
		}
	}
	p += "/"
	if err := CheckKeyLength(p); err != nil {
		return Mapper{}, fmt.Errorf("mount prefix %q: %w", prefix, err)
	}
	return Mapper{Prefix: p}, nil
}

// Key returns the object key of the file at path, a clean path relative
// to the mount root ("a/b.txt"; a leading "/" is tolerated).
func (m Mapper) Key(path string) string {
	return m.Prefix + strings.TrimPrefix(path, "/")
}

// DirKey returns the key of the directory at path: its marker's key, and
// the prefix its children are listed under. The root's is the mount prefix
// itself, "" for a whole bucket.
func (m Mapper) DirKey(path string) string {
	p := strings.Trim(path, "/")
	if p == "" {
		return m.Prefix
	}
	return m.Prefix + p + "/"
}

// Rel returns the path of key relative to the mount root, without a
// trailing slash; ok is false when key lies outside the mount prefix.
func (m Mapper) Rel(key string) (path string, ok bool) {
	if !strings.HasPrefix(key, m.Prefix) {
		return "", false
	}
	return strings.TrimSuffix(key[len(m.Prefix):], "/"), true
}

// Child turns a key or common prefix of a listing under dirKey (a DirKey)
// into the name of the entry of that directory it belongs to: "a/b.txt"
// under "a/" is the file "b.txt", the common prefix "a/c/" (or a deeper key
// "a/c/d") the directory "c". ok is false for dirKey's own marker, for keys
// outside dirKey or the mount, and for names that cannot be shown; Classify
// says why, for the log.
//
// A file "x" and a prefix "x/" both yield "x", once as a file and once as
// a directory. The directory wins and the file is hidden (docs/SEMANTICS.md),
// as ossfs 1.x does (S3ObjList::insert keeps "x/" over "x"); applying that
// rule is the filesystem's job, as it needs the whole listing.
func (m Mapper) Child(dirKey, key string) (name string, isDir bool, ok bool) {
	if !strings.HasPrefix(dirKey, m.Prefix) {
		return "", false, false
	}
	name, isDir, skip := Classify(dirKey, key)
	return name, isDir, skip == "" && name != ""
}

// Classify is Child with the reason: it returns the entry's name, or a
// reason the key cannot be shown as a path (empty components as in "a//b",
// "." or "..", a name over NAME_MAX). Such objects are left out of the
// listing and logged once; they are never deleted or rewritten. name and
// skip are both "" for dirKey's own marker, which is not an entry and
// nothing to log.
func Classify(dirKey, key string) (name string, isDir bool, skip string) {
	if !strings.HasPrefix(key, dirKey) {
		return "", false, fmt.Sprintf("key %q is not under %q", key, dirKey)
	}
	rest := key[len(dirKey):]
	if rest == "" {
		return "", false, ""
	}
	first, _, isDir := strings.Cut(rest, "/")
	if reason, _ := nameProblem(first); reason != "" {
		return "", isDir, reason
	}
	return first, isDir, ""
}

// NativeTarget turns the target of a native OSS symlink at linkKey into
// what readlink returns. OSS resolves the target as a key from the bucket
// root, so the path is the target relative to the link's directory, which
// resolves to the same object through the mount: link "p/a/l" to "p/b/f"
// under prefix "p/" reads "../b/f". ok is false when the target lies
// outside the mount prefix (the path then climbs above the mount root) or
// has empty, "." or ".." components (path is then "").
func (m Mapper) NativeTarget(linkKey, target string) (path string, ok bool) {
	trailing := strings.HasSuffix(target, "/")
	t := strings.TrimSuffix(target, "/")
	if t == "" {
		return "", false
	}
	tparts := strings.Split(t, "/")
	for _, p := range tparts {
		if p == "" || p == "." || p == ".." {
			return "", false
		}
	}
	dir := strings.Split(linkKey, "/")
	dir = dir[:len(dir)-1]
	i := 0
	for i < len(dir) && i < len(tparts)-1 && dir[i] == tparts[i] {
		i++
	}
	path = strings.Repeat("../", len(dir)-i) + strings.Join(tparts[i:], "/")
	if trailing {
		path += "/"
	}
	return path, strings.HasPrefix(target, m.Prefix)
}
