package conformance

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ossfuse/ossfuse/ossio/ossemu"
)

// The emulator's plumbing the other tests rely on: common response
// headers, and request counters that are exact once a call has returned.

// TestEnvDefaults checks the plumbing every other test relies on: the
// emulator answers the SDK, counts what it served, and stamps the common
// response headers of OSS-API.md §3.0.
func TestEnvDefaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	put(t, e.Client, "hello.txt", []byte("hello world"))
	st := e.stats(t)
	if st.Requests["PutObject"] != 1 || st.Total() != 1 || len(st.Errors) != 0 {
		t.Errorf("stats after one PUT: requests %v errors %v", st.Requests, st.Errors)
	}
	if st.BytesIn != int64(len("hello world")) {
		t.Errorf("BytesIn = %d, want %d", st.BytesIn, len("hello world"))
	}
	r, err := e.do(t, http.MethodHead, "hello.txt", nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if id := r.Header.Get("x-oss-request-id"); len(id) != 24 || strings.ToUpper(id) != id || !isHex(id) {
		t.Errorf("x-oss-request-id %q: want 24 uppercase hex digits", id)
	}
	if got := r.Header.Get("Server"); got != "AliyunOSS" {
		t.Errorf("Server = %q, want AliyunOSS", got)
	}
	if d, err := http.ParseTime(r.Header.Get("Date")); err != nil || time.Since(d).Abs() > time.Minute {
		t.Errorf("Date %q is not a current RFC 1123 time", r.Header.Get("Date"))
	}
	if ms, err := strconv.Atoi(r.Header.Get("x-oss-server-time")); err != nil || ms < 0 || ms > 60_000 {
		t.Errorf("x-oss-server-time %q: want milliseconds of processing", r.Header.Get("x-oss-server-time"))
	}
	e.resetStats(t)
	if st := e.stats(t); st.Total() != 0 || st.BytesIn != 0 {
		t.Errorf("stats after ResetStats: %+v", st)
	}
}

// TestStatsCountCompletedCalls checks the emulator's own contract that tests
// rely on: once a call has returned (its response read to the end), Stats
// counts its request and its bytes. With a bandwidth limit the emulator
// paces after writing the last bytes, which would make a count taken when
// the handler returns certainly late.
func TestStatsCountCompletedCalls(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name      string
		calls     int
		bandwidth int64
	}{{"unlimited", 300, 0}, {"1MiBps", 10, 1 << 20}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			put(t, e.Client, "k", content(1, 64<<10))
			if err := e.Server.SetFaults(ossemu.Faults{Bandwidth: c.bandwidth}); err != nil {
				t.Fatal(err)
			}
			lagged := 0
			for i := range c.calls {
				if body, _ := get(t, e.Client, wholeGet("k")); len(body) != 64<<10 {
					t.Fatalf("GET read %d bytes", len(body))
				}
				st := e.Server.Stats()
				if st.Requests["GetObject"] != int64(i+1) || st.BytesOutByOp["GetObject"] < int64(i+1)*(64<<10) {
					lagged++
				}
			}
			if lagged > 0 {
				t.Errorf("after %d of %d completed 64 KiB GETs, Server.Stats had not counted the request yet", lagged, c.calls)
			}
		})
	}
}
