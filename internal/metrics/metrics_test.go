package metrics

import (
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"

	"github.com/ossfuse/ossfuse/cache"
)

// gather returns the value of every counter and gauge sample in reg as
// "name{label=value}" -> value (at most one label here).
func gather(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			name := f.GetName()
			for _, l := range m.GetLabel() {
				name += "{" + l.GetName() + "=" + l.GetValue() + "}"
			}
			switch {
			case m.Counter != nil:
				out[name] = m.Counter.GetValue()
			case m.Gauge != nil:
				out[name] = m.Gauge.GetValue()
			}
		}
	}
	return out
}

func TestCacheCountersAreExportedAtScrapeTime(t *testing.T) {
	stats, err := cache.NewStatCache[int](cache.StatOptions{Capacity: 10, PositiveTTL: time.Minute, NegativeTTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := cache.NewBlockCache(cache.BlockOptions{BlockSize: 4, MaxBytes: 4})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	if err := RegisterCaches(reg, CacheStats{Stat: stats.Stats, Block: blocks.Stats}); err != nil {
		t.Fatal(err)
	}
	stats.Put("a", 1)
	stats.PutNegative("b")
	stats.Get("a")
	stats.Get("b")
	stats.Get("c")
	stats.Get("c")
	blocks.Put("k", "e", 0, []byte("abcd"))
	blocks.Get("k", "e", 0)
	blocks.Put("k", "e", 1, []byte("efgh")) // evicts block 0
	blocks.Get("k", "e", 0)
	got := gather(t, reg)
	for name, want := range map[string]float64{
		"ossfuse_cache_hits_total{cache=stat}":          1,
		"ossfuse_cache_negative_hits_total{cache=stat}": 1,
		"ossfuse_cache_misses_total{cache=stat}":        2,
		"ossfuse_cache_loads_total{cache=stat}":         0,
		"ossfuse_cache_hits_total{cache=block}":         1,
		"ossfuse_cache_misses_total{cache=block}":       1,
		"ossfuse_cache_evictions_total{cache=block}":    1,
	} {
		if v, ok := got[name]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", name, v, ok, want)
		}
	}
	if _, ok := got["ossfuse_cache_hits_total{cache=list}"]; ok {
		t.Error("exported a list cache that was not given")
	}
	// Read when scraped, not when registered.
	stats.Get("a")
	if v := gather(t, reg)["ossfuse_cache_hits_total{cache=stat}"]; v != 2 {
		t.Errorf("after one more hit: %v hits, want 2", v)
	}
}

func TestWriteGauges(t *testing.T) {
	reg := prometheus.NewRegistry()
	var dirty, stage atomic.Int64
	if err := RegisterDirtyBytes(reg, dirty.Load); err != nil {
		t.Fatal(err)
	}
	if err := RegisterStageBytes(reg, stage.Load); err != nil {
		t.Fatal(err)
	}
	dirty.Store(12345)
	stage.Store(4096)
	got := gather(t, reg)
	if got["ossfuse_dirty_bytes"] != 12345 || got["ossfuse_stage_bytes"] != 4096 {
		t.Errorf("ossfuse_dirty_bytes = %v, ossfuse_stage_bytes = %v; want 12345 and 4096", got["ossfuse_dirty_bytes"], got["ossfuse_stage_bytes"])
	}
}

func newQuietLog() (*logrus.Entry, *logtest.Hook) {
	l, hook := logtest.NewNullLogger()
	return logrus.NewEntry(l), hook
}

func TestListenServesTheRegistry(t *testing.T) {
	reg, err := NewRegistry("v1.2.3", "abc123")
	if err != nil {
		t.Fatal(err)
	}
	log, hook := newQuietLog()
	s, err := Listen("127.0.0.1:0", reg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, e := range hook.AllEntries() {
		if e.Level <= logrus.WarnLevel {
			t.Errorf("loopback address logged a warning: %s", e.Message)
		}
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get("http://" + s.Addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %s, %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{`ossfuse_build_info{commit="abc123",version="v1.2.3"} 1`, "go_goroutines ", "process_resident_memory_bytes "} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := client.Get("http://" + s.Addr + "/metrics"); err == nil {
		t.Error("still serving after Close")
	}
}

func TestListenRefusesABusyAddress(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	log, _ := newQuietLog()
	_, err = Listen(busy.Addr().String(), prometheus.NewRegistry(), log)
	if err == nil || !strings.Contains(err.Error(), "metrics_addr") || !strings.Contains(err.Error(), busy.Addr().String()) {
		t.Errorf("busy address: %v; want an error naming metrics_addr and the address", err)
	}
	if _, err := Listen("no-port", prometheus.NewRegistry(), log); err == nil {
		t.Error("accepted an address without a port")
	}
}

func TestListenWarnsBeyondLoopback(t *testing.T) {
	log, hook := newQuietLog()
	// All interfaces, on a port the kernel picks; no traffic is sent to it.
	s, err := Listen(":0", prometheus.NewRegistry(), log)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	warned := false
	for _, e := range hook.AllEntries() {
		warned = warned || (e.Level == logrus.WarnLevel && strings.Contains(e.Message, "beyond loopback"))
	}
	if !warned {
		t.Error("no warning for metrics served on every interface")
	}
}
