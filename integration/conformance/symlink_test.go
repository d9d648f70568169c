package conformance

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"

	"github.com/ossfuse/ossfuse/ossio"
)

// Symlinks (OSS-API.md §3.9) and deletes (§3.5, §3.6).

func TestSymlink(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	data := content(6, 5000)
	target := "dir/target file+ü%.txt"
	tres, err := e.Client.PutObject(ctxT(t), ossio.PutRequest{Key: target, Body: bytes.NewReader(data), Size: int64(len(data)),
		ContentType: "text/x-target", Meta: map[string]string{"t": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	linkMeta := map[string]string{"l": "2"}
	if err := e.Client.PutSymlink(ctxT(t), ossio.PutSymlinkRequest{Key: "links/l1", Target: target, ContentType: "text/x-link", Meta: linkMeta}); err != nil {
		t.Fatal(err)
	}
	sl, err := e.Client.GetSymlink(ctxT(t), "links/l1")
	if err != nil {
		t.Fatal(err)
	}
	if sl.Target != target || !hex32RE.MatchString(sl.ETag) || !maps.Equal(sl.Meta, linkMeta) || sl.LastModified.IsZero() {
		t.Errorf("GetSymlink = %+v, want target %q, 32-hex ETag, meta %v", sl, target, linkMeta)
	}
	r, err := e.do(t, http.MethodGet, "links/l1", map[string]string{"symlink": ""}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != 200 || len(r.Body) != 0 || r.Header.Get("x-oss-symlink-target") == "" || !quotedETagRE.MatchString(r.Header.Get("ETag")) {
		t.Errorf("raw GetSymlink: status %d, %d body bytes, headers %v", r.Status, len(r.Body), r.Header)
	}
	checkLastModified(t, r.Header.Get("Last-Modified"))

	// GET and HEAD follow the link: the target's bytes, ETag and size; the
	// link's type, metadata and Content-Type.
	info, err := e.Client.HeadObject(ctxT(t), "links/l1")
	if err != nil {
		t.Fatal(err)
	}
	tinfo, _ := e.Client.HeadObject(ctxT(t), target)
	if info.Type != ossio.TypeSymlink || info.Size != int64(len(data)) || info.ETag != tres.ETag ||
		!maps.Equal(info.Meta, linkMeta) || info.ContentType != "text/x-link" || info.LastModified.Before(tinfo.LastModified) {
		t.Errorf("HeadObject on a link = %+v", info)
	}
	h, _ := e.do(t, http.MethodHead, "links/l1", nil, nil, nil)
	if h.Header.Get("x-oss-object-type") != "Symlink" || h.Header.Get("Content-MD5") != md5B64(data) {
		t.Errorf("HEAD on a link: type %q Content-MD5 %q, want Symlink and the target's", h.Header.Get("x-oss-object-type"), h.Header.Get("Content-MD5"))
	}
	body, g := get(t, e.Client, wholeGet("links/l1"))
	if !bytes.Equal(body, data) || g.Info.Type != ossio.TypeSymlink {
		t.Errorf("GET through the link: %d bytes, type %s", len(body), g.Info.Type)
	}

	// Targets are not checked at creation; a dangling link fails on GET/HEAD.
	if err := e.Client.PutSymlink(ctxT(t), ossio.PutSymlinkRequest{Key: "links/dangling", Target: "nowhere"}); err != nil {
		t.Fatal(err)
	}
	_, err = e.Client.GetObject(ctxT(t), wholeGet("links/dangling"))
	wantErr(t, err, ossio.ErrSymlinkTarget, 404, "SymlinkTargetNotExist")
	_, err = e.Client.HeadObject(ctxT(t), "links/dangling")
	wantErr(t, err, ossio.ErrSymlinkTarget, 404, "SymlinkTargetNotExist")

	// A link to a link is followed one level only: InvalidTargetType.
	if err := e.Client.PutSymlink(ctxT(t), ossio.PutSymlinkRequest{Key: "links/l2", Target: "links/l1"}); err != nil {
		t.Fatal(err)
	}
	_, err = e.Client.GetObject(ctxT(t), wholeGet("links/l2"))
	wantErr(t, err, ossio.ErrInvalidRequest, 400, "InvalidTargetType")

	// GetSymlink on a missing key and on a non-link.
	_, err = e.Client.GetSymlink(ctxT(t), "links/missing")
	wantErr(t, err, ossio.ErrNotFound, 404, "NoSuchKey")
	_, err = e.Client.GetSymlink(ctxT(t), target)
	var oe *ossio.Error
	if !errors.As(err, &oe) || oe.Status != 400 || oe.EC != "0043-00000101" {
		t.Errorf("GetSymlink on a Normal object: %v, want 400 with EC 0043-00000101", err)
	}

	// PutSymlink overwrites any object; CopyObject copies the link itself;
	// DeleteObject deletes the link, not its target.
	put(t, e.Client, "links/was-normal", []byte("x"))
	if err := e.Client.PutSymlink(ctxT(t), ossio.PutSymlinkRequest{Key: "links/was-normal", Target: target}); err != nil {
		t.Fatal(err)
	}
	if info, _ := e.Client.HeadObject(ctxT(t), "links/was-normal"); info.Type != ossio.TypeSymlink {
		t.Errorf("PutSymlink over a Normal object left type %q", info.Type)
	}
	if _, err := e.Client.CopyObject(ctxT(t), ossio.CopyRequest{SrcKey: "links/l1", DstKey: "links/l1-copy"}); err != nil {
		t.Fatal(err)
	}
	if sl, err := e.Client.GetSymlink(ctxT(t), "links/l1-copy"); err != nil || sl.Target != target {
		t.Errorf("copy of a link: GetSymlink = %+v, %v; want a link to %q", sl, err, target)
	}
	if err := e.Client.DeleteObject(ctxT(t), "links/l1"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Client.HeadObject(ctxT(t), target); err != nil {
		t.Errorf("deleting a link removed its target: %v", err)
	}
	_, err = e.Client.GetSymlink(ctxT(t), "links/l1")
	wantErr(t, err, ossio.ErrNotFound, 404, "NoSuchKey")
}

func TestDeleteObject(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r, err := e.do(t, http.MethodDelete, "never-written", nil, nil, nil)
	if err != nil || r.Status != http.StatusNoContent {
		t.Errorf("DELETE of a missing key: status %d, %v; want 204", r.Status, err)
	}
	put(t, e.Client, "dir/", nil)
	put(t, e.Client, "dir/a", []byte("a"))
	r, err = e.do(t, http.MethodDelete, "dir/", nil, nil, nil)
	if err != nil || r.Status != http.StatusNoContent {
		t.Errorf("DELETE dir/: status %d, %v; want 204", r.Status, err)
	}
	_, err = e.Client.HeadObject(ctxT(t), "dir/")
	wantErr(t, err, ossio.ErrNotFound, 404, "NoSuchKey")
	if _, err := e.Client.HeadObject(ctxT(t), "dir/a"); err != nil {
		t.Errorf("deleting dir/ removed dir/a: %v", err)
	}
	if err := e.Client.DeleteObject(ctxT(t), "never-written"); err != nil {
		t.Errorf("ossio DeleteObject of a missing key: %v", err)
	}
}

func TestDeleteObjects2500(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const n, missing = 2500, 10
	name := func(i int) string { return fmt.Sprintf("del/%04d", i) }
	putMany(t, e.Client, n-missing, name, func(i int) []byte { return []byte(name(i)) })
	keys := make([]string, n) // the last `missing` keys were never written
	for i := range keys {
		keys[i] = name(i)
	}
	e.resetStats(t)
	if err := e.Client.DeleteObjects(ctxT(t), keys); err != nil {
		t.Fatalf("DeleteObjects of %d keys (%d missing): %v", n, missing, err)
	}
	st := e.stats(t)
	if st.Requests["DeleteMultipleObjects"] != 3 || st.Total() != 3 || len(st.Errors) != 0 {
		t.Errorf("DeleteObjects of 2500 keys cost %v (errors %v); want exactly 3 DeleteMultipleObjects", st.Requests, st.Errors)
	}
	page, err := e.Client.ListObjects(ctxT(t), ossio.ListRequest{Prefix: "del/"})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Objects) != 0 || page.IsTruncated {
		t.Errorf("%d keys left after DeleteObjects (first %v)", len(page.Objects), page.Objects[:min(3, len(page.Objects))])
	}
}

// TestDeleteMultipleObjectsWire checks DeleteMultipleObjects as sent raw:
// the verbose and quiet answers, URL-encoded keys, character references
// for control characters, and the documented refusals.
func TestDeleteMultipleObjectsWire(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, k := range []string{"a b", "c+d", "ctl\x01"} {
		put(t, e.Client, k, []byte(k))
	}
	deleteReq := func(body string, withMD5 bool) (rawResponse, error) {
		h := map[string]string{"Content-Type": "application/xml"}
		if withMD5 {
			h["Content-MD5"] = md5B64([]byte(body))
		}
		return e.do(t, http.MethodPost, "", map[string]string{"delete": "", "encoding-type": "url"}, h, []byte(body))
	}
	r, err := deleteReq(`<Delete><Quiet>false</Quiet><Object><Key>a b</Key></Object><Object><Key>missing</Key></Object>`+
		`<Object><Key>ctl&#x01;</Key></Object></Delete>`, true)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		EncodingType string
		Deleted      []struct{ Key string }
	}
	if err := xml.Unmarshal(r.Body, &res); err != nil {
		t.Fatalf("DeleteResult %s: %v", r.Body, err)
	}
	var got []string
	for _, d := range res.Deleted {
		k, err := url.QueryUnescape(d.Key)
		if err != nil || strings.ContainsAny(d.Key, " \x01") {
			t.Errorf("Deleted key %q is not URL-encoded", d.Key)
		}
		got = append(got, k)
	}
	slices.Sort(got)
	if res.EncodingType != "url" || !slices.Equal(got, []string{"a b", "ctl\x01", "missing"}) {
		t.Errorf("verbose DeleteResult: encoding %q, deleted %q; want every key, the missing one included", res.EncodingType, got)
	}
	r, err = deleteReq(`<Delete><Quiet>true</Quiet><Object><Key>c+d</Key></Object></Delete>`, true)
	if err != nil || bytes.Contains(r.Body, []byte("<Deleted>")) {
		t.Errorf("quiet delete: %s %v; want no Deleted entries", r.Body, err)
	}
	if page, _ := e.Client.ListObjects(ctxT(t), ossio.ListRequest{}); len(page.Objects) != 0 {
		t.Errorf("keys left: %v", page.Objects)
	}

	_, err = deleteReq(`<Delete><Object><Key>x</Key></Object></Delete>`, false)
	var se *oss.ServiceError
	if !errors.As(err, &se) || se.StatusCode != 400 || se.EC != "0016-00000606" {
		t.Errorf("delete without Content-MD5: %v, want 400 EC 0016-00000606", err)
	}
	_, err = deleteReq(`<Remove><Object><Key>x</Key></Object></Remove>`, true)
	if se := wantServiceErr(t, err, 400, "MalformedXML"); se != nil && se.EC != "0016-00000608" {
		t.Errorf("wrong root element: EC %q, want 0016-00000608", se.EC)
	}
	var b strings.Builder
	b.WriteString("<Delete>")
	for i := range 1001 {
		fmt.Fprintf(&b, "<Object><Key>k%d</Key></Object>", i)
	}
	b.WriteString("</Delete>")
	_, err = deleteReq(b.String(), true)
	if !errors.As(err, &se) || se.StatusCode != 400 {
		t.Errorf("delete of 1001 keys: %v, want 400", err)
	}
}
