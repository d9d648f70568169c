package ossio

import (
	"bytes"
	"context"
	"errors"
	"hash/crc64"
	"sync"
	"testing"
)

func TestUploadFileSmallIsOnePut(t *testing.T) {
	for _, size := range []int{0, 1000, DefaultPartSize} {
		e := newEmuEnv(t)
		data := seededBytes(size, 20)
		res, err := UploadFile(context.Background(), e.c, "k", bytes.NewReader(data), int64(size),
			ObjectMeta{ContentType: "text/plain", Meta: map[string]string{"a": "b"}}, UploadOptions{}, nil)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if st := e.emu.Stats(); st.Total() != 1 || st.Requests["PutObject"] != 1 {
			t.Errorf("size %d: requests %v", size, st)
		}
		if res.Size != int64(size) || res.CRC64 != crc64.Checksum(data, crcTable) || !bytes.Equal(e.get("k"), data) {
			t.Errorf("size %d: result %+v or content differs", size, res)
		}
	}
}

func TestUploadFileMultipart(t *testing.T) {
	e := newEmuEnv(t)
	ctx := context.Background()
	data := seededBytes(20<<20, 21)
	res, err := UploadFile(ctx, e.c, "k", bytes.NewReader(data), int64(len(data)),
		ObjectMeta{Meta: map[string]string{"mtime": "1"}}, UploadOptions{PartSize: 8 << 20}, nil)
	if err != nil {
		t.Fatal(err)
	}
	st := e.emu.Stats()
	if st.Requests["InitiateMultipartUpload"] != 1 || st.Requests["UploadPart"] != 3 ||
		st.Requests["CompleteMultipartUpload"] != 1 || st.Total() != 5 {
		t.Errorf("requests: %v", st)
	}
	if res.CRC64 != crc64.Checksum(data, crcTable) || res.Size != int64(len(data)) {
		t.Errorf("result %+v", res)
	}
	if !bytes.Equal(e.get("k"), data) {
		t.Error("content differs")
	}
	if info, err := e.c.HeadObject(ctx, "k"); err != nil || info.Meta["mtime"] != "1" {
		t.Errorf("head %+v, %v", info, err)
	}
}

// overwrite stores an object of size bytes and returns its ETag and a new
// version with 4 KiB changed at offset at, with the ranges they share.
func overwrite(e *emuEnv, key string, size, at int) (newData []byte, etag string, same []Range) {
	old := seededBytes(size, 22)
	etag = e.put(key, old, nil)
	newData = bytes.Clone(old)
	copy(newData[at:], seededBytes(4<<10, 23))
	return newData, etag, []Range{{0, int64(at)}, {int64(at + 4<<10), int64(size - at - 4<<10)}}
}

func TestUploadFileCopiesUnchangedRanges(t *testing.T) {
	e := newEmuEnv(t)
	newData, etag, same := overwrite(e, "big", 64<<20, 30<<20)
	e.emu.ResetStats()
	res, err := UploadFile(context.Background(), e.c, "big", bytes.NewReader(newData), int64(len(newData)),
		ObjectMeta{}, UploadOptions{}, &CopyRanges{SrcKey: "big", SrcETag: etag, Ranges: same})
	if err != nil {
		t.Fatal(err)
	}
	st := e.emu.Stats()
	// [0, 30 MiB) copied, [30 MiB, +100 KiB) sent (the 4 KiB grown to the
	// minimum part), the rest copied.
	if st.Requests["HeadObject"] != 1 || st.Requests["UploadPartCopy"] != 2 || st.Requests["UploadPart"] != 1 || st.Total() != 6 {
		t.Errorf("requests: %v", st)
	}
	if sent := st.BytesInByOp["UploadPart"]; sent != MinPartSize || sent > 2*DefaultPartSize {
		t.Errorf("%d bytes uploaded", sent)
	}
	if !bytes.Equal(e.get("big"), newData) {
		t.Error("content differs")
	}
	if res.CRC64 != crc64.Checksum(newData, crcTable) {
		t.Errorf("CRC %d", res.CRC64)
	}
}

func TestUploadFileStaleSourceFails(t *testing.T) {
	e := newEmuEnv(t)
	ctx := context.Background()
	newData, etag, same := overwrite(e, "big", 4<<20, 3<<20)
	old := e.get("big")
	_, err := UploadFile(ctx, e.c, "big", bytes.NewReader(newData), int64(len(newData)),
		ObjectMeta{}, UploadOptions{PartSize: 1 << 20}, &CopyRanges{SrcKey: "big", SrcETag: etag + "0", Ranges: same})
	if !errors.Is(err, ErrPreconditionFailed) {
		t.Fatalf("upload over a changed source: %v", err)
	}
	if e.uploads() != 0 || !bytes.Equal(e.get("big"), old) {
		t.Error("upload left behind or object changed")
	}
	if n := e.requests("InitiateMultipartUpload"); n != 0 {
		t.Errorf("%d uploads initiated", n)
	}
}

// sourceChanger overwrites the source object before the first part copy.
type sourceChanger struct {
	Client
	once sync.Once
	put  func()
}

func (c *sourceChanger) UploadPartCopy(ctx context.Context, req UploadPartCopyRequest) (Part, error) {
	c.once.Do(c.put)
	return c.Client.UploadPartCopy(ctx, req)
}

func TestUploadFileSourceChangedDuringUpload(t *testing.T) {
	e := newEmuEnv(t)
	newData, etag, same := overwrite(e, "big", 4<<20, 3<<20)
	sc := &sourceChanger{Client: e.c, put: func() { e.put("big", seededBytes(100, 25), nil) }}
	_, err := UploadFile(context.Background(), sc, "big", bytes.NewReader(newData), int64(len(newData)),
		ObjectMeta{}, UploadOptions{PartSize: 1 << 20}, &CopyRanges{SrcKey: "big", SrcETag: etag, Ranges: same})
	if !errors.Is(err, ErrPreconditionFailed) {
		t.Fatalf("upload over a source changing: %v", err)
	}
	if e.uploads() != 0 || len(e.get("big")) != 100 {
		t.Error("upload left behind or object changed")
	}
}

func TestUploadFileRangesBeyondSourceAreSent(t *testing.T) {
	e := newEmuEnv(t)
	old := seededBytes(2<<20, 26)
	etag := e.put("src", old, nil)
	// The new object is the old one and 2 MiB more; the caller claims all
	// 4 MiB are unchanged.
	newData := append(bytes.Clone(old), seededBytes(2<<20, 27)...)
	e.emu.ResetStats()
	_, err := UploadFile(context.Background(), e.c, "dst", bytes.NewReader(newData), int64(len(newData)),
		ObjectMeta{}, UploadOptions{PartSize: 1 << 20}, &CopyRanges{SrcKey: "src", SrcETag: etag, Ranges: []Range{{0, 4 << 20}}})
	if err != nil {
		t.Fatal(err)
	}
	if st := e.emu.Stats(); st.BytesInByOp["UploadPart"] != 2<<20 || st.Requests["UploadPartCopy"] != 1 {
		t.Errorf("requests %v, %d bytes sent", st, st.BytesInByOp["UploadPart"])
	}
	if !bytes.Equal(e.get("dst"), newData) {
		t.Error("content differs")
	}
}

func TestUploadFilePartFailureAborts(t *testing.T) {
	e := newEmuEnv(t, withoutRetries)
	ctx := context.Background()
	data := seededBytes(3<<20, 24)
	e.failOps(1, "503", "UploadPart")
	_, err := UploadFile(ctx, e.c, "k", bytes.NewReader(data), int64(len(data)), ObjectMeta{}, UploadOptions{PartSize: 1 << 20}, nil)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("upload: %v", err)
	}
	if e.uploads() != 0 || e.requests("AbortMultipartUpload") != 1 {
		t.Errorf("%d uploads left, %d aborts", e.uploads(), e.requests("AbortMultipartUpload"))
	}
	if _, err := e.c.HeadObject(ctx, "k"); !errors.Is(err, ErrNotFound) {
		t.Errorf("head: %v", err)
	}
}
