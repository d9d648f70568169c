// Package metrics is the Prometheus endpoint of an ossfuse process: its
// registry (Go runtime, process, build information), collectors that read
// the caches' counters and the filesystem's dirty bytes when scraped, and
// the HTTP server of /metrics. The OSS request metrics are recorded by the
// ossio/ossmetrics decorator into the same registry.
//
// Collectors read their sources through functions, so that neither the
// cache package nor the filesystem imports Prometheus.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/ossfuse/ossfuse/cache"
)

// NewRegistry returns a registry with the Go runtime and process
// collectors and ossfuse_build_info{version,commit}.
func NewRegistry(version, commit string) (*prometheus.Registry, error) {
	reg := prometheus.NewRegistry()
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "ossfuse_build_info",
		Help:        "Always 1; the labels say which ossfuse is running.",
		ConstLabels: prometheus.Labels{"version": version, "commit": commit},
	})
	build.Set(1)
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		build,
	} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return reg, nil
}

// RegisterDirtyBytes exports dirty() as ossfuse_dirty_bytes: the bytes
// written through the mount and not yet uploaded.
func RegisterDirtyBytes(reg prometheus.Registerer, dirty func() int64) error {
	return registerGauge(reg, "ossfuse_dirty_bytes", "Bytes of file content written through the mount and not yet uploaded.", dirty)
}

// RegisterStageBytes exports stage() as ossfuse_stage_bytes: the disk
// space the stages of files being written take in cache_dir.
func RegisterStageBytes(reg prometheus.Registerer, stage func() int64) error {
	return registerGauge(reg, "ossfuse_stage_bytes", "Disk space the stages of files being written take in cache_dir.", stage)
}

// registerGauge exports fn, read when scraped, as the gauge name.
func registerGauge(reg prometheus.Registerer, name, help string, fn func() int64) error {
	return reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help},
		func() float64 { return float64(fn()) }))
}

// Cache metric descriptions; the cache label names the cache (stat, list,
// block).
var (
	cacheHitsDesc = prometheus.NewDesc("ossfuse_cache_hits_total",
		"Lookups answered by a fresh cached entry (for stat caches, an existing key).", []string{"cache"}, nil)
	cacheNegativeHitsDesc = prometheus.NewDesc("ossfuse_cache_negative_hits_total",
		"Lookups answered by a fresh \"does not exist\" entry.", []string{"cache"}, nil)
	cacheMissesDesc = prometheus.NewDesc("ossfuse_cache_misses_total",
		"Lookups that found no fresh entry.", []string{"cache"}, nil)
	cacheLoadsDesc = prometheus.NewDesc("ossfuse_cache_loads_total",
		"Loads run to fill the cache, after concurrent misses of one key were merged.", []string{"cache"}, nil)
	cacheEvictionsDesc = prometheus.NewDesc("ossfuse_cache_evictions_total",
		"Blocks dropped to stay within the cache's byte bound.", []string{"cache"}, nil)
)

// CacheStats are the counter readers of a filesystem's caches; a nil one
// is left out.
type CacheStats struct {
	Stat, List func() cache.StatCacheStats // attribute and listing caches
	Block      func() cache.BlockCacheStats
}

// RegisterCaches exports the counters of the caches that s has a reader
// for, labelled cache="stat", "list" and "block", read at scrape time.
func RegisterCaches(reg prometheus.Registerer, s CacheStats) error {
	return reg.Register(cachesCollector(s))
}

// cachesCollector is one collector for every cache: a registry refuses two
// collectors that describe the same metric.
type cachesCollector CacheStats

func (c cachesCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{cacheHitsDesc, cacheNegativeHitsDesc, cacheMissesDesc, cacheLoadsDesc, cacheEvictionsDesc} {
		ch <- d
	}
}

func (c cachesCollector) Collect(ch chan<- prometheus.Metric) {
	counter := func(d *prometheus.Desc, v uint64, name string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), name)
	}
	for name, stats := range map[string]func() cache.StatCacheStats{"stat": c.Stat, "list": c.List} {
		if stats == nil {
			continue
		}
		s := stats()
		counter(cacheHitsDesc, s.Hits, name)
		counter(cacheNegativeHitsDesc, s.NegativeHits, name)
		counter(cacheMissesDesc, s.Misses, name)
		counter(cacheLoadsDesc, s.Loads, name)
	}
	if c.Block != nil {
		s := c.Block()
		counter(cacheHitsDesc, s.Hits, "block")
		counter(cacheMissesDesc, s.Misses, "block")
		counter(cacheLoadsDesc, s.Fetches, "block")
		counter(cacheEvictionsDesc, s.Evictions, "block")
	}
}
