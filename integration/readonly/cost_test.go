package readonly

import (
	"path"
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
	harness.Run(t, m.Dir, "stat", "data") // the parent's own lookup is not what is measured

	for round := range 2 {
		f.emu.ResetStats(t)
		r := harness.Exec(t, m.Dir, "stat", "data/no-such-file")
		s := f.emu.Stats(t)
		if r.ExitCode == 0 || !strings.Contains(r.Stderr, "No such file or directory") {
			t.Fatalf("stat: exit %d, stderr %q; want ENOENT", r.ExitCode, r.Stderr)
		}
		want := map[string]int64{"HeadObject": 1, "ListObjectsV2": 1} // HEAD misses, then LIST max-keys 1
		if round == 1 {
			want = map[string]int64{} // within the negative TTL
		}
		if !sameCounts(s.Requests, want) {
			t.Errorf("stat of a missing name, round %d: %v, want %v", round+1, s.Requests, want)
		}
	}
}

// TestCostLookup checks what looking up each kind of name costs on a fresh
// mount whose parent directory was never listed: one HEAD for an object;
// one HEAD and one LIST with max-keys 1 for an implicit directory; and for a
// marked directory one more HEAD, of its marker, for its metadata — which
// attr_from_list leaves out.
func TestCostLookup(t *testing.T) {
	f := setup(t)
	for _, c := range []struct {
		name, path string
		options    []string
		want       map[string]int64
	}{
		{"object", "data/meta/exec.sh", nil, map[string]int64{"HeadObject": 1}},
		{"implicit directory", "data/meta", nil, map[string]int64{"HeadObject": 1, "ListObjectsV2": 1}},
		{"marked directory", "data/meta/dir700", nil, map[string]int64{"HeadObject": 2, "ListObjectsV2": 1}},
		{"marked directory, attr_from_list", "data/meta/dir700", []string{"attr_from_list"}, map[string]int64{"HeadObject": 1, "ListObjectsV2": 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := f.mount(t, harness.WithOptions(append([]string{"attr_ttl=60s", "entry_ttl=60s"}, c.options...)...))
			dir, _ := path.Split(c.path)
			if dir != "" {
				harness.Run(t, m.Dir, "stat", strings.TrimSuffix(dir, "/"))
			}
			f.emu.ResetStats(t)
			harness.Run(t, m.Dir, "stat", c.path)
			if s := f.emu.Stats(t); !sameCounts(s.Requests, c.want) {
				t.Errorf("stat %s: %v, want %v", c.path, s.Requests, c.want)
			}
		})
	}
}

// sameCounts compares request counts, ignoring zero entries.
func sameCounts(got, want map[string]int64) bool {
	for op, n := range got {
		if n != want[op] {
			return false
		}
	}
	for op, n := range want {
		if got[op] != n {
			return false
		}
	}
	return true
}
