package ossio

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"
)

// Test fixtures: an httptest server with canned OSS answers. It verifies no
// signature; the client under test signs with static credentials anyway so
// the signing path runs.

const (
	testBucket    = "bkt"
	testRequestID = "5C3D9175B6FC201293AD4890"
	testEC        = "0026-00000001"
)

// newTestClient starts a server running h and a client for bucket "bkt" on
// it, with SDK retries off unless a mod says otherwise.
func newTestClient(t *testing.T, h http.HandlerFunc, mods ...func(*Config)) Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cfg := Config{
		Endpoint:    srv.URL,
		Region:      "cn-hangzhou",
		Bucket:      testBucket,
		Credentials: credentials.NewStaticCredentialsProvider("ak", "sk"),
		MaxAttempts: 1,
	}
	for _, m := range mods {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// withAttempts sets Config.MaxAttempts.
func withAttempts(n int) func(*Config) {
	return func(c *Config) { c.MaxAttempts = n }
}

// objectKey returns the key of a path-style request (the SDK uses path style
// for IP endpoints such as httptest's).
func objectKey(r *http.Request) string {
	return strings.TrimPrefix(r.URL.Path, "/"+testBucket+"/")
}

// writeOSSError answers like OSS: an XML error body, or for HEAD (which has
// no body) the same document base64-encoded in x-oss-err. Extra headers are
// added first; code "" sends no error document at all.
func writeOSSError(w http.ResponseWriter, r *http.Request, status int, code, message string, extra http.Header) {
	for k, v := range extra {
		w.Header()[k] = v
	}
	w.Header().Set("x-oss-request-id", testRequestID)
	if code == "" {
		w.WriteHeader(status)
		return
	}
	doc := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<Error>
  <Code>%s</Code>
  <Message>%s</Message>
  <RequestId>%s</RequestId>
  <HostId>%s.oss-cn-hangzhou.aliyuncs.com</HostId>
  <EC>%s</EC>
</Error>`, code, message, testRequestID, testBucket, testEC)
	w.Header().Set("x-oss-ec", testEC)
	if r.Method == http.MethodHead {
		w.Header().Set("x-oss-err", base64.StdEncoding.EncodeToString([]byte(doc)))
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprint(w, doc)
}

// counter counts requests safely across handler goroutines.
type counter struct {
	mu sync.Mutex
	n  int
}

func (c *counter) inc() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return c.n
}

func (c *counter) get() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}
