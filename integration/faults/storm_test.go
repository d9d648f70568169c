package faults

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
)

// stormFaults fail 20% of all requests, each failure a 503, a 500, a
// dropped connection or a response cut in half (seeded by faultSeed).
const stormFaults = `{"failRate":0.2,"failCodes":["503","500","drop","truncate"]}`

// TestStormDuringCopy copies a tree of 300 small files and one 100 MiB
// file into the mount with cp -r while a fifth of the requests fail. The
// client's retries (3 attempts) absorb nearly all of it; the few requests
// that fail every attempt (0.2^3 of them, a few per run) fail their
// operation with EIO, which cp reports: a close (the file stays in the
// mount and is uploaded in the background) or a mkdir (cp writes nothing
// under it). No file cp copied without an error may be missing from the
// bucket, none whose close failed may be missing after the unmount,
// nothing goes to recovery_dir, cache_dir ends empty, and cp reports no
// other kind of error.
func TestStormDuringCopy(t *testing.T) {
	d := newDrill(t, setup{})
	tr := makeTree(t, treeSpec{dirs: 10, perDir: 30, big: []int64{100 << 20}})
	d.emu.ResetStats(t)
	d.emu.SetFaults(t, stormFaults)
	cp := startTool(t, toolTimeout, nil, d.m.Dir, "cp", "-r", tr.root, d.m.Path("tree"))
	code := cp.wait(t)
	s := d.emu.Stats(t)
	d.emu.SetFaults(t, `{}`)
	t.Logf("cp -r of %d files under %s: exit %d after %v; %d requests, %d faults injected: %s",
		len(tr.files), stormFaults, code, cp.elapsed().Round(time.Millisecond), s.Total(), s.InjectedFaults, countsOf(s.Errors))
	if s.InjectedFaults == 0 {
		t.Fatalf("no fault injected during the copy (%v): the test proves nothing", s)
	}
	errs := toolErrors(t, "cp", cp.stderr.String())
	out := classifyCopy(errs, tr, d.m.Dir, "tree")
	t.Logf("cp -r in a 20%% storm: exit %d, %d errors (%d files not written, %d closes failed; first: %s)",
		code, len(errs), len(out.notWritten), len(out.closeFailed), firstLine(errs))
	for _, e := range out.other {
		t.Errorf("cp reported an error that is neither a failed close nor a file it could not create: %s", e.line)
	}
	// Close-to-open: what cp closed without an error is in the bucket now.
	skip := map[string]string{}
	for rel, why := range out.notWritten {
		skip[rel] = "cp did not write it: " + why
	}
	for rel, e := range out.closeFailed {
		skip[rel] = "checked after the unmount: " + e.line
	}
	d.wantSaved(tr, "tree", false, skip)
	d.wantKeptInMount(tr, "tree", out.closeFailed)
	d.unmountClean()
	d.wantSaved(tr.only(keysOf(out.closeFailed)), "tree", false, nil)
	d.wantNoRecovered()
}

// countsOf renders a counter map sorted by name.
func countsOf(m map[string]int64) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

// firstLine is the first error a tool reported, for a failure message.
func firstLine(errs []toolError) string {
	if len(errs) == 0 {
		return "none"
	}
	return errs[0].line
}
