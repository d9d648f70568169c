// Package conformance checks the OSS emulator (ossio/ossemu) against the
// OSS fact sheet (OSS-API.md) by driving it through ossio, hence through the
// official Go SDK, exactly as ossfuse does. Where a raw header or an exact
// wire form matters, the tests use the SDK client directly (rawClient/do).
//
// Every test starts its own emulator on loopback with httptest, so the tests
// are independent and run in parallel.
package conformance

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"hash/crc64"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"

	"github.com/ossfuse/ossfuse/ossio"
	"github.com/ossfuse/ossfuse/ossio/ossemu"
)

const (
	testBucket = "conformance"
	testRegion = "cn-hangzhou"
	testAK     = "LTAI5tConformanceKeyID"
	testSK     = "conformance-secret-0123456789abcdef"
)

// crcTable is the CRC-64 OSS uses (OSS-API.md §5.3: Go's crc64.ECMA table).
var crcTable = crc64.MakeTable(crc64.ECMA)

// env is one emulator on loopback and an ossio client for its bucket.
type env struct {
	Client ossio.Client
	Server *ossemu.Server
	URL    string // http://127.0.0.1:port

	cfg ossio.Config // the configuration of Client
}

// envSetup is what envOptions adjust before the emulator starts.
type envSetup struct {
	emu ossemu.Options
	cfg ossio.Config
}

type envOption func(*envSetup)

// withV1 signs the client's requests with signature V1 instead of V4.
func withV1() envOption { return func(s *envSetup) { s.cfg.SignatureV1 = true } }

// withAttempts sets the SDK's attempts per request (default 1: no retries).
func withAttempts(n int) envOption { return func(s *envSetup) { s.cfg.MaxAttempts = n } }

// withFaults makes the emulator inject faults from the start.
func withFaults(f ossemu.Faults) envOption { return func(s *envSetup) { s.emu.Faults = f } }

// withEmulator adjusts the emulator's options.
func withEmulator(fn func(*ossemu.Options)) envOption { return func(s *envSetup) { fn(&s.emu) } }

// newEnv starts an emulator with bucket testBucket that accepts the key
// pair testAK/testSK, and an ossio client signing with V4 (unless withV1),
// without SDK retries (unless withAttempts).
func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	s := envSetup{
		emu: ossemu.Options{
			Buckets:     []string{testBucket},
			Credentials: []ossemu.Credential{{AccessKeyID: testAK, AccessKeySecret: testSK}},
			Region:      testRegion,
			Seed:        1,
		},
		cfg: ossio.Config{
			Region:      testRegion,
			Bucket:      testBucket,
			Credentials: credentials.NewStaticCredentialsProvider(testAK, testSK),
			MaxAttempts: 1,
		},
	}
	for _, o := range opts {
		o(&s)
	}
	srv, err := ossemu.New(s.emu)
	if err != nil {
		t.Fatalf("ossemu.New: %v", err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	s.cfg.Endpoint = hs.URL
	e := &env{Server: srv, URL: hs.URL, cfg: s.cfg}
	e.Client = e.newClient(t)
	return e
}

// stats returns the emulator's counters. The emulator counts a request
// before its client has the answer (TestStatsCountCompletedCalls), so the
// counts are exact once the calls of a test have returned.
func (e *env) stats(t testing.TB) ossemu.Stats {
	t.Helper()
	return e.Server.Stats()
}

// resetStats zeroes the counters.
func (e *env) resetStats(t testing.TB) {
	t.Helper()
	e.Server.ResetStats()
}

// newClient returns another ossio client of the emulator: the env's
// configuration changed by mods (other keys, bucket, signature, ...).
func (e *env) newClient(t testing.TB, mods ...func(*ossio.Config)) ossio.Client {
	t.Helper()
	cfg := e.cfg
	for _, m := range mods {
		m(&cfg)
	}
	c, err := ossio.New(cfg)
	if err != nil {
		t.Fatalf("ossio.New: %v", err)
	}
	return c
}

// rawClient returns an official SDK client with the env's endpoint, keys and
// signature version, one attempt per request, adjusted by mods. Tests use it
// where a raw header or a request ossio cannot express must be checked.
func (e *env) rawClient(t testing.TB, mods ...func(*oss.Config) *oss.Config) *oss.Client {
	t.Helper()
	u, err := url.Parse(e.URL)
	if err != nil {
		t.Fatal(err)
	}
	cfg := oss.LoadDefaultConfig().
		WithEndpoint(u.Host).
		WithDisableSSL(true).
		WithRegion(testRegion).
		WithCredentialsProvider(e.cfg.Credentials).
		WithRetryMaxAttempts(1).
		WithDefaultRequestHeaders(map[string]string{"Accept-Encoding": "identity"})
	if e.cfg.SignatureV1 {
		cfg = cfg.WithSignatureVersion(oss.SignatureVersionV1)
	} else {
		cfg = cfg.WithSignatureVersion(oss.SignatureVersionV4)
	}
	for _, m := range mods {
		cfg = m(cfg)
	}
	return oss.NewClient(cfg)
}

// rawResponse is a response read in full.
type rawResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

// do sends one request through the SDK's generic InvokeOperation on the
// env's bucket (key "" = bucket level). Error responses come back as
// *oss.ServiceError.
func (e *env) do(t testing.TB, method, key string, params, headers map[string]string, body []byte) (rawResponse, error) {
	t.Helper()
	in := &oss.OperationInput{
		OpName:     "Raw" + method,
		Method:     method,
		Bucket:     oss.Ptr(testBucket),
		Parameters: params,
		Headers:    headers,
	}
	if key != "" {
		in.Key = oss.Ptr(key)
	}
	if body != nil {
		in.Body = bytes.NewReader(body)
	}
	out, err := e.rawClient(t).InvokeOperation(ctxT(t), in)
	if err != nil {
		return rawResponse{}, err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("read raw %s %q: %v", method, key, err)
	}
	return rawResponse{Status: out.StatusCode, Header: out.Headers, Body: b}, nil
}

// ctxT is a context bounded well below the test timeout.
func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// wantErr asserts that err is an *ossio.Error of the sentinel class kind
// carrying the HTTP status and OSS code the fact sheet documents.
func wantErr(t testing.TB, err, kind error, status int, code string) *ossio.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %d %s (%v)", status, code, kind)
	}
	if !errors.Is(err, kind) {
		t.Errorf("error %v does not match sentinel %q", err, kind)
	}
	var oe *ossio.Error
	if !errors.As(err, &oe) {
		t.Fatalf("error %v (%T) is not an *ossio.Error", err, err)
	}
	if oe.Status != status || oe.Code != code {
		t.Errorf("got HTTP %d code %q, want %d %q (%v)", oe.Status, oe.Code, status, code, err)
	}
	return oe
}

// wantServiceErr asserts that a raw SDK call failed with status and code.
func wantServiceErr(t testing.TB, err error, status int, code string) *oss.ServiceError {
	t.Helper()
	var se *oss.ServiceError
	if !errors.As(err, &se) {
		t.Fatalf("got %v (%T), want an OSS error %d %s", err, err, status, code)
	}
	if se.StatusCode != status || se.Code != code {
		t.Errorf("got HTTP %d code %q, want %d %q", se.StatusCode, se.Code, status, code)
	}
	return se
}

// content returns n pseudo-random bytes determined by seed.
func content(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := 0; i+8 <= n; i += 8 {
		v := r.Uint64()
		for j := range 8 {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	for i := n &^ 7; i < n; i++ {
		b[i] = byte(r.Uint32())
	}
	return b
}

// md5Hex is the ETag OSS gives a PutObject: uppercase hex MD5.
func md5Hex(b []byte) string {
	s := md5.Sum(b)
	return strings.ToUpper(hex.EncodeToString(s[:]))
}

// md5B64 is the Content-MD5 of b.
func md5B64(b []byte) string {
	s := md5.Sum(b)
	return base64.StdEncoding.EncodeToString(s[:])
}

func crcOf(b []byte) uint64 { return crc64.Checksum(b, crcTable) }

// put writes data under key with ossio and fails the test on error.
func put(t testing.TB, c ossio.Client, key string, data []byte) ossio.PutResult {
	t.Helper()
	res, err := c.PutObject(ctxT(t), ossio.PutRequest{Key: key, Body: bytes.NewReader(data), Size: int64(len(data))})
	if err != nil {
		t.Fatalf("PutObject %q: %v", key, err)
	}
	return res
}

// get reads the whole object key with ossio and fails the test on error.
func get(t testing.TB, c ossio.Client, req ossio.GetRequest) ([]byte, *ossio.GetResult) {
	t.Helper()
	res, err := c.GetObject(ctxT(t), req)
	if err != nil {
		t.Fatalf("GetObject %q: %v", req.Key, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GetObject %q: read body: %v", req.Key, err)
	}
	return b, res
}

// wholeGet is a GetRequest for the whole object.
func wholeGet(key string) ossio.GetRequest { return ossio.GetRequest{Key: key, Length: -1} }

// putMany writes n objects named by name(i) with body(i) using 8 workers.
func putMany(t testing.TB, c ossio.Client, n int, name func(int) string, body func(int) []byte) {
	t.Helper()
	idx := make(chan int)
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			var first error
			for i := range idx {
				b := body(i)
				_, err := c.PutObject(ctxT(t), ossio.PutRequest{Key: name(i), Body: bytes.NewReader(b), Size: int64(len(b))})
				if err != nil && first == nil {
					first = err
				}
			}
			errs <- first
		}()
	}
	for i := range n {
		idx <- i
	}
	close(idx)
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatalf("putMany: %v", err)
		}
	}
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}
