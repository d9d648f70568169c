package meta

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// User metadata names (x-oss-meta-* without the prefix, lowercased, as
// ossio.ObjectInfo.Meta holds them) that make up the on-bucket format.
const (
	MetaMode          = "mode"           // decimal st_mode including type bits
	MetaUid           = "uid"            // decimal owner uid
	MetaGid           = "gid"            // decimal owner gid
	MetaMtime         = "mtime"          // seconds since the epoch
	MetaSymlinkTarget = "symlink-target" // ossfs 1.91 symlink_in_meta form
)

// alias is one metadata name a value may be read from. ossfs 1.x reads,
// after its own names, the ones s3sync and gsutil write (metaheader.cpp
// get_mode/get_uid/get_gid/get_mtime); we read the same, in the same order,
// so that such objects look the same under both mounts.
type alias struct {
	name  string
	octal bool // GCS stores its posix mode in octal
}

var (
	modeAliases  = []alias{{name: MetaMode}, {name: "permissions"}, {name: "goog-reserved-posix-mode", octal: true}}
	uidAliases   = []alias{{name: MetaUid}, {name: "owner"}, {name: "goog-reserved-posix-uid"}}
	gidAliases   = []alias{{name: MetaGid}, {name: "group"}, {name: "goog-reserved-posix-gid"}}
	mtimeAliases = []alias{{name: MetaMtime}, {name: "goog-reserved-file-mtime"}}
)

// warnings collects one line per bad header; nil when there was none.
type warnings []string

func (w *warnings) add(format string, args ...any) {
	if w != nil {
		*w = append(*w, fmt.Sprintf(format, args...))
	}
}

// quote shortens a header value for a log line: values come from anyone
// who can write to the bucket.
func quote(v string) string {
	const max = 64
	if len(v) > max {
		return strconv.Quote(v[:max]) + "..."
	}
	return strconv.Quote(v)
}

// lookup returns the first alias whose value parses. A present value that
// does not parse is reported and the next alias is tried, so one garbled
// header costs one field, never the whole stat.
func lookup[T any](m map[string]string, aliases []alias, parse func(string, bool) (T, error), w *warnings) (T, bool) {
	var zero T
	for _, al := range aliases {
		v, ok := m[al.name]
		if !ok {
			continue
		}
		x, err := parse(v, al.octal)
		if err != nil {
			w.add("x-oss-meta-%s %s: %v", al.name, quote(v), err)
			continue
		}
		return x, true
	}
	return zero, false
}

var errNotNumber = errors.New("not a number")

// parseMode reads an st_mode. ossfs writes decimal ("33188"); ossfs 1.91
// reads with strtol base 0, so a leading 0 means octal ("0644") and 0x hex.
// A decimal value too large to be a mode whose digits are all octal is an
// octal mode written without its leading 0 ("100644"): no st_mode exceeds
// 0o177777 (65535), so the two readings cannot be confused. A bare "644" is
// decimal 644, as every ossfs reads it.
func parseMode(s string, octal bool) (uint32, error) {
	s = strings.TrimSpace(s)
	var v uint64
	var err error
	switch {
	case s == "" || strings.ContainsAny(s, "_+-"):
		return 0, errNotNumber
	case octal:
		v, err = strconv.ParseUint(s, 8, 32)
	case len(s) > 1 && s[0] == '0':
		v, err = strconv.ParseUint(s, 0, 32) // 0644, 0o644, 0x81a4
	default:
		v, err = strconv.ParseUint(s, 10, 32)
		if err == nil && v > uint64(ModeType|ModePerm) && isOctalDigits(s) {
			v, err = strconv.ParseUint(s, 8, 32)
		}
	}
	if err != nil {
		return 0, errNotNumber
	}
	if v > uint64(ModeType|ModePerm) {
		return 0, fmt.Errorf("larger than any st_mode (%#o)", ModeType|ModePerm)
	}
	mode := uint32(v)
	switch mode & ModeType {
	case 0, ModeRegular, ModeDir, ModeSymlink, ModeFIFO, ModeSocket, ModeCharDevice, ModeDevice:
		return mode, nil
	}
	return 0, fmt.Errorf("unknown file type %#o", mode&ModeType)
}

// parseID reads a decimal uid or gid.
func parseID(s string, _ bool) (uint32, error) {
	v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32)
	if err != nil {
		return 0, errNotNumber
	}
	return uint32(v), nil
}

// parseMtime reads "<sec>" or "<sec>.<frac>" with 1 to 9 fraction digits,
// optionally negative. The fraction is a decimal fraction of a second, as
// rclone writes it ("1700000000.5" is half a second, not 5 ns): ossfs 1.91
// reads the digits after the point as a count of nanoseconds, which agrees
// with us only for 9-digit fractions, and ossfs itself writes none.
func parseMtime(s string, _ bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	secs, frac, hasFrac := strings.Cut(s, ".")
	if !isDigits(secs) || (hasFrac && (len(frac) > 9 || !isDigits(frac))) {
		return time.Time{}, errors.New("not <sec> or <sec>.<fraction>")
	}
	sec, err := strconv.ParseInt(secs, 10, 64)
	if err != nil {
		return time.Time{}, errors.New("out of range")
	}
	var ns int64
	if hasFrac {
		ns, _ = strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
	}
	if neg {
		sec, ns = -sec, -ns
	}
	return time.Unix(sec, ns).UTC(), nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isOctalDigits(s string) bool {
	return isDigits(s) && !strings.ContainsAny(s, "89")
}
