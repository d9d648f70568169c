package ossio

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"golang.org/x/sync/semaphore"

	"github.com/ossfuse/ossfuse/ossio/ossemu"
)

// Fixtures of the upload and copy tests: the real emulator in-process, and
// a client on the SDK talking to it.

type emuEnv struct {
	t   *testing.T
	emu *ossemu.Server
	srv *httptest.Server
	c   Client
}

// newEmuEnv starts an emulator with bucket "bkt" and a client for it; mods
// adjust the client's Config (e.g. MaxAttempts).
func newEmuEnv(t *testing.T, mods ...func(*Config)) *emuEnv {
	t.Helper()
	emu, err := ossemu.New(ossemu.Options{Buckets: []string{testBucket}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	cfg := Config{Endpoint: srv.URL, Region: "cn-hangzhou", Bucket: testBucket}
	for _, m := range mods {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &emuEnv{t: t, emu: emu, srv: srv, c: c}
}

func withoutRetries(cfg *Config) { cfg.MaxAttempts = 1 }

// failOps makes the emulator fail the next n requests of ops with code
// ("503", "truncate", ...; n == 0: all of them).
func (e *emuEnv) failOps(n int64, code string, ops ...string) {
	e.t.Helper()
	if err := e.emu.SetFaults(ossemu.Faults{FailRate: 1, FailCodes: []string{code}, FailOps: ops, MaxFailures: n}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *emuEnv) clearFaults() {
	e.t.Helper()
	if err := e.emu.SetFaults(ossemu.Faults{}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *emuEnv) requests(op string) int64 { return e.emu.Stats().Requests[op] }

// get returns the object's bytes.
func (e *emuEnv) get(key string) []byte {
	e.t.Helper()
	r, err := e.c.GetObject(context.Background(), GetRequest{Key: key, Length: -1})
	if err != nil {
		e.t.Fatalf("get %q: %v", key, err)
	}
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		e.t.Fatalf("get %q: %v", key, err)
	}
	return b
}

// put writes an object with one PutObject and returns its ETag.
func (e *emuEnv) put(key string, data []byte, meta map[string]string) string {
	e.t.Helper()
	res, err := e.c.PutObject(context.Background(), PutRequest{
		Key: key, Body: bytes.NewReader(data), Size: int64(len(data)), ContentType: "application/x-old", Meta: meta,
	})
	if err != nil {
		e.t.Fatalf("put %q: %v", key, err)
	}
	return res.ETag
}

// uploads returns the number of multipart uploads in progress, from the
// emulator's ListMultipartUploads.
func (e *emuEnv) uploads() int {
	e.t.Helper()
	resp, err := http.Get(e.srv.URL + "/" + testBucket + "?uploads")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var res struct {
		Uploads []struct{ Key, UploadId string } `xml:"Upload"`
	}
	if err := xml.NewDecoder(resp.Body).Decode(&res); err != nil {
		e.t.Fatalf("ListMultipartUploads: status %d: %v", resp.StatusCode, err)
	}
	return len(res.Uploads)
}

// seededBytes returns n bytes that depend on seed only.
func seededBytes(n int, seed byte) []byte {
	b := make([]byte, n)
	_, _ = rand.NewChaCha8([32]byte{seed}).Read(b)
	return b
}

// testBudget is a Budget of max bytes that records the most ever held.
type testBudget struct {
	t   *testing.T
	sem *semaphore.Weighted

	mu    sync.Mutex
	inUse int64 // GUARDED_BY(mu)
	peak  int64 // GUARDED_BY(mu)
}

func newTestBudget(t *testing.T, max int64) *testBudget {
	return &testBudget{t: t, sem: semaphore.NewWeighted(max)}
}

func (b *testBudget) Acquire(ctx context.Context, n int64) error {
	if err := b.sem.Acquire(ctx, n); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.inUse += n
	b.peak = max(b.peak, b.inUse)
	return nil
}

func (b *testBudget) Release(n int64) {
	b.mu.Lock()
	b.inUse -= n
	if b.inUse < 0 {
		b.t.Errorf("budget released %d bytes more than taken", -b.inUse)
	}
	b.mu.Unlock()
	b.sem.Release(n)
}

func (b *testBudget) held() (inUse, peak int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.inUse, b.peak
}

// parallelClient records the most UploadPart calls in flight at once.
type parallelClient struct {
	Client
	mu   sync.Mutex
	cur  int // GUARDED_BY(mu)
	peak int // GUARDED_BY(mu)
}

func (c *parallelClient) UploadPart(ctx context.Context, req UploadPartRequest) (Part, error) {
	c.mu.Lock()
	c.cur++
	c.peak = max(c.peak, c.cur)
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.cur--
		c.mu.Unlock()
	}()
	return c.Client.UploadPart(ctx, req)
}

func (c *parallelClient) maxInFlight() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.peak
}
