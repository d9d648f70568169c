package ossio

import (
	"context"
	"errors"
	"fmt"
	"hash/crc64"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

const testBody = "0123456789abcdefghijklmnopqrstuvwxyz"

func crcOfString(s string) string {
	return fmt.Sprint(crc64.Checksum([]byte(s), crc64.MakeTable(crc64.ECMA)))
}

func TestGetObjectRangeHeaders(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Range"); got != "bytes=10-19" {
			t.Errorf("Range = %q, want bytes=10-19", got)
		}
		if got := r.Header.Get("x-oss-range-behavior"); got != "standard" {
			t.Errorf("x-oss-range-behavior = %q, want standard", got)
		}
		if got := r.Header.Get("Accept-Encoding"); strings.Contains(got, "gzip") {
			t.Errorf("Accept-Encoding = %q, must not offer gzip", got)
		}
		w.Header().Set("Content-Range", fmt.Sprintf("bytes 10-19/%d", len(testBody)))
		w.Header().Set("ETag", `"ABC"`)
		w.Header().Set("x-oss-hash-crc64ecma", "12345") // whole object's, not the range's
		w.WriteHeader(http.StatusPartialContent)
		io.WriteString(w, testBody[10:20])
	})
	res, err := c.GetObject(context.Background(), GetRequest{Key: "k", Offset: 10, Length: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil || string(data) != testBody[10:20] {
		t.Fatalf("body %q, %v", data, err)
	}
	if res.Info.Size != int64(len(testBody)) || res.RangeStart != 10 || res.ContentLength != 10 || res.Info.ETag != "ABC" {
		t.Errorf("Size=%d RangeStart=%d ContentLength=%d ETag=%q", res.Info.Size, res.RangeStart, res.ContentLength, res.Info.ETag)
	}
}

func TestGetObjectOpenRangeAndStartCheck(t *testing.T) {
	start := 30 // what the server claims to send
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Range"); got != "bytes=30-" {
			t.Errorf("Range = %q, want bytes=30-", got)
		}
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, len(testBody)-1, len(testBody)))
		w.WriteHeader(http.StatusPartialContent)
		io.WriteString(w, testBody[start:])
	})
	res, err := c.GetObject(context.Background(), GetRequest{Key: "k", Offset: 30, Length: -1})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.RangeStart != 30 || res.ContentLength != int64(len(testBody)-30) {
		t.Errorf("RangeStart=%d ContentLength=%d", res.RangeStart, res.ContentLength)
	}

	start = 0
	_, err = c.GetObject(context.Background(), GetRequest{Key: "k", Offset: 30, Length: -1})
	if !errors.Is(err, ErrUnknown) {
		t.Fatalf("misplaced range: err = %v, want ErrUnknown", err)
	}
}

func TestGetObjectWholeChecksCRC(t *testing.T) {
	crc := crcOfString(testBody)
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Range") != "" {
			t.Errorf("whole read sent Range %q", r.Header.Get("Range"))
		}
		// Go's transport offers gzip on exactly this kind of request.
		if got := r.Header.Get("Accept-Encoding"); strings.Contains(got, "gzip") {
			t.Errorf("Accept-Encoding = %q, must not offer gzip", got)
		}
		w.Header().Set("x-oss-hash-crc64ecma", crc)
		w.Header().Set("x-oss-object-type", "Appendable")
		w.Header().Set("x-oss-next-append-position", fmt.Sprint(len(testBody)))
		io.WriteString(w, testBody)
	})
	res, err := c.GetObject(context.Background(), GetRequest{Key: "k", Length: -1})
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || string(data) != testBody || res.Info.Size != int64(len(testBody)) || res.Info.Type != TypeAppendable {
		t.Fatalf("body %q err %v info %+v", data, err, res.Info)
	}

	crc = "1"
	res, err = c.GetObject(context.Background(), GetRequest{Key: "k", Length: -1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(res.Body)
	res.Body.Close()
	if !errors.Is(err, ErrInvalidDigest) {
		t.Fatalf("corrupt body: err = %v, want ErrInvalidDigest", err)
	}
}

func TestGetObjectRangeIgnoredByServer(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, testBody) // 200, whole object
	})
	res, err := c.GetObject(context.Background(), GetRequest{Key: "k", Length: 5})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if string(data) != testBody[:5] || res.ContentLength != 5 {
		t.Fatalf("got %q, ContentLength %d; want the first 5 bytes", data, res.ContentLength)
	}
	if _, err := c.GetObject(context.Background(), GetRequest{Key: "k", Offset: 3, Length: 5}); !errors.Is(err, ErrUnknown) {
		t.Fatalf("offset 3 answered from 0: err = %v, want ErrUnknown", err)
	}
	if _, err := c.GetObject(context.Background(), GetRequest{Key: "k"}); !errors.Is(err, ErrInvalidRequest) {
		t.Fatalf("Length 0: err = %v, want ErrInvalidRequest", err)
	}
}

func TestHeadObjectInfo(t *testing.T) {
	mtime := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Length", "1234")
		h.Set("Content-Type", "text/plain")
		h.Set("ETag", `"5B3C1A2E053D763E1B002CC607C5A0FE"`)
		h.Set("Last-Modified", mtime.Format(http.TimeFormat))
		h.Set("x-oss-object-type", "Normal")
		h.Set("x-oss-hash-crc64ecma", "11051210869376104954")
		h.Set("X-Oss-Meta-Mode", "33188")
		h.Set("x-oss-meta-mtime", "1700000000.5")
	})
	info, err := c.HeadObject(context.Background(), "dir/f")
	if err != nil {
		t.Fatal(err)
	}
	want := ObjectInfo{
		Key: "dir/f", Size: 1234, ETag: "5B3C1A2E053D763E1B002CC607C5A0FE", LastModified: mtime,
		ContentType: "text/plain", Type: TypeNormal, CRC64: 11051210869376104954, HasCRC64: true,
		Meta: map[string]string{"mode": "33188", "mtime": "1700000000.5"},
	}
	if fmt.Sprint(info) != fmt.Sprint(want) {
		t.Errorf("info\n got %+v\nwant %+v", info, want)
	}
}

func TestListObjectsDecodesAndPages(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("list-type") != "2" || q.Get("max-keys") != "1000" || q.Get("prefix") != "a b/" ||
			q.Get("delimiter") != "/" || q.Get("continuation-token") != "tok" {
			t.Errorf("query %v", q)
		}
		w.Header().Set("Content-Type", "application/xml")
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult><Name>bkt</Name><Prefix>a%20b%2F</Prefix><MaxKeys>1000</MaxKeys>
<Delimiter>%2F</Delimiter><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>
<NextContinuationToken>next%2Btok</NextContinuationToken><KeyCount>2</KeyCount>
<Contents><Key>a%20b%2Ff%2B1%0A</Key><LastModified>2024-01-02T03:04:05.000Z</LastModified>
<ETag>"E1"</ETag><Type>Appendable</Type><Size>7</Size><StorageClass>Standard</StorageClass></Contents>
<CommonPrefixes><Prefix>a%20b%2Fsub%2F</Prefix></CommonPrefixes></ListBucketResult>`)
	})
	page, err := c.ListObjects(context.Background(), ListRequest{Prefix: "a b/", Delimiter: "/", ContinuationToken: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Objects) != 1 || len(page.CommonPrefixes) != 1 {
		t.Fatalf("page %+v", page)
	}
	o := page.Objects[0]
	if o.Key != "a b/f+1\n" || o.Size != 7 || o.ETag != "E1" || o.Type != TypeAppendable ||
		!o.LastModified.Equal(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)) {
		t.Errorf("entry %+v", o)
	}
	if page.CommonPrefixes[0] != "a b/sub/" || !page.IsTruncated || page.NextContinuationToken != "next+tok" {
		t.Errorf("page %+v", page)
	}
}

func TestPutObjectStreamsWithContentLength(t *testing.T) {
	type seen struct {
		length int64
		chunks []string
		body   string
		hdr    http.Header
	}
	var got seen
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = seen{r.ContentLength, r.TransferEncoding, string(b), r.Header.Clone()}
		w.Header().Set("ETag", `"E"`)
		w.Header().Set("x-oss-hash-crc64ecma", crcOfString(string(b)))
	})
	// io.MultiReader hides Len and Seek, so only Size tells the length.
	body := io.MultiReader(strings.NewReader(testBody[:10]), strings.NewReader(testBody[10:]))
	res, err := c.PutObject(context.Background(), PutRequest{
		Key: "k", Body: body, Size: int64(len(testBody)), ContentType: "text/x-test",
		ContentMD5: "md5==", ForbidOverwrite: true, Meta: map[string]string{"mode": "33188"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.length != int64(len(testBody)) || len(got.chunks) != 0 || got.body != testBody {
		t.Errorf("length %d, transfer-encoding %v, body %q", got.length, got.chunks, got.body)
	}
	h := got.hdr
	if h.Get("Content-Type") != "text/x-test" || h.Get("Content-MD5") != "md5==" ||
		h.Get("x-oss-forbid-overwrite") != "true" || h.Get("x-oss-meta-mode") != "33188" {
		t.Errorf("headers %v", h)
	}
	if res.ETag != "E" || fmt.Sprint(res.CRC64) != crcOfString(testBody) {
		t.Errorf("result %+v", res)
	}

	_, err = c.PutObject(context.Background(), PutRequest{Key: "k", Body: io.MultiReader(strings.NewReader("xy")), Size: -1})
	if err != nil || len(got.chunks) != 1 || got.chunks[0] != "chunked" || got.body != "xy" {
		t.Errorf("unknown size: err %v, transfer-encoding %v, body %q", err, got.chunks, got.body)
	}
}

func TestAppendRetriesOnlyWhenNotApplied(t *testing.T) {
	var hits counter
	mode := "503-then-ok"
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		n := hits.inc()
		io.Copy(io.Discard, r.Body)
		switch {
		case mode == "503-then-ok" && n == 1:
			writeOSSError(w, r, 503, "ServiceUnavailable", "busy", nil)
		case mode == "503-then-ok":
			w.Header().Set("x-oss-next-append-position", "6")
		default: // the append may have landed, but the answer is lost
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		}
	}, withAttempts(2))
	req := AppendRequest{Key: "k", Position: 3, Body: strings.NewReader("abc"), Size: 3}
	res, err := c.AppendObject(context.Background(), req)
	if err != nil || res.NextPosition != 6 || hits.get() != 2 {
		t.Fatalf("after 503: %+v, %v, %d requests; want success on the 2nd", res, err, hits.get())
	}

	mode, hits = "drop", counter{}
	req.Body = strings.NewReader("abc")
	_, err = c.AppendObject(context.Background(), req)
	if !errors.Is(err, ErrUnavailable) || hits.get() != 1 {
		t.Fatalf("dropped connection: %v after %d requests; want ErrUnavailable after 1", err, hits.get())
	}
	// An idempotent upload is replayed by the SDK.
	hits = counter{}
	_, err = c.PutObject(context.Background(), PutRequest{Key: "k", Body: strings.NewReader("abc"), Size: 3})
	if !errors.Is(err, ErrUnavailable) || hits.get() != 2 {
		t.Fatalf("put: %v after %d requests; want ErrUnavailable after 2", err, hits.get())
	}
}

func TestAppendSendsMetadataOnlyOnCreate(t *testing.T) {
	var hdr http.Header
	var query string
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		hdr, query = r.Header.Clone(), r.URL.RawQuery
		w.Header().Set("x-oss-next-append-position", "3")
	})
	req := AppendRequest{Key: "k", Body: strings.NewReader("abc"), Size: 3, ContentType: "text/x-log", Meta: map[string]string{"mode": "1"}}
	if _, err := c.AppendObject(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if hdr.Get("Content-Type") != "text/x-log" || hdr.Get("x-oss-meta-mode") != "1" || !strings.Contains(query, "position=0") {
		t.Errorf("create: headers %v query %q", hdr, query)
	}
	req.Position, req.Body = 3, strings.NewReader("def")
	if _, err := c.AppendObject(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if hdr.Get("x-oss-meta-mode") != "" || !strings.Contains(query, "position=3") {
		t.Errorf("later append: headers %v query %q", hdr, query)
	}
}

func TestRequestValidation(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected request %s %s", r.Method, r.URL)
	})
	ctx := context.Background()
	checks := []struct {
		name string
		err  error
		want error
	}{
		{"empty key", func() error {
			_, err := c.HeadObject(ctx, "")
			return err
		}(), ErrInvalidName},
		{"long key", func() error {
			_, err := c.HeadObject(ctx, strings.Repeat("x", MaxKeyLength+1))
			return err
		}(), ErrInvalidName},
		{"put too large", func() error {
			_, err := c.PutObject(ctx, PutRequest{Key: "k", Body: strings.NewReader(""), Size: MaxPutSize + 1})
			return err
		}(), ErrTooLarge},
		{"part number 0", func() error {
			_, err := c.UploadPart(ctx, UploadPartRequest{Key: "k", UploadID: "U", Number: 0})
			return err
		}(), ErrInvalidRequest},
		{"bad directive", func() error {
			_, err := c.CopyObject(ctx, CopyRequest{SrcKey: "a", DstKey: "b", Directive: "MOVE"})
			return err
		}(), ErrInvalidRequest},
	}
	for _, ck := range checks {
		if !errors.Is(ck.err, ck.want) {
			t.Errorf("%s: err = %v, want %v", ck.name, ck.err, ck.want)
		}
	}
}
