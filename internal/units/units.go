// Package units parses the sizes that the commands and the benchmark take
// on their command lines.
package units

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// suffixes are the size units accepted, longest first so "MiB" wins over "B".
var suffixes = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"PiB", 1 << 50}, {"EiB", 1 << 60},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"PB", 1e15}, {"EB", 1e18},
	{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40},
	{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"t", 1 << 40},
	{"B", 1},
}

// Errors of ParseBytes, for callers that word their own messages.
var (
	// ErrSyntax: the text is not a size.
	ErrSyntax = errors.New("not a size")
	// ErrRange: the size does not fit in an int64 (8 EiB).
	ErrRange = errors.New("size too large")
)

// ParseBytes reads a size such as 256MiB, 1.5GiB, 10MB, 64m or a plain
// number of bytes: decimal digits with an optional fraction, then an
// optional unit. Binary units (KiB, K, k) are powers of 1024, decimal ones
// (KB, MB) powers of 1000; a fraction of a byte is dropped. Signs,
// exponents, hexadecimal, NaN and Inf are refused (ErrSyntax), and so is a
// size of 8 EiB or more (ErrRange), rather than being wrapped or rounded
// into some other size.
func ParseBytes(s string) (int64, error) {
	num, mult := strings.TrimSpace(s), int64(1)
	for _, u := range suffixes {
		if n, ok := strings.CutSuffix(num, u.suffix); ok {
			num, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	whole, frac, hasFrac := strings.Cut(num, ".")
	// "1.5", "1." and ".5", but not "." alone.
	ok := digits(whole) && (frac == "" || digits(frac)) || whole == "" && hasFrac && digits(frac)
	if !ok {
		return 0, fmt.Errorf("%w: %q: want e.g. 256MiB", ErrSyntax, s)
	}
	var n int64
	if whole != "" {
		w, err := strconv.ParseInt(whole, 10, 64)
		if err != nil || w > math.MaxInt64/mult {
			return 0, fmt.Errorf("%w: %q: want less than 8EiB", ErrRange, s)
		}
		n = w * mult
	}
	if frac != "" {
		// frac < 1, so frac*mult < mult: no overflow, and float64's 53 bits
		// are exact enough for the bytes of a fraction of a unit.
		f, err := strconv.ParseFloat("0."+frac, 64)
		if err != nil {
			return 0, fmt.Errorf("%w: %q: want e.g. 256MiB", ErrSyntax, s)
		}
		extra := int64(f * float64(mult))
		if n > math.MaxInt64-extra {
			return 0, fmt.Errorf("%w: %q: want less than 8EiB", ErrRange, s)
		}
		n += extra
	}
	return n, nil
}

// digits reports whether s is one or more ASCII decimal digits.
func digits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// FormatBytes writes n in the largest binary unit that divides it, as
// ParseBytes reads it back: 256MiB, 1536KiB, 100B.
func FormatBytes(n int64) string {
	units := []struct {
		suffix string
		mult   int64
	}{{"EiB", 1 << 60}, {"PiB", 1 << 50}, {"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}}
	for _, u := range units {
		if n != 0 && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}
