package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/ossfuse/ossfuse/integration/harness"
	"github.com/ossfuse/ossfuse/ossio"
)

// emulator is one ossemu subprocess with a given latency, started through
// the integration harness (harness.NewEmulator needs no testing.T). It
// accepts unsigned requests, so neither the mount nor the bench needs keys.
type emulator struct {
	*harness.Emulator
	client ossio.Client
	admin  *http.Client
}

// startEmulator starts ossemu from binDir with --latency latency.
func startEmulator(binDir string, latency time.Duration) (*emulator, error) {
	bins := harness.Binaries{Ossemu: binDir + "/ossemu", Ossfuse: binDir + "/ossfuse"}
	opts := []harness.EmulatorOption{harness.WithAnonymous(), harness.WithBucket("ossfuse-bench")}
	if latency > 0 {
		opts = append(opts, harness.WithLatency(latency))
	}
	e, err := harness.NewEmulator(bins, opts...)
	if err != nil {
		return nil, err
	}
	client, err := ossio.New(ossio.Config{
		Endpoint: e.Endpoint, Region: e.Region, Bucket: e.Bucket,
		// Enough connections for the widest Direct read and for seeding.
		MaxConnections: 128,
	})
	if err != nil {
		_ = e.Close()
		return nil, err
	}
	return &emulator{Emulator: e, client: client, admin: &http.Client{Timeout: 10 * time.Second}}, nil
}

// opStats are the emulator's counters (GET /_ossemu/stats), the fields the
// bench uses.
type opStats struct {
	Requests     map[string]int64 `json:"requests"`
	BytesIn      int64            `json:"bytesIn"` // request bodies: what clients sent
	BytesInByOp  map[string]int64 `json:"bytesInByOp"`
	BytesOut     int64            `json:"bytesOut"`
	BytesOutByOp map[string]int64 `json:"bytesOutByOp"`
	Errors       map[string]int64 `json:"errors"`
}

// Operation names as the emulator counts them.
const (
	opGet      = "GetObject"
	opHead     = "HeadObject"
	opList     = "ListObjectsV2"
	opPut      = "PutObject"
	opAppend   = "AppendObject"
	opDelete   = "DeleteObject"
	opInitiate = "InitiateMultipartUpload"
	opPart     = "UploadPart"
	opComplete = "CompleteMultipartUpload"
)

// count returns the requests of op.
func (s opStats) count(op string) int64 { return s.Requests[op] }

// lists counts listings of both API versions.
func (s opStats) lists() int64 { return s.Requests[opList] + s.Requests["ListObjects"] }

// perUnit is the count of every operation divided by n (requests per
// file, per append); nil for n = 0.
func (s opStats) perUnit(n int) map[string]float64 {
	if n <= 0 {
		return nil
	}
	out := make(map[string]float64, len(s.Requests))
	for op, v := range s.Requests {
		out[op] = float64(v) / float64(n)
	}
	return out
}

// meanGetBytes is the mean body size of the GETs, 0 without GETs.
func (s opStats) meanGetBytes() float64 {
	if n := s.Requests[opGet]; n > 0 {
		return float64(s.BytesOutByOp[opGet]) / float64(n)
	}
	return 0
}

// unexpectedErrors counts the requests that failed with another error
// than NoSuchKey: a lookup of a name that is not a file (a directory, a
// missing name) costs a HEAD answered 404 by design.
func (s opStats) unexpectedErrors() int64 {
	var n int64
	for code, v := range s.Errors {
		if code != "NoSuchKey" {
			n += v
		}
	}
	return n
}

// stats reads the counters.
func (e *emulator) stats(ctx context.Context) (opStats, error) {
	var s opStats
	b, err := e.call(ctx, http.MethodGet, "stats")
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("ossemu stats: %v: %.200s", err, b)
	}
	return s, nil
}

// resetStats zeroes the counters.
func (e *emulator) resetStats(ctx context.Context) error {
	_, err := e.call(ctx, http.MethodPost, "reset")
	return err
}

// call sends one admin request and returns its body.
func (e *emulator) call(ctx context.Context, method, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, e.Endpoint+"/_ossemu/"+path, bytes.NewReader(nil))
	if err != nil {
		return nil, err
	}
	resp, err := e.admin.Do(req)
	if err != nil {
		return nil, fmt.Errorf("ossemu %s /_ossemu/%s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode/100 != 2 {
		err = fmt.Errorf("status %s", resp.Status)
	}
	if err != nil {
		return nil, fmt.Errorf("ossemu %s /_ossemu/%s: %w: %.200s", method, path, err, b)
	}
	return b, nil
}
