package conformance

import (
	"encoding/xml"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"

	"github.com/ossfuse/ossfuse/ossio"
)

// Listing (OSS-API.md §3.10) and keys that need escaping (§1.1, §6).

// listAll follows a ListObjectsV2 listing to its end, checking each page's
// size and truncation, and returns each page's entries (keys and common
// prefixes merged in byte order).
func listAll(t *testing.T, c ossio.Client, req ossio.ListRequest, wantPages []int) [][]string {
	t.Helper()
	var pages [][]string
	for i := 0; ; i++ {
		if i > len(wantPages)+2 {
			t.Fatalf("listing did not end after %d pages", i)
		}
		page, err := c.ListObjects(ctxT(t), req)
		if err != nil {
			t.Fatalf("page %d: %v", i, err)
		}
		var entries []string
		for _, o := range page.Objects {
			entries = append(entries, o.Key)
		}
		entries = append(entries, page.CommonPrefixes...)
		slices.Sort(entries)
		pages = append(pages, entries)
		if !page.IsTruncated {
			break
		}
		if page.NextContinuationToken == "" || page.NextContinuationToken == req.ContinuationToken {
			t.Fatalf("page %d truncated with token %q", i, page.NextContinuationToken)
		}
		req.ContinuationToken = page.NextContinuationToken
	}
	var sizes []int
	for _, p := range pages {
		sizes = append(sizes, len(p))
	}
	if !slices.Equal(sizes, wantPages) {
		t.Errorf("listing %+v: page sizes %v, want %v", req, sizes, wantPages)
	}
	return pages
}

func TestListPagination2500(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// 1000 "directories" of two keys each and 500 top-level keys.
	name := func(i int) string {
		if i < 2000 {
			return fmt.Sprintf("d%04d/%c", i/2, 'a'+i%2)
		}
		return fmt.Sprintf("f%04d", i-2000)
	}
	putMany(t, e.Client, 2500, name, func(i int) []byte { return []byte(name(i)) })
	var all, rolled []string
	for i := range 2500 {
		all = append(all, name(i))
		if i < 2000 && i%2 == 0 {
			rolled = append(rolled, fmt.Sprintf("d%04d/", i/2))
		} else if i >= 2000 {
			rolled = append(rolled, name(i))
		}
	}
	slices.Sort(all)

	e.resetStats(t)
	pages := listAll(t, e.Client, ossio.ListRequest{MaxKeys: 1000}, []int{1000, 1000, 500})
	if got := slices.Concat(pages...); !slices.Equal(got, all) {
		t.Errorf("flat listing of 2500 keys: %d keys, not the 2500 written in byte order", len(got))
	}
	if n := e.stats(t).Requests["ListObjectsV2"]; n != 3 {
		t.Errorf("flat listing of 2500 keys took %d ListObjectsV2 requests, want 3", n)
	}

	e.resetStats(t)
	pages = listAll(t, e.Client, ossio.ListRequest{Delimiter: "/", MaxKeys: 600}, []int{600, 600, 300})
	if got := slices.Concat(pages...); !slices.Equal(got, rolled) {
		t.Errorf("listing with delimiter: %d entries, want the 1000 prefixes (each once) and 500 keys in order", len(got))
	}
	if n := e.stats(t).Requests["ListObjectsV2"]; n != 3 {
		t.Errorf("delimited listing took %d ListObjectsV2 requests, want 3", n)
	}
	listAll(t, e.Client, ossio.ListRequest{Delimiter: "/"}, []int{1000, 500})

	pages = listAll(t, e.Client, ossio.ListRequest{Prefix: "d0007/", Delimiter: "/"}, []int{2})
	if !slices.Equal(pages[0], []string{"d0007/a", "d0007/b"}) {
		t.Errorf("listing d0007/: %v", pages[0])
	}
	pages = listAll(t, e.Client, ossio.ListRequest{StartAfter: "f0249"}, []int{250})
	if pages[0][0] != "f0250" {
		t.Errorf("start-after f0249 starts at %q", pages[0][0])
	}

	page, err := e.Client.ListObjects(ctxT(t), ossio.ListRequest{Prefix: "f0001"})
	if err != nil || len(page.Objects) != 1 {
		t.Fatalf("list f0001: %v %v", page, err)
	}
	o := page.Objects[0]
	if o.Size != 5 || o.ETag != md5Hex([]byte("f0001")) || o.Type != ossio.TypeNormal || o.LastModified.IsZero() {
		t.Errorf("list entry %+v", o)
	}

	// The XML on the wire: quoted ETag, ISO time, Owner only with fetch-owner.
	r, err := e.do(t, "GET", "", map[string]string{"list-type": "2", "prefix": "f0001"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Contents []struct {
			Key, LastModified, ETag, Type, StorageClass string
			Size                                        int64
			Owner                                       *struct{ ID string }
		}
	}
	if err := xml.Unmarshal(r.Body, &doc); err != nil || len(doc.Contents) != 1 {
		t.Fatalf("ListObjectsV2 body %s: %v", r.Body, err)
	}
	if c := doc.Contents[0]; !isoTimeRE.MatchString(c.LastModified) || c.ETag != `"`+md5Hex([]byte("f0001"))+`"` ||
		c.Type != "Normal" || c.Size != 5 || c.StorageClass == "" || c.Owner != nil || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/xml") {
		t.Errorf("ListObjectsV2 entry %+v (Content-Type %q)", c, r.Header.Get("Content-Type"))
	}
	r, err = e.do(t, "GET", "", map[string]string{"list-type": "2", "prefix": "f0001", "fetch-owner": "true"}, nil, nil)
	if err != nil || !strings.Contains(string(r.Body), "<Owner>") {
		t.Errorf("fetch-owner=true: no Owner in %s (%v)", r.Body, err)
	}

	// Without max-keys a page holds 100 entries; KeyCount counts keys and prefixes.
	rc := e.rawClient(t)
	out, err := rc.ListObjectsV2(ctxT(t), &oss.ListObjectsV2Request{Bucket: oss.Ptr(testBucket)})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Contents) != 100 || out.MaxKeys != 100 || out.KeyCount != 100 || !out.IsTruncated {
		t.Errorf("default page: %d keys, MaxKeys %d, KeyCount %d, truncated %v; want 100", len(out.Contents), out.MaxKeys, out.KeyCount, out.IsTruncated)
	}
	out, err = rc.ListObjectsV2(ctxT(t), &oss.ListObjectsV2Request{Bucket: oss.Ptr(testBucket), Delimiter: oss.Ptr("/"), StartAfter: oss.Ptr("d0997/b"), MaxKeys: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.CommonPrefixes) != 2 || len(out.Contents) != 3 || out.KeyCount != 5 {
		t.Errorf("mixed page: %d prefixes, %d keys, KeyCount %d; want 2, 3, 5", len(out.CommonPrefixes), len(out.Contents), out.KeyCount)
	}
	if oss.ToString(out.EncodingType) != "url" || out.NextContinuationToken == nil {
		t.Errorf("truncated page: EncodingType %q, NextContinuationToken %v", oss.ToString(out.EncodingType), out.NextContinuationToken)
	}
	out, err = rc.ListObjectsV2(ctxT(t), &oss.ListObjectsV2Request{Bucket: oss.Ptr(testBucket), StartAfter: oss.Ptr("f0497")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Contents) != 2 || out.IsTruncated || out.NextContinuationToken != nil {
		t.Errorf("last page: %d keys, truncated %v, NextContinuationToken %v; want 2 keys and no token", len(out.Contents), out.IsTruncated, out.NextContinuationToken)
	}
}

// specialKeys need percent-encoding in paths, in copy sources, in listing
// XML (encoding-type=url) and in DeleteMultipleObjects bodies.
var specialKeys = []string{
	"sp/with space", "sp/plus+sign", "sp/percent%25literal", "sp/100%", "sp/a+b c%20d",
	"sp/unicode-日本語-ü", "sp/emoji-🙂", "sp/ctl-\x01-soh", "sp/tab\there", "sp/new\nline",
	"sp/cr\rreturn", "sp/del\x7f", "sp/\x1f-unit-sep", "sp/q?uery&amp=x#frag", "sp/<xml>&amp;\"'",
	"sp/sub dir/child+1", "sp/trailing space ", "sp//double", "sp/~tilde.-_*()", "sp/Case", "sp/case",
}

// exerciseSpecialKeys runs every key of specialKeys through put, head, list
// (flat and delimited), get, copy and delete.
func exerciseSpecialKeys(t *testing.T, c ossio.Client) {
	t.Helper()
	for _, k := range specialKeys {
		put(t, c, k, []byte(k))
	}
	want := slices.Sorted(slices.Values(specialKeys))
	pages := listAll(t, c, ossio.ListRequest{Prefix: "sp/"}, []int{len(want)})
	if !slices.Equal(pages[0], want) {
		t.Errorf("listing special keys:\n got %q\nwant %q", pages[0], want)
	}
	page, err := c.ListObjects(ctxT(t), ossio.ListRequest{Prefix: "sp/", Delimiter: "/"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(page.CommonPrefixes, []string{"sp//", "sp/sub dir/"}) || len(page.Objects) != len(specialKeys)-2 {
		t.Errorf("delimited listing: prefixes %q, %d keys", page.CommonPrefixes, len(page.Objects))
	}
	for _, k := range specialKeys {
		info, err := c.HeadObject(ctxT(t), k)
		if err != nil || info.Size != int64(len(k)) {
			t.Errorf("HeadObject %q: %+v %v", k, info, err)
			continue
		}
		if body, _ := get(t, c, wholeGet(k)); string(body) != k {
			t.Errorf("GetObject %q read %q", k, body)
		}
	}
	dst := "sp/copy %+ü\x01\n"
	if _, err := c.CopyObject(ctxT(t), ossio.CopyRequest{SrcKey: "sp/a+b c%20d", DstKey: dst}); err != nil {
		t.Fatalf("copy between special keys: %v", err)
	}
	if body, _ := get(t, c, wholeGet(dst)); string(body) != "sp/a+b c%20d" {
		t.Errorf("copy of %q reads %q", "sp/a+b c%20d", body)
	}
	half := len(specialKeys) / 2
	if err := c.DeleteObjects(ctxT(t), append([]string{dst}, specialKeys[:half]...)); err != nil {
		t.Fatalf("DeleteObjects of special keys: %v", err)
	}
	for _, k := range specialKeys[half:] {
		if err := c.DeleteObject(ctxT(t), k); err != nil {
			t.Errorf("DeleteObject %q: %v", k, err)
		}
	}
	page, err = c.ListObjects(ctxT(t), ossio.ListRequest{Prefix: "sp/"})
	if err != nil || len(page.Objects) != 0 {
		t.Errorf("after deleting every special key: %d keys left (%v) %v", len(page.Objects), page.Objects, err)
	}
}

func TestListSpecialKeys(t *testing.T) {
	t.Parallel()
	exerciseSpecialKeys(t, newEnv(t).Client)
}
