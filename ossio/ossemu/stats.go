package ossemu

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Stats are the emulator's request counters, as GET /_ossemu/stats returns
// them. Tests and benchmarks assert what an operation cost with them.
type Stats struct {
	// Requests counts requests per operation (GetObject, PutObject, ...),
	// failed ones included.
	Requests map[string]int64 `json:"requests"`
	// Errors counts failed requests per OSS error code.
	Errors map[string]int64 `json:"errors"`
	// BytesIn and BytesOut count request and response body bytes.
	BytesIn  int64 `json:"bytesIn"`
	BytesOut int64 `json:"bytesOut"`
	// BytesInByOp and BytesOutByOp split the byte counts per operation.
	BytesInByOp  map[string]int64 `json:"bytesInByOp"`
	BytesOutByOp map[string]int64 `json:"bytesOutByOp"`
	// InjectedFaults counts the faults injected on purpose.
	InjectedFaults int64 `json:"injectedFaults"`
}

// Total returns the number of requests of all operations.
func (s Stats) Total() int64 {
	var n int64
	for _, v := range s.Requests {
		n += v
	}
	return n
}

// String lists the non-zero request counts, for failure messages.
func (s Stats) String() string {
	var parts []string
	for op, n := range s.Requests {
		if n != 0 {
			parts = append(parts, fmt.Sprintf("%s=%d", op, n))
		}
	}
	sort.Strings(parts)
	if len(parts) == 0 {
		return "no requests"
	}
	return strings.Join(parts, " ")
}

type statsRecorder struct {
	mu sync.Mutex
	s  Stats // GUARDED_BY(mu)
}

func newStatsRecorder() *statsRecorder {
	r := &statsRecorder{}
	r.reset()
	return r
}

func (r *statsRecorder) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s = Stats{
		Requests:     map[string]int64{},
		Errors:       map[string]int64{},
		BytesInByOp:  map[string]int64{},
		BytesOutByOp: map[string]int64{},
	}
}

// request counts one request of op; code is its error code, if it failed.
func (r *statsRecorder) request(op, code string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s.Requests[op]++
	if code != "" {
		r.s.Errors[code]++
	}
}

// failed counts an error found after the response had started.
func (r *statsRecorder) failed(code string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s.Errors[code]++
}

// bytes adds body bytes moved for op (negative to take back a short write).
func (r *statsRecorder) bytes(op string, in, out int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s.BytesIn += in
	r.s.BytesOut += out
	if in != 0 {
		r.s.BytesInByOp[op] += in
	}
	if out != 0 {
		r.s.BytesOutByOp[op] += out
	}
}

func (r *statsRecorder) injected() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s.InjectedFaults++
}

func (r *statsRecorder) snapshot() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.s
	out.Requests = cloneCounts(r.s.Requests)
	out.Errors = cloneCounts(r.s.Errors)
	out.BytesInByOp = cloneCounts(r.s.BytesInByOp)
	out.BytesOutByOp = cloneCounts(r.s.BytesOutByOp)
	return out
}

func cloneCounts(m map[string]int64) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
