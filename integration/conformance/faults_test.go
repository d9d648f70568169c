package conformance

import (
	"bytes"
	"crypto/md5"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/ossfuse/ossfuse/ossio"
	"github.com/ossfuse/ossfuse/ossio/ossemu"
)

// Fault injection: 5xx answers, dropped and truncated connections, latency
// and bandwidth. Whatever fails, no call may return wrong bytes.

func TestFaultsRetriedByteExact(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withFaults(ossemu.Faults{FailRate: 0.2, FailCodes: []string{"503", "500"}}), withAttempts(8))
	const n, workers = 50, 5
	objs := make([][]byte, n)
	for i := range objs {
		objs[i] = content(uint64(500+i), 1+(i*7919)%(64<<10)) // 1 B to 64 KiB
	}
	idx := make(chan int)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range idx {
				key := "f/" + md5Hex(objs[i])
				if _, err := e.Client.PutObject(ctxT(t), ossio.PutRequest{Key: key, Body: bytes.NewReader(objs[i]), Size: int64(len(objs[i]))}); err != nil {
					errs <- err
					continue
				}
				res, err := e.Client.GetObject(ctxT(t), wholeGet(key))
				if err != nil {
					errs <- err
					continue
				}
				h := md5.New()
				_, err = io.Copy(h, res.Body)
				res.Body.Close()
				if err != nil {
					errs <- err
				} else if got := h.Sum(nil); !bytes.Equal(got, md5Sum(objs[i])) {
					errs <- errors.New("object " + key + " read back with a different MD5")
				}
			}
		}()
	}
	for i := range n {
		idx <- i
	}
	close(idx)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := e.stats(t)
	injected := st.Errors["ServiceUnavailable"] + st.Errors["InternalError"]
	if st.InjectedFaults == 0 || injected != st.InjectedFaults || len(st.Errors) != 2 {
		t.Errorf("stats: %d injected faults, errors %v; want > 0 faults counted as ServiceUnavailable/InternalError", st.InjectedFaults, st.Errors)
	}
	if got := st.Requests["PutObject"] + st.Requests["GetObject"]; got != 2*n+st.InjectedFaults {
		t.Errorf("%d requests for %d calls and %d faults", got, 2*n, st.InjectedFaults)
	}
	t.Logf("%d faults injected over %d requests", st.InjectedFaults, st.Total())
}

func md5Sum(b []byte) []byte { s := md5.Sum(b); return s[:] }

// TestFaultErrorShape checks what an injected 5xx looks like through ossio,
// and that FailOps and MaxFailures bound the injection.
func TestFaultErrorShape(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	put(t, e.Client, "k", []byte("k"))
	for _, c := range []struct {
		code, name string
		status     int
	}{{"503", "ServiceUnavailable", 503}, {"500", "InternalError", 500}} {
		if err := e.Server.SetFaults(ossemu.Faults{FailRate: 1, FailCodes: []string{c.code}, FailOps: []string{"PutObject"}, MaxFailures: 2}); err != nil {
			t.Fatal(err)
		}
		e.resetStats(t)
		for range 2 {
			_, err := e.Client.PutObject(ctxT(t), ossio.PutRequest{Key: "k", Body: bytes.NewReader([]byte("new")), Size: 3})
			wantErr(t, err, ossio.ErrUnavailable, c.status, c.name)
			if !ossio.Retryable(err) {
				t.Errorf("injected %s is not retryable: %v", c.code, err)
			}
			if _, err := e.Client.HeadObject(ctxT(t), "k"); err != nil {
				t.Errorf("HeadObject failed outside FailOps: %v", err)
			}
		}
		put(t, e.Client, "k", []byte("new"))
		if st := e.stats(t); st.InjectedFaults != 2 || st.Errors[c.name] != 2 {
			t.Errorf("MaxFailures 2: injected %d, errors %v", st.InjectedFaults, st.Errors)
		}
	}
}

func TestFaultDropAndTruncate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	data := content(40, 1<<20)
	put(t, e.Client, "k", data)
	setFaults := func(f ossemu.Faults) {
		t.Helper()
		if err := e.Server.SetFaults(f); err != nil {
			t.Fatal(err)
		}
	}

	setFaults(ossemu.Faults{FailRate: 1, FailCodes: []string{"drop"}, FailOps: []string{"GetObject"}})
	_, err := e.Client.GetObject(ctxT(t), wholeGet("k"))
	if !errors.Is(err, ossio.ErrUnavailable) {
		t.Errorf("GET on a dropped connection: %v, want ErrUnavailable", err)
	}
	// One drop, then the SDK's retry reads the object.
	setFaults(ossemu.Faults{FailRate: 1, FailCodes: []string{"drop"}, FailOps: []string{"GetObject"}, MaxFailures: 1})
	e.resetStats(t)
	retrying := e.newClient(t, func(c *ossio.Config) { c.MaxAttempts = 3 })
	if body, _ := get(t, retrying, wholeGet("k")); !bytes.Equal(body, data) {
		t.Error("GET retried after a drop returned wrong bytes")
	}
	if st := e.stats(t); st.InjectedFaults != 1 || st.Requests["GetObject"] != 2 {
		t.Errorf("drop then retry: %d faults, requests %v", st.InjectedFaults, st.Requests)
	}

	// A truncated body fails the read: never short or wrong data as success.
	setFaults(ossemu.Faults{FailRate: 1, FailCodes: []string{"truncate"}, FailOps: []string{"GetObject"}})
	for _, req := range []ossio.GetRequest{wholeGet("k"), {Key: "k", Offset: 1000, Length: 500 << 10}} {
		for _, c := range []ossio.Client{e.Client, retrying} {
			want := data[req.Offset:]
			if req.Length > 0 {
				want = want[:req.Length]
			}
			res, err := c.GetObject(ctxT(t), req)
			if err != nil {
				if !errors.Is(err, ossio.ErrUnavailable) {
					t.Errorf("truncated GET %+v: %v, want ErrUnavailable", req, err)
				}
				continue
			}
			body, err := io.ReadAll(res.Body)
			res.Body.Close()
			if !errors.Is(err, ossio.ErrUnavailable) || len(body) >= len(want) {
				t.Errorf("truncated GET %+v: read %d of %d bytes, error %v; want a short read failing with ErrUnavailable", req, len(body), len(want), err)
			}
			if !bytes.Equal(body, want[:min(len(body), len(want))]) {
				t.Errorf("truncated GET %+v: the %d bytes read are not the object's", req, len(body))
			}
		}
	}
}

func TestFaultLatency(t *testing.T) {
	t.Parallel()
	const latency = 30 * time.Millisecond
	e := newEnv(t, withFaults(ossemu.Faults{Latency: ossemu.Duration(latency)}))
	put(t, e.Client, "k", []byte("k"))
	start := time.Now()
	for range 10 {
		if _, err := e.Client.HeadObject(ctxT(t), "k"); err != nil {
			t.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	if elapsed < 10*latency || elapsed > 10*(latency+200*time.Millisecond) {
		t.Errorf("10 HEADs with %v latency took %v", latency, elapsed)
	}
}

func TestFaultBandwidth(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	data := content(41, 4<<20)
	put(t, e.Client, "k", data)
	if err := e.Server.SetFaults(ossemu.Faults{Bandwidth: 8 << 20}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	body, _ := get(t, e.Client, wholeGet("k"))
	if d := time.Since(start); d < 450*time.Millisecond {
		t.Errorf("4 MiB GET at 8 MiB/s took %v, want >= 0.45 s", d)
	}
	if !bytes.Equal(body, data) {
		t.Error("rate-limited GET returned wrong bytes")
	}
	start = time.Now()
	put(t, e.Client, "up", data[:2<<20])
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("2 MiB PUT at 8 MiB/s took %v, want >= 0.2 s", d)
	}
}
