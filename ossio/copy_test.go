package ossio

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"
)

// smallCopies makes CopyLarge copy objects over 1 MiB in parts of 512 KiB.
var smallCopies = UploadOptions{CopyThreshold: 1 << 20, CopyPartSize: 512 << 10, Parallelism: 3}

func TestCopyLargeBelowThresholdIsCopyObject(t *testing.T) {
	e := newEmuEnv(t)
	data := seededBytes(1<<20, 40)
	e.put("src", data, map[string]string{"mode": "600"})
	e.emu.ResetStats()
	res, err := CopyLarge(context.Background(), e.c, CopyRequest{SrcKey: "src", DstKey: "dst"}, int64(len(data)), smallCopies)
	if err != nil {
		t.Fatal(err)
	}
	if st := e.emu.Stats(); st.Total() != 1 || st.Requests["CopyObject"] != 1 {
		t.Errorf("requests: %v", st)
	}
	if res.ETag == "" || res.LastModified.IsZero() || !bytes.Equal(e.get("dst"), data) {
		t.Errorf("result %+v or content differs", res)
	}
}

func TestCopyLargeMultipart(t *testing.T) {
	for _, tc := range []struct {
		name     string
		req      CopyRequest
		wantType string
		wantMeta map[string]string
	}{
		{"replace", CopyRequest{DstKey: "dst", Directive: MetadataReplace, ContentType: "text/new", Meta: map[string]string{"mode": "644"}},
			"text/new", map[string]string{"mode": "644"}},
		{"copy", CopyRequest{DstKey: "dst", Directive: MetadataCopy},
			"application/x-old", map[string]string{"mode": "600", "uid": "5"}},
		{"self", CopyRequest{DstKey: "src", Directive: MetadataReplace, ContentType: "text/new", Meta: map[string]string{"mode": "644"}},
			"text/new", map[string]string{"mode": "644"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEmuEnv(t)
			ctx := context.Background()
			data := seededBytes(3<<20+123, 41)
			etag := e.put("src", data, map[string]string{"mode": "600", "uid": "5"})
			e.emu.ResetStats()
			req := tc.req
			req.SrcKey, req.IfMatch = "src", etag
			res, err := CopyLarge(ctx, e.c, req, int64(len(data)), smallCopies)
			if err != nil {
				t.Fatal(err)
			}
			st := e.emu.Stats()
			if st.Requests["HeadObject"] != 1 || st.Requests["InitiateMultipartUpload"] != 1 || st.Requests["UploadPartCopy"] != 7 ||
				st.Requests["CompleteMultipartUpload"] != 1 || st.Total() != 10 {
				t.Errorf("requests: %v", st)
			}
			if !bytes.Equal(e.get(req.DstKey), data) {
				t.Error("content differs")
			}
			info, err := e.c.HeadObject(ctx, req.DstKey)
			if err != nil || info.ContentType != tc.wantType || len(info.Meta) != len(tc.wantMeta) ||
				info.CRC64 != res.CRC64 || info.ETag != res.ETag {
				t.Errorf("destination %+v (%v), result %+v", info, err, res)
			}
			for k, v := range tc.wantMeta {
				if info.Meta[k] != v {
					t.Errorf("meta %q = %q, want %q", k, info.Meta[k], v)
				}
			}
		})
	}
}

func TestCopyLargeConditions(t *testing.T) {
	e := newEmuEnv(t)
	ctx := context.Background()
	data := seededBytes(2<<20, 42)
	etag := e.put("src", data, nil)
	for _, tc := range []struct {
		req  CopyRequest
		want error
	}{
		{CopyRequest{IfMatch: "0123456789ABCDEF0123456789ABCDEF"}, ErrPreconditionFailed},
		{CopyRequest{IfNoneMatch: etag}, ErrNotModified},
		{CopyRequest{IfUnmodifiedSince: time.Now().Add(-time.Hour)}, ErrPreconditionFailed},
		{CopyRequest{IfModifiedSince: time.Now().Add(time.Hour)}, ErrNotModified},
		{CopyRequest{Directive: "MOVE"}, ErrInvalidRequest},
		{CopyRequest{SrcKey: "missing"}, ErrNotFound},
	} {
		e.emu.ResetStats()
		req := tc.req
		req.DstKey = "dst"
		if req.SrcKey == "" {
			req.SrcKey = "src"
		}
		_, err := CopyLarge(ctx, e.c, req, int64(len(data)), smallCopies)
		if !errors.Is(err, tc.want) {
			t.Errorf("%+v: %v, want %v", tc.req, err, tc.want)
		}
		if n := e.requests("InitiateMultipartUpload"); n != 0 {
			t.Errorf("%+v: %d uploads initiated", tc.req, n)
		}
	}
	if _, err := e.c.HeadObject(ctx, "dst"); !errors.Is(err, ErrNotFound) {
		t.Errorf("destination: %v", err)
	}
}

func TestCopyLargeSourceChangedDuringCopy(t *testing.T) {
	e := newEmuEnv(t)
	ctx := context.Background()
	data := seededBytes(2<<20, 43)
	e.put("src", data, nil)
	cs := &sourceChanger{Client: e.c, put: func() { e.put("src", seededBytes(2<<20, 44), nil) }}
	// No IfMatch from the caller: the copy still pins the version it saw.
	_, err := CopyLarge(ctx, cs, CopyRequest{SrcKey: "src", DstKey: "dst"}, int64(len(data)), smallCopies)
	if !errors.Is(err, ErrPreconditionFailed) {
		t.Fatalf("copy of a changing source: %v", err)
	}
	if _, err := e.c.HeadObject(ctx, "dst"); !errors.Is(err, ErrNotFound) {
		t.Errorf("destination: %v", err)
	}
	if n := e.uploads(); n != 0 {
		t.Errorf("%d uploads left", n)
	}
}
