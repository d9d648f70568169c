package conformance

import (
	"bytes"
	"net/http"
	"strconv"
	"testing"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"

	"github.com/ossfuse/ossfuse/ossio"
)

// Range reads (OSS-API.md §3.2): the range forms in both behaviours,
// checked on the wire, then through ossio's Offset/Length.

// rangeGet sends GET with a Range header, and x-oss-range-behavior:
// standard when standard is set.
func rangeGet(t *testing.T, e *env, key, rng string, standard bool) (rawResponse, error) {
	t.Helper()
	h := map[string]string{"Range": rng}
	if standard {
		h["x-oss-range-behavior"] = "standard"
	}
	return e.do(t, http.MethodGet, key, nil, h, nil)
}

func TestRangeForms(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	data := content(7, 1000)
	put(t, e.Client, "obj", data)
	const whole = -1
	const invalid = -2
	cases := []struct {
		rng      string
		standard bool
		first    int64 // whole: 200 with the whole object; invalid: 416
		last     int64
	}{
		{"bytes=0-499", false, 0, 499},
		{"bytes=0-499", true, 0, 499},
		{"bytes=500-", false, 500, 999},
		{"bytes=500-", true, 500, 999},
		{"bytes=-500", false, 500, 999},
		{"bytes=-500", true, 500, 999},
		{"bytes=999-999", true, 999, 999},
		{"bytes=0-1000", false, whole, 0},
		{"bytes=0-1000", true, 0, 999},
		{"bytes=500-2000", false, whole, 0},
		{"bytes=500-2000", true, 500, 999},
		{"bytes=1000-2000", false, whole, 0},
		{"bytes=1000-2000", true, invalid, 0},
		{"bytes=1000-", false, whole, 0},
		{"bytes=1000-", true, invalid, 0},
		{"bytes=-2000", false, whole, 0},
		{"byte=0-499", false, whole, 0},
		{"bytes=5-2", false, whole, 0},
		{"bytes=0-1,3-4", false, whole, 0},
		{"bytes=0-1,3-4", true, whole, 0},
	}
	for _, c := range cases {
		name := c.rng
		if c.standard {
			name += " (standard)"
		}
		r, err := rangeGet(t, e, "obj", c.rng, c.standard)
		switch c.first {
		case invalid:
			wantServiceErr(t, err, 416, "InvalidRange")
			continue
		case whole:
			if err != nil || r.Status != 200 || r.Header.Get("Content-Range") != "" || !bytes.Equal(r.Body, data) {
				t.Errorf("%s: status %d, Content-Range %q, %d bytes, %v; want 200 with the whole object and no Content-Range",
					name, r.Status, r.Header.Get("Content-Range"), len(r.Body), err)
			}
			continue
		}
		want := "bytes " + strconv.FormatInt(c.first, 10) + "-" + strconv.FormatInt(c.last, 10) + "/1000"
		if err != nil || r.Status != 206 || r.Header.Get("Content-Range") != want ||
			r.Header.Get("Content-Length") != strconv.FormatInt(c.last-c.first+1, 10) || !bytes.Equal(r.Body, data[c.first:c.last+1]) {
			t.Errorf("%s: status %d, Content-Range %q, Content-Length %q, %d bytes, %v; want 206 %q",
				name, r.Status, r.Header.Get("Content-Range"), r.Header.Get("Content-Length"), len(r.Body), err, want)
		}
	}
	// A suffix longer than the object returns the whole content in standard mode too (status [U]).
	if r, err := rangeGet(t, e, "obj", "bytes=-2000", true); err != nil || !bytes.Equal(r.Body, data) {
		t.Errorf("bytes=-2000 (standard): %d bytes, %v; want the whole object", len(r.Body), err)
	}
	// The SDK's typed GetObject sends the same headers.
	out, err := e.rawClient(t).GetObject(ctxT(t), &oss.GetObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("obj"),
		Range: oss.Ptr("bytes=-10"), RangeBehavior: oss.Ptr("standard")})
	if err != nil {
		t.Fatal(err)
	}
	out.Body.Close()
	if out.StatusCode != 206 || oss.ToString(out.ContentRange) != "bytes 990-999/1000" || out.ContentLength != 10 {
		t.Errorf("SDK GetObject bytes=-10: %d %q %d", out.StatusCode, oss.ToString(out.ContentRange), out.ContentLength)
	}
}

func TestRangeEmptyObject(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	put(t, e.Client, "empty", nil)
	r, err := rangeGet(t, e, "empty", "bytes=0-", false)
	if err != nil || r.Status != 200 || len(r.Body) != 0 {
		t.Errorf("bytes=0- on an empty object: status %d, %d bytes, %v; want 200 and nothing", r.Status, len(r.Body), err)
	}
	_, err = rangeGet(t, e, "empty", "bytes=0-", true)
	wantServiceErr(t, err, 416, "InvalidRange")
	// ossio reads an empty object whole, without a Range.
	if body, g := get(t, e.Client, wholeGet("empty")); len(body) != 0 || g.Info.Size != 0 {
		t.Errorf("ossio GetObject of an empty object: %d bytes, size %d", len(body), g.Info.Size)
	}
}

func TestRangeThroughOssio(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	data := content(8, 1000)
	put(t, e.Client, "obj", data)
	cases := []struct {
		off, n         int64
		first, wantLen int64
	}{
		{0, 500, 0, 500},
		{500, -1, 500, 500},
		{123, 1, 123, 1},
		{990, 100, 990, 10}, // end clamped to the object
		{999, -1, 999, 1},
	}
	for _, c := range cases {
		body, g := get(t, e.Client, ossio.GetRequest{Key: "obj", Offset: c.off, Length: c.n})
		if !bytes.Equal(body, data[c.first:c.first+c.wantLen]) || g.ContentLength != c.wantLen ||
			g.RangeStart != c.first || g.Info.Size != 1000 || g.Info.ETag != md5Hex(data) {
			t.Errorf("offset %d length %d: %d bytes, ContentLength %d, RangeStart %d, Size %d",
				c.off, c.n, len(body), g.ContentLength, g.RangeStart, g.Info.Size)
		}
	}
	for _, off := range []int64{1000, 5000} {
		_, err := e.Client.GetObject(ctxT(t), ossio.GetRequest{Key: "obj", Offset: off, Length: 10})
		wantErr(t, err, ossio.ErrInvalidRange, 416, "InvalidRange")
		_, err = e.Client.GetObject(ctxT(t), ossio.GetRequest{Key: "obj", Offset: off, Length: -1})
		wantErr(t, err, ossio.ErrInvalidRange, 416, "InvalidRange")
	}
}
