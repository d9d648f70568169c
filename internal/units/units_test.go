package units

import (
	"errors"
	"math"
	"testing"
)

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "4096": 4096, "100MiB": 100 << 20, "1.5KiB": 1536, "10MB": 10e6, "512k": 512 << 10,
		"64m": 64 << 20, "2GiB": 2 << 30, "1G": 1 << 30, "7B": 7, " 3 MiB ": 3 << 20,
		".5KiB": 512, "1.KiB": 1024, "2PiB": 2 << 50, "7EiB": 7 << 60, "3EB": 3e18,
		// Exact beyond float64's 53 bits, up to the largest int64.
		"9007199254740993": 9007199254740993, "9223372036854775807": math.MaxInt64,
	} {
		if got, err := ParseBytes(in); err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
}

// TestParseBytesRefuses checks that what is not a size, or not one that
// fits, is an error of the right kind, never some other size: int64
// conversion of NaN, Inf or an overflow used to give a negative number
// that callers then replaced by their default.
func TestParseBytesRefuses(t *testing.T) {
	for _, bad := range []string{
		"", "fast", "-1", "-5MiB", "+5MiB", "MiB", ".", ".KiB", "1.2.3KiB", "NaN", "nan", "Inf", "+Inf",
		"-Inf", "infinity", "InfMiB", "NaNKiB", "1e3", "1e3MiB", "0x10", "0x1p4", "1_000", "1 000",
		"5 Ki B", "1.5e2KiB",
	} {
		if n, err := ParseBytes(bad); !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseBytes(%q) = %d, %v; want ErrSyntax", bad, n, err)
		}
	}
	for _, big := range []string{
		"8EiB", "9223372036854775808", "99999999999999EiB", "99999999999999999999999", "8192PiB",
		"10EB", "16777216TiB", "8796093022207.99999TiB",
	} {
		if n, err := ParseBytes(big); !errors.Is(err, ErrRange) {
			t.Errorf("ParseBytes(%q) = %d, %v; want ErrRange", big, n, err)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0B", 100: "100B", 1536: "1536B", 3 << 10: "3KiB", 256 << 20: "256MiB", 5 << 30: "5GiB",
		100 << 10: "100KiB", 1 << 50: "1PiB", 7 << 60: "7EiB",
	} {
		got := FormatBytes(n)
		if got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
		if back, err := ParseBytes(got); err != nil || back != n {
			t.Errorf("ParseBytes(FormatBytes(%d)) = %d, %v", n, back, err)
		}
	}
}
