// Package ossmetrics records what an ossio.Client does as Prometheus
// metrics: a decorator Client counts every call by operation and outcome,
// times it, and counts the object bytes sent and received as they stream.
// It also counts the SDK's retries (through ossio.Config.OnRetry).
//
// Metrics (operation is the OSS API name: HeadObject, GetObject,
// ListObjectsV2, PutObject, AppendObject, CopyObject, DeleteObject,
// DeleteMultipleObjects, InitiateMultipartUpload, UploadPart,
// UploadPartCopy, CompleteMultipartUpload, AbortMultipartUpload, ListParts,
// PutSymlink, GetSymlink; outcome is ossio.Outcome's):
//
//	ossfuse_oss_requests_total{operation,outcome}            calls of the Client
//	ossfuse_oss_request_duration_seconds{operation}          histogram, until the call returns (for GetObject: the response headers)
//	ossfuse_oss_sent_bytes_total{operation}                  object bytes read from request bodies (PutObject, AppendObject, UploadPart)
//	ossfuse_oss_received_bytes_total{operation}              object bytes read from GetObject bodies
//	ossfuse_oss_retries_total{outcome}                       attempts the SDK made beyond the first, by what failed
//
// A call is one request, but for DeleteObjects with more than 1000 keys
// and ListParts of more than 1000 parts, which take several. Metrics live in
// the registry given to New; the package has no global state.
package ossmetrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ossfuse/ossfuse/ossio"
)

// Operation names, as OSS and the emulator's request counters spell them.
const (
	opHeadObject        = "HeadObject"
	opGetObject         = "GetObject"
	opListObjects       = "ListObjectsV2"
	opPutObject         = "PutObject"
	opAppendObject      = "AppendObject"
	opCopyObject        = "CopyObject"
	opDeleteObject      = "DeleteObject"
	opDeleteObjects     = "DeleteMultipleObjects"
	opInitiateMultipart = "InitiateMultipartUpload"
	opUploadPart        = "UploadPart"
	opUploadPartCopy    = "UploadPartCopy"
	opCompleteMultipart = "CompleteMultipartUpload"
	opAbortMultipart    = "AbortMultipartUpload"
	opListParts         = "ListParts"
	opPutSymlink        = "PutSymlink"
	opGetSymlink        = "GetSymlink"
)

var operations = []string{
	opHeadObject, opGetObject, opListObjects, opPutObject, opAppendObject, opCopyObject,
	opDeleteObject, opDeleteObjects, opInitiateMultipart, opUploadPart, opUploadPartCopy,
	opCompleteMultipart, opAbortMultipart, opListParts, opPutSymlink, opGetSymlink,
}

// DurationBuckets are the bounds of the latency histograms: 1 ms (a cached
// answer on loopback) to 60 s (the default read/write timeout).
var DurationBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// Metrics holds the collectors of one Client.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	sent     *prometheus.CounterVec
	received *prometheus.CounterVec
	retries  *prometheus.CounterVec
	ops      map[string]*opMetrics
}

// opMetrics are the children of one operation, resolved once so that a
// call costs no label lookup on its usual (successful) path. sent and
// received are nil for operations without object bytes that way.
type opMetrics struct {
	name     string
	ok       prometheus.Counter
	duration prometheus.Observer
	sent     prometheus.Counter
	received prometheus.Counter
}

// Operations whose requests or answers carry object bytes.
var (
	sendsObjectBytes    = map[string]bool{opPutObject: true, opAppendObject: true, opUploadPart: true}
	receivesObjectBytes = map[string]bool{opGetObject: true}
)

// New registers the metrics in reg.
func New(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ossfuse_oss_requests_total",
			Help: "OSS requests by operation and outcome (ok, an OSS error code, http_<status>, network, timeout, canceled, ...).",
		}, []string{"operation", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ossfuse_oss_request_duration_seconds",
			Help:    "Time from sending an OSS request to its answer (for GetObject, the response headers).",
			Buckets: DurationBuckets,
		}, []string{"operation"}),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ossfuse_oss_sent_bytes_total",
			Help: "Object bytes sent in request bodies, retries included.",
		}, []string{"operation"}),
		received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ossfuse_oss_received_bytes_total",
			Help: "Object bytes received in GetObject bodies, as they are read.",
		}, []string{"operation"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ossfuse_oss_retries_total",
			Help: "Attempts the SDK made beyond the first of a request, by the outcome of the attempt that failed.",
		}, []string{"outcome"}),
		ops: make(map[string]*opMetrics, len(operations)),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.sent, m.received, m.retries} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	for _, op := range operations {
		om := &opMetrics{
			name:     op,
			ok:       m.requests.WithLabelValues(op, ossio.OutcomeOK),
			duration: m.duration.WithLabelValues(op),
		}
		if sendsObjectBytes[op] {
			om.sent = m.sent.WithLabelValues(op)
		}
		if receivesObjectBytes[op] {
			om.received = m.received.WithLabelValues(op)
		}
		m.ops[op] = om
	}
	return m, nil
}

// ObserveRetry counts one retry of the SDK; it is ossio.Config.OnRetry.
func (m *Metrics) ObserveRetry(outcome string) {
	m.retries.WithLabelValues(outcome).Inc()
}

// done records a call of op that started at start and ended with err.
func (m *Metrics) done(op *opMetrics, start time.Time, err error) {
	op.duration.Observe(time.Since(start).Seconds())
	if err == nil {
		op.ok.Inc()
		return
	}
	m.requests.WithLabelValues(op.name, ossio.Outcome(err)).Inc()
}
