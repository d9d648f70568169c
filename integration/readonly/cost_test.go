package readonly

import (
	"strings"
	"testing"

	"github.com/ossfuse/ossfuse/integration/harness"
)

// TestCostLsLongListOnly checks what `ls -l` of the 2500-entry directory
// costs with attr_from_list: exactly the 3 listing pages (1000 keys each)
// and no HEAD; and that a second ls -l within the TTLs costs nothing.
// The directory itself is looked up first, so only the listing is measured.
func TestCostLsLongListOnly(t *testing.T) {
	f := setup(t)
	m := f.mount(t, harness.WithOptions("attr_from_list", "attr_ttl=60s", "entry_ttl=60s"))
	statLine(t, m.Dir, "%F", "many")

	for round, want := range []int64{3, 0} {
		f.emu.ResetStats(t)
		out := harness.Run(t, m.Dir, "ls", "-l", "many")
		s := f.emu.Stats(t)
		if n := strings.Count(out, "\n") - 1; n != manyN { // less the "total" line
			t.Errorf("ls -l many (round %d) shows %d entries, want %d", round+1, n, manyN)
		}
		if round == 0 {
			if got := s.Requests["ListObjectsV2"]; got != 3 {
				t.Errorf("first ls -l many: %d ListObjectsV2, want 3 (%v)", got, s)
			}
			if got := s.Requests["HeadObject"]; got != 0 {
				t.Errorf("first ls -l many with attr_from_list: %d HeadObject, want 0 (%v)", got, s)
			}
		}
		if got := s.Total(); got != want {
			t.Errorf("ls -l many (round %d): %d requests, want %d (%v)", round+1, got, want, s)
		}
	}
}

// TestCostNegativeLookup stats a missing name twice on a fresh mount: the
// first costs requests (the mount knows nothing yet), the second, within
// the negative TTL, none.
func TestCostNegativeLookup(t *testing.T) {
	f := setup(t)
	m := f.mount(t, harness.WithOptions("negative_ttl=60s", "entry_ttl=60s", "attr_ttl=60s"))

	for round, path := range []string{"data/no-such-file", "data/no-such-file"} {
		f.emu.ResetStats(t)
		r := harness.Exec(t, m.Dir, "stat", path)
		s := f.emu.Stats(t)
		if r.ExitCode == 0 || !strings.Contains(r.Stderr, "No such file or directory") {
			t.Fatalf("stat %s: exit %d, stderr %q; want ENOENT", path, r.ExitCode, r.Stderr)
		}
		switch {
		case round == 0 && s.Total() == 0:
			t.Errorf("first stat of a missing name on a fresh mount cost no request")
		case round == 0:
			t.Logf("first stat of a missing name: %v", s)
		case s.Total() != 0:
			t.Errorf("second stat of a missing name within the negative TTL: %v, want no request", s)
		}
	}
}
