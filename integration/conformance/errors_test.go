package conformance

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"

	"github.com/ossfuse/ossfuse/ossio"
)

// Documented failures with their status and code (OSS-API.md §7), asserted
// through ossio (errors.As *ossio.Error and the errors.Is sentinel).

// errorDoc is the <Error> document of OSS-API.md §7.1.
type errorDoc struct {
	Code, Message, RequestId, HostId, EC, Key, BucketName string //nolint:revive // OSS element names
}

func TestErrorDocument(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, err := e.do(t, http.MethodGet, "no/such key", nil, nil, nil)
	se := wantServiceErr(t, err, 404, "NoSuchKey")
	var doc errorDoc
	if err := xml.Unmarshal(se.Snapshot, &doc); err != nil {
		t.Fatalf("error body %q: %v", se.Snapshot, err)
	}
	reqID := se.Headers.Get("x-oss-request-id")
	if doc.Code != "NoSuchKey" || doc.Message != "The specified key does not exist." || doc.RequestId != reqID || len(reqID) != 24 ||
		doc.HostId == "" || doc.Key != "no/such key" || doc.EC != "0026-00000001" {
		t.Errorf("GET error document %+v (request id header %q)", doc, reqID)
	}
	if se.Headers.Get("x-oss-ec") != "0026-00000001" || !strings.HasPrefix(se.Headers.Get("Content-Type"), "application/xml") {
		t.Errorf("GET error headers: x-oss-ec %q, Content-Type %q", se.Headers.Get("x-oss-ec"), se.Headers.Get("Content-Type"))
	}
	// HEAD has no body: the document travels Base64-encoded in x-oss-err.
	_, err = e.do(t, http.MethodHead, "no/such key", nil, nil, nil)
	se = wantServiceErr(t, err, 404, "NoSuchKey")
	raw, derr := base64.StdEncoding.DecodeString(se.Headers.Get("x-oss-err"))
	doc = errorDoc{}
	if derr != nil || xml.Unmarshal(raw, &doc) != nil || doc.Code != "NoSuchKey" || doc.EC != "0026-00000001" || se.Headers.Get("x-oss-ec") != doc.EC {
		t.Errorf("HEAD x-oss-err %q decodes to %+v (%v)", se.Headers.Get("x-oss-err"), doc, derr)
	}
	// ossio keeps the request ID and EC.
	_, err = e.Client.GetObject(ctxT(t), wholeGet("no/such key"))
	oe := wantErr(t, err, ossio.ErrNotFound, 404, "NoSuchKey")
	if len(oe.RequestID) != 24 || oe.EC != "0026-00000001" || oe.Op != "GetObject" || oe.Key != "no/such key" {
		t.Errorf("ossio error %+v", oe)
	}
}

func TestErrNoSuchKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, err := e.Client.HeadObject(ctxT(t), "missing")
	wantErr(t, err, ossio.ErrNotFound, 404, "NoSuchKey")
	_, err = e.Client.GetObject(ctxT(t), wholeGet("missing"))
	wantErr(t, err, ossio.ErrNotFound, 404, "NoSuchKey")
	_, err = e.Client.GetObject(ctxT(t), ossio.GetRequest{Key: "missing", Offset: 10, Length: 10})
	wantErr(t, err, ossio.ErrNotFound, 404, "NoSuchKey")
	_, err = e.Client.CopyObject(ctxT(t), ossio.CopyRequest{SrcKey: "missing", DstKey: "dst"})
	wantErr(t, err, ossio.ErrNotFound, 404, "NoSuchKey")
}

func TestErrNoSuchBucket(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	put(t, e.Client, "k", []byte("k"))
	c := e.newClient(t, func(cfg *ossio.Config) { cfg.Bucket = "no-such-bucket" })
	ctx := ctxT(t)
	_, err := c.HeadObject(ctx, "k")
	wantErr(t, err, ossio.ErrNoSuchBucket, 404, "NoSuchBucket")
	_, err = c.GetObject(ctx, wholeGet("k"))
	wantErr(t, err, ossio.ErrNoSuchBucket, 404, "NoSuchBucket")
	_, err = c.PutObject(ctx, ossio.PutRequest{Key: "k", Body: strings.NewReader("x"), Size: 1})
	wantErr(t, err, ossio.ErrNoSuchBucket, 404, "NoSuchBucket")
	_, err = c.ListObjects(ctx, ossio.ListRequest{})
	wantErr(t, err, ossio.ErrNoSuchBucket, 404, "NoSuchBucket")
	err = c.DeleteObject(ctx, "k")
	wantErr(t, err, ossio.ErrNoSuchBucket, 404, "NoSuchBucket")
	err = c.DeleteObjects(ctx, []string{"k"})
	wantErr(t, err, ossio.ErrNoSuchBucket, 404, "NoSuchBucket")
	_, err = c.InitiateMultipart(ctx, ossio.InitiateMultipartRequest{Key: "k"})
	wantErr(t, err, ossio.ErrNoSuchBucket, 404, "NoSuchBucket")
	_, err = e.rawClient(t).GetObject(ctx, &oss.GetObjectRequest{Bucket: oss.Ptr("no-such-bucket"), Key: oss.Ptr("k")})
	se := wantServiceErr(t, err, 404, "NoSuchBucket")
	var doc errorDoc
	if xml.Unmarshal(se.Snapshot, &doc) != nil || doc.BucketName != "no-such-bucket" || doc.EC != "0015-00000101" {
		t.Errorf("NoSuchBucket document %s", se.Snapshot)
	}
}

func TestErrAppendConflicts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	app := func(key string, pos int64, data []byte) error {
		_, err := e.Client.AppendObject(ctxT(t), ossio.AppendRequest{Key: key, Position: pos, Body: bytes.NewReader(data), Size: int64(len(data))})
		return err
	}
	if err := app("log", 0, content(9, 100)); err != nil {
		t.Fatal(err)
	}
	for _, pos := range []int64{0, 50, 101, 1 << 20} {
		err := app("log", pos, []byte("xyz"))
		oe := wantErr(t, err, ossio.ErrPositionMismatch, 409, "PositionNotEqualToLength")
		if next, ok := ossio.NextAppendPosition(err); !ok || next != 100 || oe.NextPosition != 100 {
			t.Errorf("append at %d: next position %d (%v), want 100", pos, next, ok)
		}
		if oe.EC != "0026-00000016" {
			t.Errorf("append at %d: EC %q, want 0026-00000016", pos, oe.EC)
		}
	}
	_, err := e.do(t, http.MethodPost, "log", map[string]string{"append": "", "position": "7"}, nil, []byte("z"))
	se := wantServiceErr(t, err, 409, "PositionNotEqualToLength")
	if v := se.Headers.Get("x-oss-next-append-position"); v != "100" {
		t.Errorf("409 x-oss-next-append-position = %q, want 100", v)
	}
	if info, _ := e.Client.HeadObject(ctxT(t), "log"); info.Size != 100 {
		t.Errorf("refused appends changed the object: size %d", info.Size)
	}

	// Normal, Multipart and Symlink objects are not appendable, at any position.
	put(t, e.Client, "normal", []byte("0123456789"))
	if err := e.Client.PutSymlink(ctxT(t), ossio.PutSymlinkRequest{Key: "link", Target: "log"}); err != nil {
		t.Fatal(err)
	}
	id, err := e.Client.InitiateMultipart(ctxT(t), ossio.InitiateMultipartRequest{Key: "mp"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.Client.UploadPart(ctxT(t), ossio.UploadPartRequest{Key: "mp", UploadID: id, Number: 1, Body: strings.NewReader("mp"), Size: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Client.CompleteMultipart(ctxT(t), ossio.CompleteMultipartRequest{Key: "mp", UploadID: id, Parts: []ossio.Part{p}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		key string
		pos int64
	}{{"normal", 0}, {"normal", 10}, {"mp", 2}, {"link", 0}} {
		oe := wantErr(t, app(c.key, c.pos, []byte("x")), ossio.ErrNotAppendable, 409, "ObjectNotAppendable")
		if oe != nil && oe.EC != "0026-00000017" {
			t.Errorf("append to %s: EC %q, want 0026-00000017", c.key, oe.EC)
		}
	}
}

func TestErrForbidOverwrite(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	putF := func(key string, data []byte) error {
		_, err := e.Client.PutObject(ctxT(t), ossio.PutRequest{Key: key, Body: bytes.NewReader(data), Size: int64(len(data)), ForbidOverwrite: true})
		return err
	}
	if err := putF("k", []byte("first")); err != nil {
		t.Fatalf("forbid-overwrite PUT of a new key: %v", err)
	}
	oe := wantErr(t, putF("k", []byte("second")), ossio.ErrAlreadyExists, 409, "FileAlreadyExists")
	if oe != nil && oe.EC != "0026-00000002" {
		t.Errorf("EC %q, want 0026-00000002", oe.EC)
	}
	put(t, e.Client, "src", []byte("source"))
	_, err := e.Client.CopyObject(ctxT(t), ossio.CopyRequest{SrcKey: "src", DstKey: "k", ForbidOverwrite: true})
	wantErr(t, err, ossio.ErrAlreadyExists, 409, "FileAlreadyExists")
	if body, _ := get(t, e.Client, wholeGet("k")); string(body) != "first" {
		t.Errorf("refused overwrites changed the object to %q", body)
	}
	if _, err := e.Client.CopyObject(ctxT(t), ossio.CopyRequest{SrcKey: "src", DstKey: "new", ForbidOverwrite: true}); err != nil {
		t.Errorf("forbid-overwrite copy to a new key: %v", err)
	}
}

func TestErrInvalidDigest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	data := []byte("the body that is sent")
	putMD5 := func(key, sum string) error {
		_, err := e.Client.PutObject(ctxT(t), ossio.PutRequest{Key: key, Body: bytes.NewReader(data), Size: int64(len(data)), ContentMD5: sum})
		return err
	}
	oe := wantErr(t, putMD5("wrong", md5B64([]byte("another body"))), ossio.ErrInvalidDigest, 400, "InvalidDigest")
	if oe != nil && oe.EC != "0017-00000503" {
		t.Errorf("mismatched Content-MD5: EC %q, want 0017-00000503", oe.EC)
	}
	oe = wantErr(t, putMD5("malformed", "bm90IGFuIG1kNQ=="), ossio.ErrInvalidDigest, 400, "InvalidDigest")
	if oe != nil && oe.EC != "0017-00000502" {
		t.Errorf("malformed Content-MD5: EC %q, want 0017-00000502", oe.EC)
	}
	for _, k := range []string{"wrong", "malformed"} {
		_, err := e.Client.HeadObject(ctxT(t), k)
		wantErr(t, err, ossio.ErrNotFound, 404, "NoSuchKey")
	}
	if err := putMD5("right", md5B64(data)); err != nil {
		t.Errorf("PUT with the right Content-MD5: %v", err)
	}
}

func TestErrObjectName(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	key1023 := "long/" + strings.Repeat("k", 1018)
	put(t, e.Client, key1023, []byte("max"))
	if body, _ := get(t, e.Client, wholeGet(key1023)); string(body) != "max" {
		t.Errorf("1023-byte key: read %q", body)
	}
	page, err := e.Client.ListObjects(ctxT(t), ossio.ListRequest{Prefix: "long/"})
	if err != nil || len(page.Objects) != 1 || page.Objects[0].Key != key1023 {
		t.Errorf("listing a 1023-byte key: %v %v", page.Objects, err)
	}
	if err := e.Client.DeleteObject(ctxT(t), key1023); err != nil {
		t.Error(err)
	}
	key1024 := key1023 + "k"
	_, err = e.Client.PutObject(ctxT(t), ossio.PutRequest{Key: key1024, Body: strings.NewReader("x"), Size: 1})
	if !errors.Is(err, ossio.ErrInvalidName) {
		t.Errorf("ossio PUT of a 1024-byte key: %v, want ErrInvalidName", err)
	}
	// The server's own check, bypassing ossio's.
	_, err = e.rawClient(t).PutObject(ctxT(t), &oss.PutObjectRequest{Bucket: oss.Ptr(testBucket), Key: oss.Ptr(key1024), Body: strings.NewReader("x")})
	if se := wantServiceErr(t, err, 400, "InvalidObjectName"); se != nil && se.EC != "0016-00000002" {
		t.Errorf("1024-byte key: EC %q, want 0016-00000002", se.EC)
	}
	for _, c := range []struct{ key, ec string }{{"/lead", "0016-00000005"}, {`\lead`, "0016-00000005"}, {"bad\xff\xfeutf8", "0016-00000002"}} {
		_, err := e.Client.PutObject(ctxT(t), ossio.PutRequest{Key: c.key, Body: strings.NewReader("x"), Size: 1})
		if oe := wantErr(t, err, ossio.ErrInvalidName, 400, "InvalidObjectName"); oe != nil && oe.EC != c.ec {
			t.Errorf("key %q: EC %q, want %s", c.key, oe.EC, c.ec)
		}
	}
}

func TestGetConditional(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res := put(t, e.Client, "k", []byte("conditional"))
	other := "0123456789ABCDEF0123456789ABCDEF"
	if body, _ := get(t, e.Client, ossio.GetRequest{Key: "k", Length: -1, IfMatch: res.ETag}); string(body) != "conditional" {
		t.Errorf("If-Match with the ETag: %q", body)
	}
	_, err := e.Client.GetObject(ctxT(t), ossio.GetRequest{Key: "k", Length: -1, IfMatch: other})
	if oe := wantErr(t, err, ossio.ErrPreconditionFailed, 412, "PreconditionFailed"); oe != nil && oe.EC != "0017-00001001" {
		t.Errorf("412 EC %q, want 0017-00001001", oe.EC)
	}
	_, err = e.Client.GetObject(ctxT(t), ossio.GetRequest{Key: "k", Offset: 2, Length: 3, IfMatch: other})
	wantErr(t, err, ossio.ErrPreconditionFailed, 412, "PreconditionFailed")
	_, err = e.Client.GetObject(ctxT(t), ossio.GetRequest{Key: "k", Length: -1, IfNoneMatch: res.ETag})
	wantErr(t, err, ossio.ErrNotModified, 304, "")
	if body, _ := get(t, e.Client, ossio.GetRequest{Key: "k", Length: -1, IfNoneMatch: other}); string(body) != "conditional" {
		t.Errorf("If-None-Match with another ETag: %q", body)
	}

	info, _ := e.Client.HeadObject(ctxT(t), "k")
	past, future := info.LastModified.Add(-time.Hour).Format(http.TimeFormat), info.LastModified.Add(time.Hour).Format(http.TimeFormat)
	_, err = e.do(t, http.MethodHead, "k", nil, map[string]string{"If-Unmodified-Since": past}, nil)
	wantServiceErr(t, err, 412, "PreconditionFailed")
	_, err = e.do(t, http.MethodHead, "k", nil, map[string]string{"If-Modified-Since": future}, nil)
	var se *oss.ServiceError
	if !errors.As(err, &se) || se.StatusCode != 304 || se.Headers.Get("x-oss-err") != "" {
		t.Errorf("HEAD If-Modified-Since later than Last-Modified: %v, want 304 without x-oss-err", err)
	}
	_, err = e.do(t, http.MethodGet, "k", nil, map[string]string{"If-None-Match": `"` + res.ETag + `"`}, nil)
	if !errors.As(err, &se) || se.StatusCode != 304 || len(se.Snapshot) != 0 {
		t.Errorf("GET If-None-Match: %v, want 304 without a body", err)
	}
	for h, v := range map[string]string{"If-Modified-Since": "not a date", "If-Unmodified-Since": future} {
		if r, err := e.do(t, http.MethodGet, "k", nil, map[string]string{h: v}, nil); err != nil || r.Status != 200 {
			t.Errorf("GET %s: %q: %v, want 200", h, v, err)
		}
	}
}

// TestErrBadRequests sends header and parameter values OSS rejects with 400.
// Where the fact sheet gives no code, only the status (and EC) is checked.
func TestErrBadRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	put(t, e.Client, "k", []byte("k"))
	status400 := func(what string, err error, ec string) {
		t.Helper()
		var se *oss.ServiceError
		if !errors.As(err, &se) || se.StatusCode != 400 || (ec != "" && se.EC != ec) {
			t.Errorf("%s: %v, want 400 with EC %q", what, err, ec)
		}
	}
	_, err := e.do(t, http.MethodPut, "f", nil, map[string]string{"x-oss-forbid-overwrite": "maybe"}, []byte("x"))
	status400("x-oss-forbid-overwrite: maybe", err, "0017-00000279")
	_, err = e.do(t, http.MethodPut, "d", nil, map[string]string{"x-oss-copy-source": "/" + testBucket + "/k", "x-oss-metadata-directive": "MERGE"}, nil)
	status400("x-oss-metadata-directive: MERGE", err, "")
	_, err = e.do(t, http.MethodPut, "m", nil, map[string]string{"x-oss-meta-bad_name": "v"}, []byte("x"))
	status400("metadata name with '_'", err, "0011-00000004")
	_, err = e.do(t, http.MethodPut, "m", nil, map[string]string{"x-oss-meta-big": strings.Repeat("v", 8<<10)}, []byte("x"))
	status400("9 KB of metadata", err, "0011-00000002")
	_, err = e.do(t, http.MethodPut, "s", map[string]string{"symlink": ""}, nil, nil)
	status400("PutSymlink without x-oss-symlink-target", err, "0043-00000001")
	_, err = e.do(t, http.MethodPost, "a", map[string]string{"append": ""}, nil, []byte("x"))
	status400("AppendObject without position", err, "0016-00000501")
	for _, k := range []string{"f", "d", "m", "s", "a"} {
		if _, err := e.Client.HeadObject(ctxT(t), k); !errors.Is(err, ossio.ErrNotFound) {
			t.Errorf("rejected request created %q (%v)", k, err)
		}
	}
}
