// Package metrics mounts ossfuse with metrics_addr, runs ls, cat and cp in
// the mount, scrapes /metrics and checks the request counts and the bytes
// against the emulator's own counters (GET /_ossemu/stats): the two are
// measured on either side of the wire and must agree exactly.
package metrics

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/ossfuse/ossfuse/integration/harness"
	"github.com/ossfuse/ossfuse/ossio"
)

func TestMain(m *testing.M) { harness.Main(m) }

// agreeWithin bounds the wait for both sides to settle: the emulator counts
// a request before its client has the answer, the decorator when the call
// returns, so a request in flight can be seen by one side only.
const agreeWithin = 10 * time.Second

// seeded are the objects the test reads, by key, with their sizes.
var seeded = map[string]int64{
	"docs/small.txt": 1 << 10,
	"docs/mid.bin":   200 << 10,
	"docs/big.bin":   3<<20 + 5, // several ranged GETs
	"docs/empty":     0,
}

// scrape is one read of /metrics: every sample as "name{label="value",...}"
// -> value, histograms by their _count.
type scrape map[string]float64

func getMetrics(t *testing.T, url string) scrape {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape %s: %s %v", url, resp.Status, err)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("scrape %s: not the Prometheus text format: %v", url, err)
	}
	out := scrape{}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			key := name + labelString(m.GetLabel())
			switch {
			case m.Counter != nil:
				out[key] = m.Counter.GetValue()
			case m.Gauge != nil:
				out[key] = m.Gauge.GetValue()
			case m.Untyped != nil:
				out[key] = m.Untyped.GetValue()
			case m.Histogram != nil:
				out[name+"_count"+labelString(m.GetLabel())] = float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return out
}

func labelString(labels []*dto.LabelPair) string {
	if len(labels) == 0 {
		return ""
	}
	var parts []string
	for _, l := range labels {
		parts = append(parts, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
	}
	sort.Strings(parts)
	return "{" + strings.Join(parts, ",") + "}"
}

var requestSample = regexp.MustCompile(`^ossfuse_oss_requests_total\{operation="([^"]+)",outcome="([^"]+)"\}$`)

// requestsByOp sums ossfuse_oss_requests_total over outcomes, and counts
// the failed ones by outcome.
func (s scrape) requestsByOp() (byOp, failed map[string]int64) {
	byOp, failed = map[string]int64{}, map[string]int64{}
	for k, v := range s {
		if m := requestSample.FindStringSubmatch(k); m != nil && v != 0 {
			byOp[m[1]] += int64(v)
			if m[2] != "ok" {
				failed[m[2]] += int64(v)
			}
		}
	}
	return byOp, failed
}

// disagreements lists where the scrape and the emulator's stats differ.
func disagreements(s scrape, st harness.Stats) []string {
	var out []string
	byOp, failed := s.requestsByOp()
	ops := map[string]bool{}
	for op := range byOp {
		ops[op] = true
	}
	for op, n := range st.Requests {
		if n != 0 {
			ops[op] = true
		}
	}
	for op := range ops {
		if byOp[op] != st.Requests[op] {
			out = append(out, fmt.Sprintf("%s: ossfuse counted %d requests, the emulator %d", op, byOp[op], st.Requests[op]))
		}
		if n := s[fmt.Sprintf(`ossfuse_oss_request_duration_seconds_count{operation=%q}`, op)]; int64(n) != byOp[op] {
			out = append(out, fmt.Sprintf("%s: %d latencies for %d requests", op, int64(n), byOp[op]))
		}
	}
	for code, n := range st.Errors {
		if failed[code] != n {
			out = append(out, fmt.Sprintf("error %s: ossfuse counted %d, the emulator %d", code, failed[code], n))
		}
	}
	for outcome, n := range failed {
		if st.Errors[outcome] != n {
			out = append(out, fmt.Sprintf("outcome %s: ossfuse counted %d, the emulator %d", outcome, n, st.Errors[outcome]))
		}
	}
	if got, want := int64(s[`ossfuse_oss_received_bytes_total{operation="GetObject"}`]), st.BytesOutByOp["GetObject"]; got != want {
		out = append(out, fmt.Sprintf("GetObject: ossfuse received %d bytes, the emulator sent %d", got, want))
	}
	if got, want := int64(s[`ossfuse_oss_sent_bytes_total{operation="PutObject"}`]), st.BytesInByOp["PutObject"]; got != want {
		out = append(out, fmt.Sprintf("PutObject: ossfuse sent %d bytes, the emulator received %d", got, want))
	}
	sort.Strings(out)
	return out
}

func TestMetricsAgreeWithTheEmulator(t *testing.T) {
	harness.RequireFUSE(t)
	emu := harness.StartEmulator(t)
	client := emu.Client(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for key, size := range seeded {
		p := harness.Pattern{Seed: uint64(size)}
		if _, err := client.PutObject(ctx, ossio.PutRequest{Key: key, Body: p.Reader(size), Size: size}); err != nil {
			t.Fatalf("seed %s: %v", key, err)
		}
	}
	emu.ResetStats(t)

	// Port 0: the kernel picks a free loopback port, which ossfuse logs.
	m := harness.Mount(t, emu, harness.WithOptions("metrics_addr=127.0.0.1:0"))
	addr := regexp.MustCompile(`serving metrics on (http://127\.0\.0\.1:[0-9]+/metrics)`).FindStringSubmatch(m.Log())
	if addr == nil {
		t.Fatalf("ossfuse did not log where it serves metrics:\n%s", m.Log())
	}
	url := addr[1]

	listing := harness.Run(t, m.Dir, "ls", "-l", "docs")
	var want int64
	for key, size := range seeded {
		name := filepath.Base(key)
		if !strings.Contains(listing, name) {
			t.Errorf("ls -l docs lacks %s:\n%s", name, listing)
		}
		got := harness.Run(t, m.Dir, "cat", key)
		if !bytes.Equal([]byte(got), harness.Pattern{Seed: uint64(size)}.Bytes(0, int(size))) {
			t.Fatalf("cat %s: %d bytes, not the seeded %d", key, len(got), size)
		}
		want += size
	}
	upload := harness.Pattern{Seed: 99}.Bytes(0, 300<<10)
	local := filepath.Join(t.TempDir(), "upload.bin")
	if err := os.WriteFile(local, upload, 0o644); err != nil {
		t.Fatal(err)
	}
	harness.Run(t, m.Dir, "cp", local, "docs/upload.bin")

	// Poll until both sides settle on the same counts; bounded.
	var s scrape
	var st harness.Stats
	var diff []string
	for deadline := time.Now().Add(agreeWithin); ; {
		st = emu.Stats(t)
		s = getMetrics(t, url)
		if diff = disagreements(s, st); len(diff) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(diff) > 0 {
		t.Fatalf("/metrics and the emulator disagree after %v:\n  %s\nemulator: %s, errors %v, bytes out %v, in %v",
			agreeWithin, strings.Join(diff, "\n  "), st, st.Errors, st.BytesOutByOp, st.BytesInByOp)
	}
	// Agreement alone would hold for two zeros: the work must show.
	byOp, _ := s.requestsByOp()
	if byOp["ListObjectsV2"] == 0 || byOp["GetObject"] == 0 || byOp["PutObject"] == 0 {
		t.Errorf("requests by operation %v: want listings, GETs and a PUT", byOp)
	}
	if got := int64(s[`ossfuse_oss_received_bytes_total{operation="GetObject"}`]); got < want {
		t.Errorf("received %d bytes, less than the %d cat read", got, want)
	}
	if got := int64(s[`ossfuse_oss_sent_bytes_total{operation="PutObject"}`]); got != int64(len(upload)) {
		t.Errorf("sent %d bytes, want the %d cp wrote", got, len(upload))
	}
	for name, v := range s {
		if strings.HasPrefix(name, "ossfuse_oss_retries_total") && v != 0 {
			t.Errorf("%s = %v without faults", name, v)
		}
	}
	if _, ok := s["ossfuse_dirty_bytes"]; !ok {
		t.Error("no ossfuse_dirty_bytes gauge")
	}
	// ls -l fills the stat cache from the listing; cat's lookups hit it,
	// and the reads go through the block cache.
	if s[`ossfuse_cache_hits_total{cache="stat"}`] == 0 || s[`ossfuse_cache_misses_total{cache="block"}`] == 0 {
		t.Errorf("cache counters: stat hits %v, block misses %v; want both > 0",
			s[`ossfuse_cache_hits_total{cache="stat"}`], s[`ossfuse_cache_misses_total{cache="block"}`])
	}
	t.Logf("requests %v; %d bytes received, %d sent", byOp,
		int64(s[`ossfuse_oss_received_bytes_total{operation="GetObject"}`]), int64(s[`ossfuse_oss_sent_bytes_total{operation="PutObject"}`]))
}

// TestBusyMetricsAddrRefusesToStart runs ossfuse with a metrics address
// already taken: it must exit non-zero at once with a one-line reason, and
// mount nothing.
func TestBusyMetricsAddrRefusesToStart(t *testing.T) {
	harness.RequireFUSE(t)
	emu := harness.StartEmulator(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), harness.MountTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, harness.Build(t).Ossfuse, emu.Bucket, dir, "-f", "-o",
		"endpoint="+emu.Endpoint+",region="+emu.Region+",metrics_addr="+busy.Addr().String())
	cmd.Env = append(os.Environ(), emu.Env()...)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("ossfuse still running after %v with a busy metrics_addr:\n%s", harness.MountTimeout, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	last := lines[len(lines)-1]
	if err == nil || !strings.HasPrefix(last, "ossfuse: metrics_addr: ") || !strings.Contains(last, busy.Addr().String()) {
		t.Errorf("exit %v, last line %q; want a failure naming metrics_addr and the address", err, last)
	}
	if mounted, _ := harness.IsMounted(dir); mounted {
		t.Errorf("%s is mounted", dir)
	}
}
