package conformance

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"strconv"
	"testing"

	"github.com/ossfuse/ossfuse/ossio"
)

// Multipart upload (OSS-API.md §4).

var multipartETagRE = regexp.MustCompile(`^[0-9A-F]{32}-(\d+)$`)

func uploadPart(t *testing.T, c ossio.Client, key, id string, n int, data []byte) ossio.Part {
	t.Helper()
	p, err := c.UploadPart(ctxT(t), ossio.UploadPartRequest{Key: key, UploadID: id, Number: n, Body: bytes.NewReader(data), Size: int64(len(data))})
	if err != nil {
		t.Fatalf("UploadPart %d: %v", n, err)
	}
	return p
}

func initiate(t *testing.T, c ossio.Client, key string) string {
	t.Helper()
	id, err := c.InitiateMultipart(ctxT(t), ossio.InitiateMultipartRequest{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestMultipartUpload(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	src := content(10, 300<<10)
	put(t, e.Client, "src", src)
	const key = "mp/obj"
	id, err := e.Client.InitiateMultipart(ctxT(t), ossio.InitiateMultipartRequest{Key: key, ContentType: "text/x-mp", Meta: map[string]string{"m": "1"}})
	if err != nil || id == "" {
		t.Fatalf("InitiateMultipart: %q %v", id, err)
	}

	// Part 1 on the wire: quoted MD5 ETag, Content-MD5 and the part's CRC.
	first := content(11, 150<<10)
	r, err := e.do(t, http.MethodPut, key, map[string]string{"partNumber": "1", "uploadId": id}, nil, first)
	if err != nil {
		t.Fatal(err)
	}
	if r.Header.Get("ETag") != `"`+md5Hex(first)+`"` || r.Header.Get("Content-MD5") != md5B64(first) ||
		r.Header.Get("x-oss-hash-crc64ecma") != strconv.FormatUint(crcOf(first), 10) {
		t.Errorf("UploadPart headers: ETag %s Content-MD5 %s CRC %s", r.Header.Get("ETag"), r.Header.Get("Content-MD5"), r.Header.Get("x-oss-hash-crc64ecma"))
	}
	part2 := src[1000 : 1000+120<<10]
	p2, err := e.Client.UploadPartCopy(ctxT(t), ossio.UploadPartCopyRequest{Key: key, UploadID: id, Number: 2, SrcKey: "src", Offset: 1000, Length: int64(len(part2))})
	if err != nil {
		t.Fatal(err)
	}
	if p2.ETag != md5Hex(part2) {
		t.Errorf("UploadPartCopy ETag %s, want MD5 of the copied range %s", p2.ETag, md5Hex(part2))
	}
	part3 := content(12, 10<<10)
	p3 := uploadPart(t, e.Client, key, id, 3, part3)
	if p3.ETag != md5Hex(part3) || p3.CRC64 != crcOf(part3) {
		t.Errorf("UploadPart 3: %+v, want ETag %s CRC %d", p3, md5Hex(part3), crcOf(part3))
	}
	// Uploading part 1 again replaces it.
	part1 := content(13, 160<<10)
	p1 := uploadPart(t, e.Client, key, id, 1, part1)
	parts, err := e.Client.ListParts(ctxT(t), key, id)
	if err != nil {
		t.Fatal(err)
	}
	want := []ossio.Part{
		{Number: 1, ETag: md5Hex(part1), Size: int64(len(part1)), CRC64: crcOf(part1)},
		{Number: 2, ETag: md5Hex(part2), Size: int64(len(part2)), CRC64: crcOf(part2)},
		{Number: 3, ETag: md5Hex(part3), Size: int64(len(part3)), CRC64: crcOf(part3)},
	}
	if fmt.Sprint(parts) != fmt.Sprint(want) {
		t.Errorf("ListParts:\n got %+v\nwant %+v", parts, want)
	}

	all := bytes.Join([][]byte{part1, part2, part3}, nil)
	res, err := e.Client.CompleteMultipart(ctxT(t), ossio.CompleteMultipartRequest{Key: key, UploadID: id, Parts: []ossio.Part{p3, p2, p1}})
	if err != nil {
		t.Fatal(err)
	}
	if m := multipartETagRE.FindStringSubmatch(res.ETag); m == nil || m[1] != "3" || res.CRC64 != crcOf(all) {
		t.Errorf("CompleteResult %+v, want ETag <32 hex>-3 and CRC %d", res, crcOf(all))
	}
	info, err := e.Client.HeadObject(ctxT(t), key)
	if err != nil {
		t.Fatal(err)
	}
	if info.Type != ossio.TypeMultipart || info.Size != int64(len(all)) || info.ETag != res.ETag || info.CRC64 != crcOf(all) ||
		info.ContentType != "text/x-mp" || !maps.Equal(info.Meta, map[string]string{"m": "1"}) {
		t.Errorf("HeadObject of the assembled object: %+v", info)
	}
	if body, _ := get(t, e.Client, wholeGet(key)); !bytes.Equal(body, all) {
		t.Errorf("assembled object: %d bytes differ from the %d uploaded", len(body), len(all))
	}
	_, err = e.Client.ListParts(ctxT(t), key, id)
	wantErr(t, err, ossio.ErrNoSuchUpload, 404, "NoSuchUpload")
	_, err = e.Client.UploadPart(ctxT(t), ossio.UploadPartRequest{Key: key, UploadID: id, Number: 4, Body: bytes.NewReader(part3), Size: int64(len(part3))})
	wantErr(t, err, ossio.ErrNoSuchUpload, 404, "NoSuchUpload")
}

func TestMultipartAbort(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	put(t, e.Client, "src", []byte("source"))
	id := initiate(t, e.Client, "ab")
	uploadPart(t, e.Client, "ab", id, 1, content(14, 1000))
	if err := e.Client.AbortMultipart(ctxT(t), "ab", id); err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	_, err := e.Client.ListParts(ctx, "ab", id)
	wantErr(t, err, ossio.ErrNoSuchUpload, 404, "NoSuchUpload")
	_, err = e.Client.UploadPart(ctx, ossio.UploadPartRequest{Key: "ab", UploadID: id, Number: 2, Body: bytes.NewReader([]byte("x")), Size: 1})
	wantErr(t, err, ossio.ErrNoSuchUpload, 404, "NoSuchUpload")
	_, err = e.Client.UploadPartCopy(ctx, ossio.UploadPartCopyRequest{Key: "ab", UploadID: id, Number: 2, SrcKey: "src", Length: -1})
	wantErr(t, err, ossio.ErrNoSuchUpload, 404, "NoSuchUpload")
	_, err = e.Client.CompleteMultipart(ctx, ossio.CompleteMultipartRequest{Key: "ab", UploadID: id, Parts: []ossio.Part{{Number: 1, ETag: md5Hex(content(14, 1000))}}})
	wantErr(t, err, ossio.ErrNoSuchUpload, 404, "NoSuchUpload")
	err = e.Client.AbortMultipart(ctx, "ab", id)
	wantErr(t, err, ossio.ErrNoSuchUpload, 404, "NoSuchUpload")
	_, err = e.Client.HeadObject(ctx, "ab")
	wantErr(t, err, ossio.ErrNotFound, 404, "NoSuchKey")
	_, err = e.Client.UploadPart(ctx, ossio.UploadPartRequest{Key: "ab", UploadID: "0123456789ABCDEF0123456789ABCDEF", Number: 1, Body: bytes.NewReader([]byte("x")), Size: 1})
	wantErr(t, err, ossio.ErrNoSuchUpload, 404, "NoSuchUpload")
}

func TestMultipartCompleteErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const key = "bad"
	id := initiate(t, e.Client, key)
	d1, d2, d3 := content(15, 150<<10), content(16, 150<<10), content(17, 1000)
	p1, p2, p3 := uploadPart(t, e.Client, key, id, 1, d1), uploadPart(t, e.Client, key, id, 2, d2), uploadPart(t, e.Client, key, id, 3, d3)
	complete := func(parts ...ossio.Part) error {
		_, err := e.Client.CompleteMultipart(ctxT(t), ossio.CompleteMultipartRequest{Key: key, UploadID: id, Parts: parts})
		return err
	}
	wrong := p2
	wrong.ETag = md5Hex([]byte("not part 2"))
	wantErr(t, complete(p1, wrong, p3), ossio.ErrInvalidRequest, 400, "InvalidPart")
	wantErr(t, complete(p1, p2, p3, ossio.Part{Number: 4, ETag: p3.ETag}), ossio.ErrInvalidRequest, 400, "InvalidPart")

	// The SDK sorts parts, so a descending list needs a raw request.
	body := fmt.Sprintf(`<CompleteMultipartUpload><Part><PartNumber>2</PartNumber><ETag>"%s"</ETag></Part>`+
		`<Part><PartNumber>1</PartNumber><ETag>"%s"</ETag></Part></CompleteMultipartUpload>`, p2.ETag, p1.ETag)
	_, err := e.do(t, http.MethodPost, key, map[string]string{"uploadId": id}, map[string]string{"Content-Type": "application/xml"}, []byte(body))
	if se := wantServiceErr(t, err, 400, "InvalidPartOrder"); se != nil && se.EC != "0042-00000209" {
		t.Errorf("InvalidPartOrder EC %q, want 0042-00000209", se.EC)
	}

	// Part numbers outside 1..10000 (ossio refuses them itself).
	for _, n := range []string{"0", "10001"} {
		_, err := e.do(t, http.MethodPut, key, map[string]string{"partNumber": n, "uploadId": id}, nil, []byte("x"))
		if se := wantServiceErr(t, err, 400, "InvalidArgument"); se != nil && se.EC != "0017-00000220" {
			t.Errorf("part number %s: EC %q, want 0017-00000220", n, se.EC)
		}
	}

	// Non-last parts under 100 KB fail at Complete, not at upload.
	small := initiate(t, e.Client, "small")
	s1, s2 := uploadPart(t, e.Client, "small", small, 1, content(18, 100<<10-1)), uploadPart(t, e.Client, "small", small, 2, d3)
	_, err = e.Client.CompleteMultipart(ctxT(t), ossio.CompleteMultipartRequest{Key: "small", UploadID: small, Parts: []ossio.Part{s1, s2}})
	if oe := wantErr(t, err, ossio.ErrInvalidRequest, 400, "EntityTooSmall"); oe != nil && oe.EC != "0042-00000213" {
		t.Errorf("EntityTooSmall EC %q, want 0042-00000213", oe.EC)
	}

	// The failed completions left the upload intact; gaps in part numbers are allowed.
	if err := complete(p1, p3); err != nil {
		t.Fatalf("Complete of parts 1 and 3: %v", err)
	}
	if body, _ := get(t, e.Client, wholeGet(key)); !bytes.Equal(body, append(append([]byte{}, d1...), d3...)) {
		t.Error("object of parts 1 and 3 has the wrong content")
	}
}

func TestMultipartConcurrentUploadsAndForbidOverwrite(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b := initiate(t, e.Client, "k"), initiate(t, e.Client, "k")
	pa, pb := uploadPart(t, e.Client, "k", a, 1, []byte("upload a")), uploadPart(t, e.Client, "k", b, 1, []byte("upload b"))
	if _, err := e.Client.CompleteMultipart(ctxT(t), ossio.CompleteMultipartRequest{Key: "k", UploadID: a, Parts: []ossio.Part{pa}}); err != nil {
		t.Fatal(err)
	}
	// Completing a leaves b alive; with forbid-overwrite b cannot replace the object.
	if parts, err := e.Client.ListParts(ctxT(t), "k", b); err != nil || len(parts) != 1 {
		t.Fatalf("second upload after the first completed: %v %v", parts, err)
	}
	_, err := e.Client.CompleteMultipart(ctxT(t), ossio.CompleteMultipartRequest{Key: "k", UploadID: b, Parts: []ossio.Part{pb}, ForbidOverwrite: true})
	wantErr(t, err, ossio.ErrAlreadyExists, 409, "FileAlreadyExists")
	if body, _ := get(t, e.Client, wholeGet("k")); string(body) != "upload a" {
		t.Errorf("object after a refused completion: %q", body)
	}
}

// TestMultipartCompleteAllWire completes with x-oss-complete-all: yes and an
// empty body, and checks the raw CompleteMultipartUploadResult.
func TestMultipartCompleteAllWire(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const key = "all parts+"
	id := initiate(t, e.Client, key)
	d1, d2 := content(60, 100<<10), content(61, 10)
	uploadPart(t, e.Client, key, id, 2, d2)
	uploadPart(t, e.Client, key, id, 1, d1)
	r, err := e.do(t, http.MethodPost, key, map[string]string{"uploadId": id, "encoding-type": "url"}, map[string]string{"x-oss-complete-all": "yes"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	all := append(append([]byte{}, d1...), d2...)
	var res struct{ EncodingType, Location, Bucket, Key, ETag string }
	if err := xml.Unmarshal(r.Body, &res); err != nil {
		t.Fatalf("CompleteMultipartUploadResult %s: %v", r.Body, err)
	}
	if res.Bucket != testBucket || res.Key != "all%20parts%2B" || res.EncodingType != "url" || res.Location == "" ||
		!regexp.MustCompile(`^"[0-9A-F]{32}-2"$`).MatchString(res.ETag) {
		t.Errorf("CompleteMultipartUploadResult %+v", res)
	}
	if got := r.Header.Get("x-oss-hash-crc64ecma"); got != strconv.FormatUint(crcOf(all), 10) {
		t.Errorf("complete x-oss-hash-crc64ecma %q, want %d", got, crcOf(all))
	}
	if body, _ := get(t, e.Client, wholeGet(key)); !bytes.Equal(body, all) {
		t.Error("complete-all assembled the wrong content")
	}
}
