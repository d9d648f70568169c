// Package units parses the sizes that the commands and the benchmark take
// on their command lines.
package units

import (
	"fmt"
	"strconv"
	"strings"
)

// suffixes are the size units accepted, longest first so "MiB" wins over "B".
var suffixes = []struct {
	suffix string
	mult   float64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40},
	{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"t", 1 << 40},
	{"B", 1},
}

// ParseBytes reads a size such as 256MiB, 1.5GiB, 10MB, 64m or a plain
// number of bytes. Binary units (KiB, K, k) are powers of 1024, decimal
// ones (KB, MB) powers of 1000. Negative sizes are refused.
func ParseBytes(s string) (int64, error) {
	num, mult := strings.TrimSpace(s), 1.0
	for _, u := range suffixes {
		if n, ok := strings.CutSuffix(num, u.suffix); ok {
			num, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v < 0 || num == "" {
		return 0, fmt.Errorf("bad size %q: want e.g. 256MiB", s)
	}
	return int64(v * mult), nil
}
