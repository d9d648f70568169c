package conformance

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"

	"github.com/ossfuse/ossfuse/ossio"
	"github.com/ossfuse/ossfuse/ossio/ossemu"
)

// Stored standard headers, response overrides, GetObjectMeta, chunked
// uploads and Last-Modified (OSS-API.md §3.1-§3.4, §3.8, §3.9, §5.4).

func TestStoredHeadersAndOverrides(t *testing.T) {
	t.Parallel()
	for _, sig := range signatures {
		t.Run(sig.name, func(t *testing.T) {
			t.Parallel()
			storedHeadersAndOverrides(t, newEnv(t, sig.opts...))
		})
	}
}

func storedHeadersAndOverrides(t *testing.T, e *env) {
	stored := map[string]string{
		"Cache-Control":       "max-age=60",
		"Content-Disposition": `attachment; filename="a.txt"`,
		"Content-Encoding":    "identity",
		"Expires":             "Wed, 21 Oct 2037 07:28:00 GMT",
		"Content-Type":        "text/x-stored",
	}
	if _, err := e.do(t, http.MethodPut, "h", nil, stored, []byte("stored headers")); err != nil {
		t.Fatal(err)
	}
	for _, method := range []string{http.MethodHead, http.MethodGet} {
		r, err := e.do(t, method, "h", nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		for name, v := range stored {
			if got := r.Header.Get(name); got != v {
				t.Errorf("%s %s = %q, want the stored %q", method, name, got, v)
			}
		}
	}
	// response-* parameters override the stored headers of a signed GET.
	over := map[string]string{
		"response-content-type":        "application/x-over",
		"response-cache-control":       "no-cache",
		"response-content-disposition": "inline",
		"response-content-language":    "en-US",
		"response-expires":             "Thu, 01 Jan 2037 00:00:00 GMT",
	}
	r, err := e.do(t, http.MethodGet, "h", over, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for param, v := range over {
		name := http.CanonicalHeaderKey(strings.TrimPrefix(param, "response-"))
		if got := r.Header.Get(name); got != v {
			t.Errorf("GET ?%s: %s = %q, want %q", param, name, got, v)
		}
	}
	if string(r.Body) != "stored headers" {
		t.Errorf("GET with overrides read %q", r.Body)
	}
}

func TestGetObjectMeta(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	data := []byte("object meta")
	if _, err := e.Client.PutObject(ctxT(t), ossio.PutRequest{Key: "m", Body: bytes.NewReader(data), Size: int64(len(data)), Meta: map[string]string{"a": "b"}}); err != nil {
		t.Fatal(err)
	}
	r, err := e.do(t, http.MethodHead, "m", map[string]string{"objectMeta": ""}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Header.Get("ETag") != `"`+md5Hex(data)+`"` || r.Header.Get("Content-Length") != strconv.Itoa(len(data)) ||
		r.Header.Get("x-oss-hash-crc64ecma") != strconv.FormatUint(crcOf(data), 10) || r.Header.Get("x-oss-meta-a") != "" {
		t.Errorf("GetObjectMeta headers %v", r.Header)
	}
	checkLastModified(t, r.Header.Get("Last-Modified"))
	_, err = e.do(t, http.MethodHead, "missing", map[string]string{"objectMeta": ""}, nil, nil)
	wantServiceErr(t, err, 404, "NoSuchKey")
	if n := e.stats(t).Requests["GetObjectMeta"]; n != 2 {
		t.Errorf("GetObjectMeta counted %d times, want 2", n)
	}
}

func TestChunkedPut(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	data := content(50, 300<<10)
	// A reader of unknown length: the upload goes out chunked.
	body := io.MultiReader(bytes.NewReader(data[:1000]), bytes.NewReader(data[1000:]))
	res, err := e.Client.PutObject(ctxT(t), ossio.PutRequest{Key: "chunked", Body: body, Size: -1})
	if err != nil {
		t.Fatal(err)
	}
	if res.ETag != md5Hex(data) || res.CRC64 != crcOf(data) {
		t.Errorf("chunked PUT: %+v", res)
	}
	if got, _ := get(t, e.Client, wholeGet("chunked")); !bytes.Equal(got, data) {
		t.Error("chunked PUT stored the wrong bytes")
	}
}

// fakeClock is the emulator's clock in TestLastModified.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

func TestLastModified(t *testing.T) {
	t.Parallel()
	clk := &fakeClock{t: time.Now().UTC().Truncate(time.Second)}
	e := newEnv(t, withEmulator(func(o *ossemu.Options) { o.Now = clk.Now }))
	lastModified := func(key string) time.Time {
		t.Helper()
		r, err := e.do(t, http.MethodHead, key, nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		lm, err := time.Parse(http.TimeFormat, r.Header.Get("Last-Modified"))
		if err != nil {
			t.Fatalf("Last-Modified %q: %v", r.Header.Get("Last-Modified"), err)
		}
		return lm
	}
	t0 := clk.Now()
	put(t, e.Client, "target", []byte("target"))
	if lm := lastModified("target"); !lm.Equal(t0) {
		t.Errorf("PUT at %v: Last-Modified %v", t0, lm)
	}
	// Every append updates Last-Modified.
	if _, err := e.Client.AppendObject(ctxT(t), ossio.AppendRequest{Key: "log", Body: strings.NewReader("a"), Size: 1}); err != nil {
		t.Fatal(err)
	}
	t1 := clk.Advance(7 * time.Second)
	if _, err := e.Client.AppendObject(ctxT(t), ossio.AppendRequest{Key: "log", Position: 1, Body: strings.NewReader("b"), Size: 1}); err != nil {
		t.Fatal(err)
	}
	if lm := lastModified("log"); !lm.Equal(t1) {
		t.Errorf("append at %v: Last-Modified %v", t1, lm)
	}
	// A link reports the later of its own and its target's Last-Modified.
	t2 := clk.Advance(5 * time.Second)
	if err := e.Client.PutSymlink(ctxT(t), ossio.PutSymlinkRequest{Key: "link", Target: "target"}); err != nil {
		t.Fatal(err)
	}
	if lm := lastModified("link"); !lm.Equal(t2) {
		t.Errorf("link newer than its target: Last-Modified %v, want the link's %v", lm, t2)
	}
	t3 := clk.Advance(5 * time.Second)
	put(t, e.Client, "target", []byte("newer target"))
	if lm := lastModified("link"); !lm.Equal(t3) {
		t.Errorf("target newer than its link: Last-Modified %v, want the target's %v", lm, t3)
	}
	// Conditions compare at one-second precision against that time.
	if _, err := e.Client.GetObject(ctxT(t), ossio.GetRequest{Key: "log", Length: -1}); err != nil {
		t.Fatal(err)
	}
	_, err := e.do(t, http.MethodGet, "log", nil, map[string]string{"If-Modified-Since": t1.Format(http.TimeFormat)}, nil)
	var se *oss.ServiceError
	if !errors.As(err, &se) || se.StatusCode != 304 {
		t.Errorf("If-Modified-Since equal to Last-Modified: %v, want 304", err)
	}
	if r, err := e.do(t, http.MethodGet, "log", nil, map[string]string{"If-Modified-Since": t1.Add(-time.Second).Format(http.TimeFormat)}, nil); err != nil || r.Status != 200 {
		t.Errorf("If-Modified-Since a second before Last-Modified: %v, want 200", err)
	}
}
