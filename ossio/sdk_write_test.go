package ossio

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// deleteRequest is the body of DeleteMultipleObjects.
type deleteRequest struct {
	Quiet   bool `xml:"Quiet"`
	Objects []struct {
		Key string `xml:"Key"`
	} `xml:"Object"`
}

func TestDeleteObjectsBatches(t *testing.T) {
	var sizes []int
	var keys []string
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !r.URL.Query().Has("delete") {
			t.Errorf("unexpected %s %s", r.Method, r.URL)
		}
		var req deleteRequest
		if err := xml.NewDecoder(r.Body).Decode(&req); err != nil {
			t.Errorf("decode: %v", err)
		}
		if !req.Quiet {
			t.Error("batch not in quiet mode")
		}
		sizes = append(sizes, len(req.Objects))
		for _, o := range req.Objects {
			keys = append(keys, o.Key)
		}
		w.Header().Set("x-oss-request-id", testRequestID) // quiet success: no body
	})
	want := make([]string, 2500)
	for i := range want {
		want[i] = fmt.Sprintf("dir/f%04d", i)
	}
	if err := c.DeleteObjects(context.Background(), want); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(sizes) != "[1000 1000 500]" {
		t.Errorf("batch sizes %v, want [1000 1000 500]", sizes)
	}
	if strings.Join(keys, ",") != strings.Join(want, ",") {
		t.Error("keys sent differ from keys given")
	}
	sizes = nil
	if err := c.DeleteObjects(context.Background(), nil); err != nil || sizes != nil {
		t.Errorf("no keys: err %v, %d requests", err, len(sizes))
	}
}

func TestDeleteObjectsReportsFailures(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/xml")
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>
<DeleteResult><EncodingType>url</EncodingType>
<Error><Key>gone</Key><Code>NoSuchKey</Code><Message>missing</Message></Error>
<Error><Key>locked%2Fa</Key><Code>AccessDenied</Code><Message>denied</Message></Error>
</DeleteResult>`)
	})
	err := c.DeleteObjects(context.Background(), []string{"gone", "locked/a", "ok"})
	var e *Error
	if !errors.Is(err, ErrAccessDenied) || !errors.As(err, &e) || e.Key != "locked/a" || e.Op != "DeleteObjects" {
		t.Fatalf("err = %v, want AccessDenied for locked/a", err)
	}
	if !strings.Contains(e.Message, "1 of 3") {
		t.Errorf("message %q", e.Message)
	}
}

func TestDeleteObjectMissingKeySucceeds(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		writeOSSError(w, r, 404, "NoSuchKey", "missing", nil)
	})
	if err := c.DeleteObject(context.Background(), "k"); err != nil {
		t.Fatalf("err = %v, want nil", err)
	}
}

func TestCopyObjectHeaders(t *testing.T) {
	since := time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("CST", 8*3600))
	var hdr http.Header
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		hdr = r.Header.Clone()
		if objectKey(r) != "dst" {
			t.Errorf("copy to %q", objectKey(r))
		}
		w.Header().Set("x-oss-hash-crc64ecma", "77")
		io.WriteString(w, `<CopyObjectResult><ETag>"C0"</ETag><LastModified>2024-01-02T03:04:05.000Z</LastModified></CopyObjectResult>`)
	})
	res, err := c.CopyObject(context.Background(), CopyRequest{
		SrcKey: "dir/a b", DstKey: "dst", Directive: MetadataReplace, ContentType: "text/plain",
		Meta: map[string]string{"mode": "33188"}, IfMatch: "E1", IfUnmodifiedSince: since, ForbidOverwrite: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"x-oss-copy-source":                     "/bkt/dir/a%20b",
		"x-oss-metadata-directive":              "REPLACE",
		"Content-Type":                          "text/plain",
		"x-oss-meta-mode":                       "33188",
		"x-oss-copy-source-if-match":            `"E1"`,
		"x-oss-copy-source-if-unmodified-since": "Mon, 01 Jan 2024 19:04:05 GMT",
		"x-oss-forbid-overwrite":                "true",
	}
	for k, v := range want {
		if got := hdr.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if res.ETag != "C0" || res.CRC64 != 77 || res.LastModified.IsZero() {
		t.Errorf("result %+v", res)
	}

	// COPY keeps the source's metadata: none is sent.
	if _, err := c.CopyObject(context.Background(), CopyRequest{SrcKey: "a", DstKey: "dst", Directive: MetadataCopy,
		Meta: map[string]string{"mode": "1"}}); err != nil {
		t.Fatal(err)
	}
	if hdr.Get("x-oss-meta-mode") != "" || hdr.Get("x-oss-metadata-directive") != "COPY" {
		t.Errorf("COPY headers %v", hdr)
	}
}

func TestSymlinkTargetEncoding(t *testing.T) {
	const target = "dir/a b%ü+"
	var stored, contentType string
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if !r.URL.Query().Has("symlink") {
			t.Errorf("no ?symlink in %s", r.URL)
		}
		if r.Method == http.MethodPut {
			stored, contentType = r.Header.Get("x-oss-symlink-target"), r.Header.Get("Content-Type")
			return
		}
		w.Header().Set("x-oss-symlink-target", stored)
		w.Header().Set("ETag", `"L1"`)
		w.Header().Set("Last-Modified", "Tue, 02 Jan 2024 03:04:05 GMT")
		w.Header().Set("x-oss-meta-mode", "41471")
	})
	err := c.PutSymlink(context.Background(), PutSymlinkRequest{Key: "link", Target: target, ContentType: "text/x-link"})
	if err != nil {
		t.Fatal(err)
	}
	if stored != "dir/a%20b%25%C3%BC%2B" || contentType != "text/x-link" {
		t.Errorf("sent target %q, content type %q", stored, contentType)
	}
	info, err := c.GetSymlink(context.Background(), "link")
	if err != nil {
		t.Fatal(err)
	}
	if info.Target != target || info.ETag != "L1" || info.Meta["mode"] != "41471" || info.LastModified.IsZero() {
		t.Errorf("info %+v", info)
	}

	stored = "raw%zz" // written unencoded by another client
	if info, _ := c.GetSymlink(context.Background(), "link"); info.Target != "raw%zz" {
		t.Errorf("raw target read as %q", info.Target)
	}
	stored = ""
	if _, err := c.GetSymlink(context.Background(), "link"); !errors.Is(err, ErrNotSymlink) {
		t.Errorf("no target header: err = %v, want ErrNotSymlink", err)
	}
}
