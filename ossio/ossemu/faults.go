package ossemu

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Faults are the failures and delays the emulator injects. Every random
// choice comes from one generator seeded at start, so a run is repeatable
// for a given request order.
type Faults struct {
	// Latency delays every request before its first response byte.
	Latency Duration `json:"latency"`
	// Bandwidth limits each request's body and each response's body to
	// this many bytes per second; 0 means unlimited.
	Bandwidth int64 `json:"bandwidth"`
	// FailRate is the probability that a request fails on purpose.
	FailRate float64 `json:"failRate"`
	// FailCodes are the failures to choose from: an HTTP status ("503",
	// "500", ...), "drop" (close the connection without a response) or
	// "truncate" (close it after half of the first body write). Empty
	// means "503".
	FailCodes []string `json:"failCodes"`
	// FailOps restricts failures to these operations; empty means all.
	FailOps []string `json:"failOps"`
	// MaxFailures stops injecting after this many failures; 0 means no limit.
	MaxFailures int64 `json:"maxFailures"`
}

// Duration is a time.Duration that reads and writes JSON as "30ms".
type Duration time.Duration

// MarshalJSON writes d as a Go duration string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON accepts a Go duration string or a number of nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var ns int64
		if err := json.Unmarshal(b, &ns); err != nil {
			return fmt.Errorf("duration: want a string like \"30ms\": %w", err)
		}
		*d = Duration(ns)
		return nil
	}
	v, err := time.ParseDuration(s)
	*d = Duration(v)
	return err
}

// Validate checks the fault codes and rates.
func (f Faults) Validate() error {
	if f.FailRate < 0 || f.FailRate > 1 {
		return fmt.Errorf("fail rate %v is not between 0 and 1", f.FailRate)
	}
	if f.Bandwidth < 0 || f.Latency < 0 {
		return fmt.Errorf("latency and bandwidth must not be negative")
	}
	for _, c := range f.FailCodes {
		if c == "drop" || c == "truncate" {
			continue
		}
		if n, err := strconv.Atoi(c); err != nil || n < 400 || n > 599 {
			return fmt.Errorf("fail code %q: want an HTTP status 400-599, drop or truncate", c)
		}
	}
	return nil
}

type faultInjector struct {
	mu       sync.Mutex
	f        Faults     // GUARDED_BY(mu)
	rng      *rand.Rand // GUARDED_BY(mu)
	failures int64      // GUARDED_BY(mu)
	stats    *statsRecorder
}

func newFaultInjector(f Faults, seed int64, stats *statsRecorder) *faultInjector {
	return &faultInjector{f: f, rng: rand.New(rand.NewSource(seed)), stats: stats}
}

func (fi *faultInjector) set(f Faults) {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	fi.f = f
	fi.failures = 0
}

func (fi *faultInjector) get() Faults {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	return fi.f
}

// pick decides whether c fails, and how.
func (fi *faultInjector) pick(op string) (string, Faults) {
	fi.mu.Lock()
	defer fi.mu.Unlock()
	f := fi.f
	if f.FailRate == 0 || (f.MaxFailures > 0 && fi.failures >= f.MaxFailures) {
		return "", f
	}
	if len(f.FailOps) > 0 && !contains(f.FailOps, op) {
		return "", f
	}
	if fi.rng.Float64() >= f.FailRate {
		return "", f
	}
	fi.failures++
	codes := f.FailCodes
	if len(codes) == 0 {
		codes = []string{"503"}
	}
	return codes[fi.rng.Intn(len(codes))], f
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// before applies latency and decides on an injected failure for c. A
// "drop" never returns: it aborts the connection.
func (fi *faultInjector) before(c *call) *apiError {
	code, f := fi.pick(c.op)
	if f.Latency > 0 {
		t := time.NewTimer(time.Duration(f.Latency))
		select {
		case <-t.C:
		case <-c.r.Context().Done():
			t.Stop()
		}
	}
	if f.Bandwidth > 0 {
		cw := c.w.(*countingWriter)
		cw.ResponseWriter = &rateWriter{ResponseWriter: cw.ResponseWriter, rate: f.Bandwidth, start: time.Now()}
		if c.r.Body != nil {
			c.r.Body = &rateReader{ReadCloser: c.r.Body, rate: f.Bandwidth, start: time.Now()}
		}
	}
	if code == "" {
		return nil
	}
	fi.stats.injected()
	switch code {
	case "drop":
		fi.stats.request(c.op, "InjectedDrop")
		panic(http.ErrAbortHandler)
	case "truncate":
		cw := c.w.(*countingWriter)
		cw.ResponseWriter = &truncatingWriter{ResponseWriter: cw.ResponseWriter}
		return nil
	}
	status, _ := strconv.Atoi(code)
	return errorf(status, codeOfStatus(status), "", "Injected fault: the emulator was asked to fail this request.")
}

func codeOfStatus(status int) string {
	switch status {
	case 500:
		return "InternalError"
	case 503:
		return "ServiceUnavailable"
	case 429:
		return "TooManyRequests"
	case 408:
		return "RequestTimeout"
	case 403:
		return "AccessDenied"
	}
	return http.StatusText(status)
}

// pace sleeps until n bytes since start fit in rate bytes per second.
func pace(start time.Time, n, rate int64) {
	due := start.Add(time.Duration(float64(n) / float64(rate) * float64(time.Second)))
	if d := time.Until(due); d > 0 {
		time.Sleep(d)
	}
}

// paceChunk bounds the bytes moved between two pauses of a rate limiter.
const paceChunk = 32 << 10

type rateWriter struct {
	http.ResponseWriter
	rate  int64
	start time.Time
	n     int64
}

func (w *rateWriter) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		chunk := p
		if len(chunk) > paceChunk {
			chunk = chunk[:paceChunk]
		}
		n, err := w.ResponseWriter.Write(chunk)
		written += n
		w.n += int64(n)
		if err != nil {
			return written, err
		}
		p = p[n:]
		pace(w.start, w.n, w.rate)
	}
	return written, nil
}

func (w *rateWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

type rateReader struct {
	io.ReadCloser
	rate  int64
	start time.Time
	n     int64
}

func (r *rateReader) Read(p []byte) (int, error) {
	if len(p) > paceChunk {
		p = p[:paceChunk]
	}
	n, err := r.ReadCloser.Read(p)
	r.n += int64(n)
	pace(r.start, r.n, r.rate)
	return n, err
}

// truncatingWriter sends half of the first body write, then cuts the connection.
type truncatingWriter struct {
	http.ResponseWriter
}

func (w *truncatingWriter) Write(p []byte) (int, error) {
	_, _ = w.ResponseWriter.Write(p[:len(p)/2])
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
	panic(http.ErrAbortHandler)
}

func (w *truncatingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
