package cli

import (
	"regexp"
	"strings"
	"testing"

	"github.com/ossfuse/ossfuse/integration/harness"
)

// requestIDField is how a log line carries the OSS request ID; the
// emulator's IDs are 24 upper-case hex digits, like OSS's.
var requestIDField = regexp.MustCompile(`request_id=([0-9A-F]{24})\b`)

// TestFailedRequestLogsItsRequestID makes every GetObject fail (the
// emulator injects 403 AccessDenied): reading a file fails with EACCES, and
// each failed request is one log line carrying its request ID, which is
// what a support ticket needs. No secret is in the log.
func TestFailedRequestLogsItsRequestID(t *testing.T) {
	emu := harness.StartEmulator(t)
	seed(t, emu, "data.txt", "some data\n")
	m := harness.Mount(t, emu)
	harness.Run(t, m.Dir, "stat", "data.txt") // HEAD succeeds: the GET is what fails

	emu.SetFaults(t, `{"failRate":1,"failCodes":["403"],"failOps":["GetObject"]}`)
	r := harness.Exec(t, m.Dir, "cat", "data.txt")
	injected := emu.Stats(t).InjectedFaults
	emu.SetFaults(t, `{}`)
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, "Permission denied") {
		t.Errorf("cat with failing GETs: exit %d, stderr %q; want EACCES", r.ExitCode, r.Stderr)
	}

	log := m.Log()
	linesOf := map[string]int{}
	for _, line := range strings.Split(log, "\n") {
		if !strings.Contains(line, "GetObject") {
			continue
		}
		ids := map[string]bool{}
		for _, match := range requestIDField.FindAllStringSubmatch(line, -1) {
			ids[match[1]] = true
		}
		if len(ids) != 1 {
			t.Errorf("a failed GetObject logged without exactly one request_id field: %s", line)
		}
		for id := range ids {
			linesOf[id]++
		}
	}
	t.Logf("%d failures injected; %d request IDs logged", injected, len(linesOf))
	if injected == 0 || int64(len(linesOf)) != injected {
		t.Errorf("%d request IDs in the log for %d failed requests; want one each; the log:\n%s", len(linesOf), injected, log)
	}
	for id, n := range linesOf {
		if n != 1 {
			t.Errorf("request %s is on %d log lines, want one", id, n)
		}
	}
	if strings.Contains(log, emu.Secret) {
		t.Errorf("the log holds the secret")
	}
}
