package main

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/sirupsen/logrus"

	"github.com/ossfuse/ossfuse/fs"
	"github.com/ossfuse/ossfuse/internal/metrics"
	"github.com/ossfuse/ossfuse/ossio"
	"github.com/ossfuse/ossfuse/ossio/ossmetrics"
)

// mountMetrics is the metrics of one mount, served on metrics_addr. A nil
// *mountMetrics (no metrics_addr) does nothing, so that mount calls its
// hooks unconditionally.
type mountMetrics struct {
	addr string
	reg  *prometheus.Registry
	oss  *ossmetrics.Metrics
}

// newMountMetrics builds the registry and the OSS request metrics when
// metrics_addr is set; nil otherwise.
func newMountMetrics(cfg config) (*mountMetrics, error) {
	if cfg.metricsAddr == "" {
		return nil, nil
	}
	reg, err := metrics.NewRegistry(version, commit)
	if err != nil {
		return nil, err
	}
	oss, err := ossmetrics.New(reg)
	if err != nil {
		return nil, err
	}
	return &mountMetrics{addr: cfg.metricsAddr, reg: reg, oss: oss}, nil
}

// onRetry is the client's ossio.Config.OnRetry.
func (m *mountMetrics) onRetry() func(string) {
	if m == nil {
		return nil
	}
	return m.oss.ObserveRetry
}

// wrap returns c recording its requests.
func (m *mountMetrics) wrap(c ossio.Client) ossio.Client {
	if m == nil {
		return c
	}
	return m.oss.Wrap(c)
}

// serve exports the filesystem's gauges and starts the endpoint; it fails
// when metrics_addr cannot be bound. The returned function stops it.
func (m *mountMetrics) serve(f *fs.FS, log *logrus.Entry) (stop func(), err error) {
	if m == nil {
		return func() {}, nil
	}
	if err := metrics.RegisterDirtyBytes(m.reg, f.DirtyBytes); err != nil {
		return nil, err
	}
	if err := metrics.RegisterStageBytes(m.reg, f.StageBytes); err != nil {
		return nil, err
	}
	if err := metrics.RegisterCaches(m.reg, metrics.CacheStats{Stat: f.StatCacheStats, List: f.ListCacheStats, Block: f.BlockCacheStats}); err != nil {
		return nil, err
	}
	srv, err := metrics.Listen(m.addr, m.reg, log.WithField("component", "metrics"))
	if err != nil {
		return nil, err
	}
	return func() { _ = srv.Close() }, nil
}
