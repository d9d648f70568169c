package conformance

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"

	"github.com/ossfuse/ossfuse/ossio"
)

// Success headers of the object calls (OSS-API.md §3.0, §3.1, §3.3, §3.8, §5).

var (
	quotedETagRE = regexp.MustCompile(`^"[0-9A-F]{32}"$`)
	hex32RE      = regexp.MustCompile(`^[0-9A-F]{32}$`)
	isoTimeRE    = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$`)
)

// checkLastModified asserts an RFC 1123 GMT Last-Modified close to now.
func checkLastModified(t *testing.T, v string) time.Time {
	t.Helper()
	lm, err := time.Parse(http.TimeFormat, v)
	if err != nil || lm.Format(http.TimeFormat) != v {
		t.Errorf("Last-Modified %q is not RFC 1123 GMT (%v)", v, err)
	}
	if d := time.Since(lm); d < -2*time.Second || d > time.Minute {
		t.Errorf("Last-Modified %v is %v away from now", lm, d)
	}
	return lm
}

func TestPutObjectHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	data := content(1, 64<<10+3)
	rc := e.rawClient(t)
	out, err := rc.PutObject(ctxT(t), &oss.PutObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("raw/put"), Body: bytes.NewReader(data)})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := out.Headers.Get("ETag"), `"`+md5Hex(data)+`"`; got != want {
		t.Errorf("PutObject ETag header %s, want %s (quoted uppercase MD5)", got, want)
	}
	if got := out.Headers.Get("Content-MD5"); got != md5B64(data) {
		t.Errorf("PutObject Content-MD5 %q, want %q", got, md5B64(data))
	}
	if got := out.Headers.Get("x-oss-hash-crc64ecma"); got != strconv.FormatUint(crcOf(data), 10) {
		t.Errorf("PutObject x-oss-hash-crc64ecma %q, want %d", got, crcOf(data))
	}

	res, err := e.Client.PutObject(ctxT(t), ossio.PutRequest{Key: "ossio/put", Body: bytes.NewReader(data), Size: int64(len(data)), ContentType: "text/x-conformance"})
	if err != nil {
		t.Fatal(err)
	}
	if res.ETag != md5Hex(data) || res.CRC64 != crcOf(data) {
		t.Errorf("PutResult %+v, want ETag %s CRC %d", res, md5Hex(data), crcOf(data))
	}
	empty := put(t, e.Client, "ossio/empty", nil)
	if empty.ETag != "D41D8CD98F00B204E9800998ECF8427E" || empty.CRC64 != 0 {
		t.Errorf("empty object: PutResult %+v, want ETag D41D8CD98F00B204E9800998ECF8427E CRC 0", empty)
	}

	h, err := e.do(t, http.MethodHead, "ossio/put", nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"ETag":                 `"` + md5Hex(data) + `"`,
		"Content-Length":       strconv.Itoa(len(data)),
		"Content-Type":         "text/x-conformance",
		"Content-MD5":          md5B64(data),
		"Accept-Ranges":        "bytes",
		"x-oss-object-type":    "Normal",
		"x-oss-hash-crc64ecma": strconv.FormatUint(crcOf(data), 10),
	}
	for name, v := range want {
		if got := h.Header.Get(name); got != v {
			t.Errorf("HEAD %s = %q, want %q", name, got, v)
		}
	}
	if sc := h.Header.Get("x-oss-storage-class"); sc != "Standard" {
		t.Errorf("HEAD x-oss-storage-class = %q, want Standard", sc)
	}
	if v := h.Header.Get("x-oss-next-append-position"); v != "" {
		t.Errorf("Normal object has x-oss-next-append-position %q", v)
	}
	lm := checkLastModified(t, h.Header.Get("Last-Modified"))

	info, err := e.Client.HeadObject(ctxT(t), "ossio/put")
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != int64(len(data)) || info.ETag != md5Hex(data) || info.Type != ossio.TypeNormal ||
		!info.HasCRC64 || info.CRC64 != crcOf(data) || !info.LastModified.Equal(lm) || info.ContentType != "text/x-conformance" {
		t.Errorf("HeadObject = %+v", info)
	}
	body, g := get(t, e.Client, wholeGet("ossio/put"))
	if !bytes.Equal(body, data) || g.ContentLength != int64(len(data)) || g.Info.ETag != md5Hex(data) || g.Info.Type != ossio.TypeNormal {
		t.Errorf("GetObject: %d bytes, info %+v", len(body), g.Info)
	}
	if r, _ := e.do(t, http.MethodGet, "ossio/put", nil, nil, nil); r.Status != 200 || r.Header.Get("Content-Range") != "" {
		t.Errorf("whole GET: status %d, Content-Range %q; want 200 without Content-Range", r.Status, r.Header.Get("Content-Range"))
	}
}

func TestUserMetadataRoundTrip(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	meta := map[string]string{"mode": "0644", "uid": "1000", "Mixed-Case": "Value With Spaces"}
	wantMeta := map[string]string{"mode": "0644", "uid": "1000", "mixed-case": "Value With Spaces"}
	_, err := e.Client.PutObject(ctxT(t), ossio.PutRequest{Key: "m", Body: bytes.NewReader([]byte("x")), Size: 1, Meta: meta, ContentType: "text/x-meta"})
	if err != nil {
		t.Fatal(err)
	}
	info, err := e.Client.HeadObject(ctxT(t), "m")
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(info.Meta, wantMeta) || info.ContentType != "text/x-meta" {
		t.Errorf("HeadObject meta %v type %q, want %v text/x-meta", info.Meta, info.ContentType, wantMeta)
	}
	_, g := get(t, e.Client, wholeGet("m"))
	if !maps.Equal(g.Info.Meta, wantMeta) {
		t.Errorf("GetObject meta %v, want %v", g.Info.Meta, wantMeta)
	}
	h, err := e.do(t, http.MethodHead, "m", nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v := h.Header.Get("x-oss-meta-mixed-case"); v != "Value With Spaces" {
		t.Errorf("x-oss-meta-mixed-case = %q", v)
	}
	// An overwrite without metadata leaves none.
	put(t, e.Client, "m", []byte("y"))
	if info, err := e.Client.HeadObject(ctxT(t), "m"); err != nil || len(info.Meta) != 0 {
		t.Errorf("after overwrite: meta %v, err %v; want none", info.Meta, err)
	}
}

func TestAppendObject(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a1, a2, a3 := content(2, 1000), content(3, 2345), content(4, 77)
	all := append(append(append([]byte{}, a1...), a2...), a3...)
	r1, err := e.Client.AppendObject(ctxT(t), ossio.AppendRequest{Key: "log", Position: 0, Body: bytes.NewReader(a1), Size: 1000,
		ContentType: "text/x-log", Meta: map[string]string{"k": "v"}})
	if err != nil {
		t.Fatal(err)
	}
	if r1.NextPosition != 1000 || r1.CRC64 != crcOf(a1) {
		t.Errorf("first append: %+v, want next 1000 CRC %d", r1, crcOf(a1))
	}
	h1, _ := e.Client.HeadObject(ctxT(t), "log")
	r2, err := e.Client.AppendObject(ctxT(t), ossio.AppendRequest{Key: "log", Position: 1000, Body: bytes.NewReader(a2), Size: int64(len(a2))})
	if err != nil {
		t.Fatal(err)
	}
	if r2.NextPosition != 3345 || r2.CRC64 != crcOf(all[:3345]) {
		t.Errorf("second append: %+v, want next 3345 CRC %d (whole object)", r2, crcOf(all[:3345]))
	}
	out, err := e.rawClient(t).AppendObject(ctxT(t), &oss.AppendObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("log"), Position: oss.Ptr(int64(3345)), Body: bytes.NewReader(a3)})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Headers.Get("x-oss-next-append-position"); got != strconv.Itoa(len(all)) {
		t.Errorf("append x-oss-next-append-position = %q, want %d", got, len(all))
	}
	if got := out.Headers.Get("x-oss-hash-crc64ecma"); got != strconv.FormatUint(crcOf(all), 10) {
		t.Errorf("append x-oss-hash-crc64ecma = %q, want %d (CRC of the whole object)", got, crcOf(all))
	}
	h, err := e.do(t, http.MethodHead, "log", nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if h.Header.Get("x-oss-object-type") != "Appendable" || h.Header.Get("x-oss-next-append-position") != strconv.Itoa(len(all)) ||
		h.Header.Get("x-oss-hash-crc64ecma") != strconv.FormatUint(crcOf(all), 10) || h.Header.Get("Content-Type") != "text/x-log" ||
		h.Header.Get("x-oss-meta-k") != "v" {
		t.Errorf("HEAD appendable: %v", h.Header)
	}
	info, err := e.Client.HeadObject(ctxT(t), "log")
	if err != nil {
		t.Fatal(err)
	}
	if info.Type != ossio.TypeAppendable || info.NextAppendPosition != int64(len(all)) || info.Size != int64(len(all)) {
		t.Errorf("HeadObject appendable: %+v", info)
	}
	if info.ETag == h1.ETag {
		t.Errorf("appendable ETag %s did not change with an append", info.ETag)
	}
	// The append's answer carries the ETag a HEAD then reports, so a
	// client needs no HEAD after appending.
	if r1.ETag != h1.ETag || out.Headers.Get("ETag") != `"`+info.ETag+`"` {
		t.Errorf("append ETags %q and %q, HEAD after them %q and %q", r1.ETag, out.Headers.Get("ETag"), h1.ETag, info.ETag)
	}
	checkLastModified(t, h.Header.Get("Last-Modified"))
	if body, _ := get(t, e.Client, wholeGet("log")); !bytes.Equal(body, all) {
		t.Errorf("appended object: %d bytes differ from the %d appended", len(body), len(all))
	}
	// An Appendable of length 0 accepts position 0 again.
	if _, err := e.Client.AppendObject(ctxT(t), ossio.AppendRequest{Key: "empty-log", Position: 0, Body: bytes.NewReader(nil), Size: 0}); err != nil {
		t.Fatal(err)
	}
	if r, err := e.Client.AppendObject(ctxT(t), ossio.AppendRequest{Key: "empty-log", Position: 0, Body: bytes.NewReader(a3), Size: int64(len(a3))}); err != nil || r.NextPosition != int64(len(a3)) {
		t.Errorf("append at 0 onto an empty Appendable: %+v, %v", r, err)
	}
	// PutObject turns an Appendable into a Normal object.
	put(t, e.Client, "log", a1)
	if h, _ := e.do(t, http.MethodHead, "log", nil, nil, nil); h.Header.Get("x-oss-object-type") != "Normal" || h.Header.Get("x-oss-next-append-position") != "" {
		t.Errorf("after PutObject over an Appendable: type %q, next position %q", h.Header.Get("x-oss-object-type"), h.Header.Get("x-oss-next-append-position"))
	}
}

func TestCopyObject(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	data := content(5, 10_000)
	srcMeta := map[string]string{"a": "1"}
	if _, err := e.Client.PutObject(ctxT(t), ossio.PutRequest{Key: "src", Body: bytes.NewReader(data), Size: int64(len(data)), Meta: srcMeta, ContentType: "text/x-src"}); err != nil {
		t.Fatal(err)
	}
	check := func(key string, wantMeta map[string]string, wantType string) {
		t.Helper()
		info, err := e.Client.HeadObject(ctxT(t), key)
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(info.Meta, wantMeta) || info.ContentType != wantType || info.Type != ossio.TypeNormal ||
			info.Size != int64(len(data)) || info.CRC64 != crcOf(data) {
			t.Errorf("%s: %+v, want meta %v type %s", key, info, wantMeta, wantType)
		}
		if body, _ := get(t, e.Client, wholeGet(key)); !bytes.Equal(body, data) {
			t.Errorf("%s: copied content differs", key)
		}
	}
	res, err := e.Client.CopyObject(ctxT(t), ossio.CopyRequest{SrcKey: "src", DstKey: "dst-copy", Directive: ossio.MetadataCopy})
	if err != nil {
		t.Fatal(err)
	}
	if res.CRC64 != crcOf(data) || res.ETag == "" || time.Since(res.LastModified) > time.Minute {
		t.Errorf("CopyResult %+v, want CRC %d", res, crcOf(data))
	}
	check("dst-copy", srcMeta, "text/x-src")

	// COPY ignores the request's metadata.
	rc := e.rawClient(t)
	if _, err := rc.CopyObject(ctxT(t), &oss.CopyObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("dst-copy2"), SourceKey: oss.Ptr("src"),
		MetadataDirective: oss.Ptr("COPY"), Metadata: map[string]string{"b": "2"}}); err != nil {
		t.Fatal(err)
	}
	check("dst-copy2", srcMeta, "text/x-src")

	if _, err := e.Client.CopyObject(ctxT(t), ossio.CopyRequest{SrcKey: "src", DstKey: "dst-replace", Directive: ossio.MetadataReplace,
		ContentType: "text/x-new", Meta: map[string]string{"b": "2"}}); err != nil {
		t.Fatal(err)
	}
	check("dst-replace", map[string]string{"b": "2"}, "text/x-new")

	// The raw answer: CRC header and a CopyObjectResult with quoted ETag and ISO time.
	r, err := e.do(t, http.MethodPut, "dst-raw", nil, map[string]string{"x-oss-copy-source": "/" + testBucket + "/src"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Header.Get("x-oss-hash-crc64ecma"); got != strconv.FormatUint(crcOf(data), 10) {
		t.Errorf("copy x-oss-hash-crc64ecma = %q, want %d", got, crcOf(data))
	}
	var cr struct{ ETag, LastModified string }
	if err := xml.Unmarshal(r.Body, &cr); err != nil || !quotedETagRE.MatchString(cr.ETag) || !isoTimeRE.MatchString(cr.LastModified) {
		t.Errorf("CopyObjectResult %s (%v): want quoted uppercase ETag and ISO LastModified", r.Body, err)
	}

	// A copy onto itself replaces the metadata, whatever the directive.
	if _, err := e.Client.CopyObject(ctxT(t), ossio.CopyRequest{SrcKey: "src", DstKey: "src", Directive: ossio.MetadataReplace,
		ContentType: "text/x-self", Meta: map[string]string{"c": "3"}}); err != nil {
		t.Fatal(err)
	}
	check("src", map[string]string{"c": "3"}, "text/x-self")
	if _, err := rc.CopyObject(ctxT(t), &oss.CopyObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr("src"), SourceKey: oss.Ptr("src"),
		MetadataDirective: oss.Ptr("COPY"), Metadata: map[string]string{"d": "4"},
		RequestCommon: oss.RequestCommon{Headers: map[string]string{"Content-Type": "text/x-self2"}}}); err != nil {
		t.Fatal(err)
	}
	check("src", map[string]string{"d": "4"}, "text/x-self2")

	// Missing source: 404 NoSuchKey; Appendable source: refused.
	_, err = e.Client.CopyObject(ctxT(t), ossio.CopyRequest{SrcKey: "missing", DstKey: "dst-x"})
	wantErr(t, err, ossio.ErrNotFound, 404, "NoSuchKey")
	if _, err := e.Client.AppendObject(ctxT(t), ossio.AppendRequest{Key: "app", Body: bytes.NewReader(data), Size: int64(len(data))}); err != nil {
		t.Fatal(err)
	}
	_, err = e.Client.CopyObject(ctxT(t), ossio.CopyRequest{SrcKey: "app", DstKey: "dst-app"})
	var oe *ossio.Error
	if !errors.As(err, &oe) || oe.Status < 400 || oe.Status > 499 {
		t.Errorf("copy of an Appendable source: %v, want a 4xx refusal", err)
	}
	if _, err := e.Client.HeadObject(ctxT(t), "dst-app"); err == nil {
		t.Error("refused copy of an Appendable created the destination")
	}
}

func TestCopyConditions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res := put(t, e.Client, "src", []byte("conditional copy source"))
	info, err := e.Client.HeadObject(ctxT(t), "src")
	if err != nil {
		t.Fatal(err)
	}
	lm := info.LastModified
	other := "0123456789ABCDEF0123456789ABCDEF"
	cases := []struct {
		name string
		req  ossio.CopyRequest
		kind error // nil = success
	}{
		{"if-match", ossio.CopyRequest{IfMatch: res.ETag}, nil},
		{"if-match other", ossio.CopyRequest{IfMatch: other}, ossio.ErrPreconditionFailed},
		{"if-none-match", ossio.CopyRequest{IfNoneMatch: res.ETag}, ossio.ErrNotModified},
		{"if-none-match other", ossio.CopyRequest{IfNoneMatch: other}, nil},
		{"if-modified-since earlier", ossio.CopyRequest{IfModifiedSince: lm.Add(-time.Hour)}, nil},
		{"if-modified-since equal", ossio.CopyRequest{IfModifiedSince: lm}, ossio.ErrNotModified},
		{"if-modified-since later", ossio.CopyRequest{IfModifiedSince: lm.Add(time.Hour)}, ossio.ErrNotModified},
		{"if-unmodified-since earlier", ossio.CopyRequest{IfUnmodifiedSince: lm.Add(-time.Hour)}, ossio.ErrPreconditionFailed},
		{"if-unmodified-since equal", ossio.CopyRequest{IfUnmodifiedSince: lm}, nil},
		{"if-unmodified-since later", ossio.CopyRequest{IfUnmodifiedSince: lm.Add(time.Hour)}, nil},
	}
	for i, c := range cases {
		c.req.SrcKey, c.req.DstKey = "src", fmt.Sprintf("dst%d", i)
		_, err := e.Client.CopyObject(ctxT(t), c.req)
		switch c.kind {
		case nil:
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
		case ossio.ErrNotModified:
			wantErr(t, err, ossio.ErrNotModified, 304, "")
		default:
			wantErr(t, err, ossio.ErrPreconditionFailed, 412, "PreconditionFailed")
		}
		_, herr := e.Client.HeadObject(ctxT(t), c.req.DstKey)
		if (herr == nil) != (c.kind == nil) {
			t.Errorf("%s: destination exists = %v after copy error %v", c.name, herr == nil, err)
		}
	}
}
