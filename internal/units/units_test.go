package units

import "testing"

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "4096": 4096, "100MiB": 100 << 20, "1.5KiB": 1536, "10MB": 10e6, "512k": 512 << 10,
		"64m": 64 << 20, "2GiB": 2 << 30, "1G": 1 << 30, "7B": 7, " 3 MiB ": 3 << 20,
	} {
		if got, err := ParseBytes(in); err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "fast", "-1", "-5MiB", "MiB", "1.2.3KiB"} {
		if _, err := ParseBytes(bad); err == nil {
			t.Errorf("ParseBytes(%q) accepted", bad)
		}
	}
}
