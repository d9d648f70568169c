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
)

func TestCompleteMultipartSortsAndQuotes(t *testing.T) {
	var body struct {
		Parts []struct {
			PartNumber int    `xml:"PartNumber"`
			ETag       string `xml:"ETag"`
		} `xml:"Part"`
	}
	var hdr http.Header
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("uploadId") != "U1" {
			t.Errorf("query %q", r.URL.RawQuery)
		}
		hdr = r.Header.Clone()
		if err := xml.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Errorf("decode: %v", err)
		}
		w.Header().Set("x-oss-hash-crc64ecma", "99")
		io.WriteString(w, `<CompleteMultipartUploadResult><EncodingType>url</EncodingType>
<Bucket>bkt</Bucket><Key>k</Key><ETag>"M-3"</ETag></CompleteMultipartUploadResult>`)
	})
	parts := []Part{{Number: 3, ETag: "C"}, {Number: 1, ETag: "A"}, {Number: 2, ETag: `"B"`}}
	res, err := c.CompleteMultipart(context.Background(), CompleteMultipartRequest{
		Key: "k", UploadID: "U1", Parts: parts, ForbidOverwrite: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(body.Parts)
	if got != `[{1 "A"} {2 "B"} {3 "C"}]` {
		t.Errorf("parts sent %s", got)
	}
	if parts[0].Number != 3 {
		t.Error("caller's slice was reordered")
	}
	if hdr.Get("x-oss-forbid-overwrite") != "true" || res.ETag != "M-3" || res.CRC64 != 99 {
		t.Errorf("forbid %q, result %+v", hdr.Get("x-oss-forbid-overwrite"), res)
	}
}

func TestListPartsFollowsPages(t *testing.T) {
	var markers []string
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		markers = append(markers, q.Get("part-number-marker"))
		if q.Get("uploadId") != "U1" || q.Get("max-parts") != "1000" {
			t.Errorf("query %q", r.URL.RawQuery)
		}
		if q.Get("part-number-marker") == "" {
			io.WriteString(w, `<ListPartsResult><IsTruncated>true</IsTruncated><NextPartNumberMarker>2</NextPartNumberMarker>
<Part><PartNumber>1</PartNumber><ETag>"A"</ETag><Size>102400</Size><HashCrc64ecma>11</HashCrc64ecma></Part>
<Part><PartNumber>2</PartNumber><ETag>"B"</ETag><Size>102400</Size><HashCrc64ecma>12</HashCrc64ecma></Part>
</ListPartsResult>`)
			return
		}
		io.WriteString(w, `<ListPartsResult><IsTruncated>false</IsTruncated>
<Part><PartNumber>5</PartNumber><ETag>"E"</ETag><Size>7</Size><HashCrc64ecma>15</HashCrc64ecma></Part>
</ListPartsResult>`)
	})
	parts, err := c.ListParts(context.Background(), "k", "U1")
	if err != nil {
		t.Fatal(err)
	}
	want := []Part{{1, "A", 102400, 11}, {2, "B", 102400, 12}, {5, "E", 7, 15}}
	if fmt.Sprint(parts) != fmt.Sprint(want) || fmt.Sprint(markers) != "[ 2]" {
		t.Errorf("parts %v after markers %q", parts, markers)
	}
}

func TestListPartsStuckMarker(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `<ListPartsResult><IsTruncated>true</IsTruncated><NextPartNumberMarker>0</NextPartNumberMarker></ListPartsResult>`)
	})
	if _, err := c.ListParts(context.Background(), "k", "U1"); !errors.Is(err, ErrUnknown) {
		t.Fatalf("err = %v, want ErrUnknown", err)
	}
}

func TestUploadPartCopyRange(t *testing.T) {
	var hdr http.Header
	var query string
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		hdr, query = r.Header.Clone(), r.URL.RawQuery
		io.WriteString(w, `<CopyPartResult><LastModified>2024-01-02T03:04:05.000Z</LastModified><ETag>"P2"</ETag></CopyPartResult>`)
	})
	part, err := c.UploadPartCopy(context.Background(), UploadPartCopyRequest{
		Key: "dst", UploadID: "U1", Number: 2, SrcKey: "src", Offset: 100, Length: 50, IfMatch: "S",
	})
	if err != nil {
		t.Fatal(err)
	}
	if hdr.Get("x-oss-copy-source-range") != "bytes=100-149" || hdr.Get("x-oss-copy-source") != "/bkt/src" ||
		hdr.Get("x-oss-copy-source-if-match") != `"S"` {
		t.Errorf("headers %v", hdr)
	}
	if !strings.Contains(query, "partNumber=2") || !strings.Contains(query, "uploadId=U1") {
		t.Errorf("query %q", query)
	}
	if part != (Part{Number: 2, ETag: "P2", Size: 50}) {
		t.Errorf("part %+v", part)
	}

	part, err = c.UploadPartCopy(context.Background(), UploadPartCopyRequest{
		Key: "dst", UploadID: "U1", Number: 3, SrcKey: "src", Length: -1,
	})
	if err != nil || hdr.Get("x-oss-copy-source-range") != "" || part.Size != -1 {
		t.Errorf("whole source: err %v, range %q, part %+v", err, hdr.Get("x-oss-copy-source-range"), part)
	}
	_, err = c.UploadPartCopy(context.Background(), UploadPartCopyRequest{
		Key: "dst", UploadID: "U1", Number: 3, SrcKey: "src", Offset: 5, Length: -1,
	})
	if !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("open-ended source range: err = %v, want ErrInvalidRequest", err)
	}
}

func TestUploadPartAndInitiate(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch {
		case q.Has("uploads"):
			if r.Header.Get("Content-Type") != "text/plain" || r.Header.Get("x-oss-meta-uid") != "1000" {
				t.Errorf("initiate headers %v", r.Header)
			}
			io.WriteString(w, `<InitiateMultipartUploadResult><Bucket>bkt</Bucket><Key>k</Key><UploadId>U9</UploadId></InitiateMultipartUploadResult>`)
		case q.Get("partNumber") == "7":
			b, _ := io.ReadAll(r.Body)
			if r.ContentLength != int64(len(b)) || string(b) != testBody {
				t.Errorf("part body %q with length %d", b, r.ContentLength)
			}
			w.Header().Set("ETag", `"P7"`)
			w.Header().Set("x-oss-hash-crc64ecma", crcOfString(testBody))
		default:
			t.Errorf("unexpected %s %s", r.Method, r.URL)
		}
	})
	id, err := c.InitiateMultipart(context.Background(), InitiateMultipartRequest{
		Key: "k", ContentType: "text/plain", Meta: map[string]string{"uid": "1000"},
	})
	if err != nil || id != "U9" {
		t.Fatalf("initiate: %q, %v", id, err)
	}
	part, err := c.UploadPart(context.Background(), UploadPartRequest{
		Key: "k", UploadID: id, Number: 7, Body: io.MultiReader(strings.NewReader(testBody)), Size: int64(len(testBody)),
	})
	if err != nil || part.ETag != "P7" || part.Size != int64(len(testBody)) || fmt.Sprint(part.CRC64) != crcOfString(testBody) {
		t.Fatalf("part %+v, %v", part, err)
	}
}
