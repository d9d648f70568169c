package meta

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/ossfuse/ossfuse/ossio"
)

// SymlinkKind says whether an object is a symbolic link and where its
// target is to be found.
type SymlinkKind int

// The forms a symlink takes on the bucket.
const (
	// NotSymlink: the object is not a symlink.
	NotSymlink SymlinkKind = iota
	// SymlinkHeader: ossfs 1.91's symlink_in_meta form; the target came
	// with the HEAD, in x-oss-meta-symlink-target, and is returned.
	SymlinkHeader
	// SymlinkBody: the classic ossfs/s3fs form, x-oss-meta-mode with
	// S_IFLNK; the target is the object's body. The caller GETs at most
	// MaxSymlinkTarget+1 bytes and passes them to TargetFromBody.
	SymlinkBody
	// SymlinkNative: an OSS symlink object (x-oss-object-type: Symlink).
	// The caller reads it with ossio.Client.GetSymlink, whose Target is
	// already percent-decoded (falling back to the raw value), and turns
	// the target key into a path with Mapper.NativeTarget.
	SymlinkNative
)

// String names the kind, for logs.
func (k SymlinkKind) String() string {
	switch k {
	case NotSymlink:
		return "not-symlink"
	case SymlinkHeader:
		return "symlink-header"
	case SymlinkBody:
		return "symlink-body"
	case SymlinkNative:
		return "symlink-native"
	}
	return "SymlinkKind(" + strconv.Itoa(int(k)) + ")"
}

// Limits and content type of symlinks we write.
const (
	// MaxSymlinkTarget is the longest target readlink(2) can return
	// (PATH_MAX less its NUL).
	MaxSymlinkTarget = 4095
	// SymlinkContentType is what ossfs gives its symlink objects.
	SymlinkContentType = "application/octet-stream"
	// maxSymlinkHeader bounds the encoded x-oss-meta-symlink-target we
	// write, so a long target never eats the 8 KB of user metadata an
	// object may carry; longer targets live in the body alone.
	maxSymlinkHeader = 2048
)

// ErrBadSymlink reports a symlink whose stored target cannot be returned by
// readlink: empty, too long, or holding a NUL byte.
var ErrBadSymlink = errors.New("invalid symlink target")

// SymlinkSource tells whether the object described by a HEAD is a symlink
// and, when the HEAD already holds the target (SymlinkHeader), returns it.
// For SymlinkBody and SymlinkNative the target is "" and the caller fetches
// it as the kind's comment says. Preference, when an object has several
// forms: native (OSS follows it, so it is what every other client sees),
// then the header (no extra request), then the mode. A header that cannot
// be parsed falls back to the body; Decode reports it.
func SymlinkSource(info ossio.ObjectInfo) (SymlinkKind, string) {
	mode, hasMode := lookup(info.Meta, modeAliases, parseMode, nil)
	return symlinkSource(info, mode, hasMode, nil)
}

func symlinkSource(info ossio.ObjectInfo, mode uint32, hasMode bool, w *warnings) (SymlinkKind, string) {
	if strings.HasSuffix(info.Key, "/") {
		return NotSymlink, ""
	}
	if info.Type == ossio.TypeSymlink {
		return SymlinkNative, ""
	}
	if v, ok := info.Meta[MetaSymlinkTarget]; ok {
		target, inBody, err := parseSymlinkHeader(v)
		if err == nil && inBody {
			return SymlinkBody, ""
		}
		if err == nil {
			return SymlinkHeader, target
		}
		w.add("x-oss-meta-%s %s: %v; reading the target from the body", MetaSymlinkTarget, quote(v), err)
		return SymlinkBody, ""
	}
	if hasMode && mode&ModeType == ModeSymlink {
		return SymlinkBody, ""
	}
	return NotSymlink, ""
}

// parseSymlinkHeader reads ossfs 1.91's x-oss-meta-symlink-target, which
// its integration tests (test_symlink_in_meta) show in two shapes:
// "header:<len>:<percent-encoded target>", where len counts the decoded
// target's bytes, and "body:<n>:", meaning the body holds the target.
// A value that does not percent-decode is taken raw, as long as its length
// matches.
func parseSymlinkHeader(v string) (target string, inBody bool, err error) {
	where, rest, ok1 := strings.Cut(v, ":")
	lenStr, enc, ok2 := strings.Cut(rest, ":")
	n, errN := strconv.Atoi(lenStr)
	if !ok1 || !ok2 || errN != nil || n < 0 {
		return "", false, errors.New(`not "header:<len>:<target>" or "body:<len>:"`)
	}
	switch where {
	case "body":
		return "", true, nil
	case "header":
	default:
		return "", false, errors.New("unknown location " + strconv.Quote(where))
	}
	target = enc
	if dec, err := url.PathUnescape(enc); err == nil && len(dec) == n {
		target = dec
	} else if len(enc) != n {
		return "", false, errors.New("length " + lenStr + " does not match the target")
	}
	if err := checkTarget(target); err != nil {
		return "", false, err
	}
	return target, false, nil
}

// TargetFromBody returns the target held in a symlink's body. Surrounding
// spaces, tabs and line ends are trimmed, as ossfs's readlink does: it
// writes trimmed targets itself, and links made by hand with
// `echo target | ossutil cp - ...` carry a newline it must not see.
func TargetFromBody(body []byte) (string, error) {
	target := strings.Trim(string(body), " \t\r\n")
	if err := checkTarget(target); err != nil {
		return "", err
	}
	return target, nil
}

func checkTarget(target string) error {
	switch {
	case target == "":
		return fmt.Errorf("%w: empty", ErrBadSymlink)
	case len(target) > MaxSymlinkTarget:
		return fmt.Errorf("%w: %d bytes, longer than PATH_MAX", ErrBadSymlink, len(target))
	case strings.IndexByte(target, 0) >= 0:
		return fmt.Errorf("%w: holds a NUL byte", ErrBadSymlink)
	}
	return nil
}

// EncodeSymlink returns the body and user metadata of a symlink object in
// ossfs 1.x's format: the body is the target and x-oss-meta-mode has
// S_IFLNK (type and permission bits of a.Mode are replaced by SymlinkMode),
// with a's owner and mtime. Store it with SymlinkContentType.
//
// The target also goes into x-oss-meta-symlink-target ("header:" form)
// when it encodes to at most maxSymlinkHeader bytes, so that readlink needs
// no GET, for us and for ossfs 1.91 mounted with symlink_in_meta, and so
// that targets with surrounding spaces survive ossfs's trimming of bodies.
// ossfs versions that do not know the header read the body.
func EncodeSymlink(target string, a Attr) (body []byte, meta map[string]string, err error) {
	if err := checkTarget(target); err != nil {
		return nil, nil, err
	}
	a.Mode = SymlinkMode
	meta = Encode(a)
	if enc := escapeTarget(target); len(enc) <= maxSymlinkHeader {
		meta[MetaSymlinkTarget] = "header:" + strconv.Itoa(len(target)) + ":" + enc
	}
	return []byte(target), meta, nil
}

// escapeTarget percent-encodes every byte but the unreserved characters
// and '/', as ossfs's urlEncode does; header values cannot carry arbitrary
// bytes, and any decoder reads the result.
func escapeTarget(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '/' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
