package ossio

import (
	"bytes"
	"context"
	"errors"
	"hash/crc64"
	"sync"
	"testing"
)

// Failures: a failed request leaves every byte needed to retry.

// heldParts holds every UploadPart until the part numbered last is sent,
// then lets them all go to OSS at once.
type heldParts struct {
	Client
	last    int
	release chan struct{}
	once    sync.Once
}

func (c *heldParts) UploadPart(ctx context.Context, req UploadPartRequest) (Part, error) {
	if req.Number == c.last {
		c.once.Do(func() { close(c.release) })
	}
	select {
	case <-c.release:
	case <-ctx.Done():
		return Part{}, ctx.Err()
	}
	return c.Client.UploadPart(ctx, req)
}

// TestUploadCloseRetriesFailedPart checks that a part failing while Close
// waits for it fails that Close, keeps its bytes, and that the next Close
// sends it alone before completing.
//
// The failure must land while Close waits: a part that failed before
// (while Writes went on) is retried by the next Write or by Close itself,
// and that Close succeeds. So the parts are held until Close sends the
// last one, part 3, which it does only after taking the failed parts for
// a retry.
func TestUploadCloseRetriesFailedPart(t *testing.T) {
	e := newEmuEnv(t, withoutRetries)
	ctx := context.Background()
	old := seededBytes(1000, 4)
	e.put("k", old, nil)
	b := newTestBudget(t, 4<<20)
	const part = 256 << 10
	data := seededBytes(5*part/2, 5) // parts of 256, 256 and 128 KiB
	held := &heldParts{Client: e.c, last: 3, release: make(chan struct{})}
	u := NewUpload(held, "k", ObjectMeta{}, UploadOptions{PartSize: part, Budget: b})
	e.failOps(1, "503", "UploadPart")
	writeInPieces(t, u, data, 96<<10)
	_, err := u.Close(ctx)
	if !errors.Is(err, ErrUnavailable) || u.stateNow() != stateFailed {
		t.Fatalf("Close: %v in state %v, want ErrUnavailable", err, u.stateNow())
	}
	if !bytes.Equal(e.get("k"), old) {
		t.Error("the old object changed")
	}
	if inUse, _ := b.held(); inUse < part/2 {
		t.Errorf("only %d bytes held after a failed part", inUse)
	}
	if n := e.requests("CompleteMultipartUpload"); n != 0 {
		t.Errorf("%d completions with a part missing", n)
	}

	e.clearFaults()
	e.emu.ResetStats()
	res, err := u.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st := e.emu.Stats()
	if st.Requests["UploadPart"] != 1 || st.Requests["CompleteMultipartUpload"] != 1 || st.Total() != 2 {
		t.Errorf("retry requests: %v, want 1 UploadPart and the Complete", st)
	}
	if !bytes.Equal(e.get("k"), data) || res.CRC64 != crc64.Checksum(data, crcTable) {
		t.Error("content differs")
	}
	if inUse, _ := b.held(); inUse != 0 {
		t.Errorf("%d bytes held after Close", inUse)
	}
}

func TestUploadCloseRetriesComplete(t *testing.T) {
	e := newEmuEnv(t, withoutRetries)
	ctx := context.Background()
	data := seededBytes(1<<20, 6)
	u := NewUpload(e.c, "k", ObjectMeta{}, UploadOptions{PartSize: 256 << 10})
	writeInPieces(t, u, data, len(data))
	e.failOps(1, "503", "CompleteMultipartUpload")
	if _, err := u.Close(ctx); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Close: %v", err)
	}
	e.emu.ResetStats()
	if _, err := u.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if st := e.emu.Stats(); st.Total() != 1 || st.Requests["CompleteMultipartUpload"] != 1 {
		t.Errorf("retry requests: %v", st)
	}
	if !bytes.Equal(e.get("k"), data) {
		t.Error("content differs")
	}
}

func TestUploadCompleteAnswerLost(t *testing.T) {
	e := newEmuEnv(t, withoutRetries)
	ctx := context.Background()
	data := seededBytes(1<<20, 11)
	u := NewUpload(e.c, "k", ObjectMeta{}, UploadOptions{PartSize: 256 << 10})
	writeInPieces(t, u, data, len(data))
	// The emulator completes the upload, then cuts the answer short.
	e.failOps(1, "truncate", "CompleteMultipartUpload")
	if _, err := u.Close(ctx); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Close without an answer: %v", err)
	}
	e.clearFaults()
	e.emu.ResetStats()
	res, err := u.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The replayed Complete finds no upload; the object shows it landed.
	st := e.emu.Stats()
	if st.Requests["CompleteMultipartUpload"] != 1 || st.Requests["HeadObject"] != 1 || st.Total() != 2 {
		t.Errorf("requests: %v", st)
	}
	if res.CRC64 != crc64.Checksum(data, crcTable) || res.Size != int64(len(data)) || !bytes.Equal(e.get("k"), data) {
		t.Errorf("result %+v or content differs", res)
	}
}

func TestUploadSinglePutRetry(t *testing.T) {
	e := newEmuEnv(t, withoutRetries)
	ctx := context.Background()
	u := NewUpload(e.c, "k", ObjectMeta{}, UploadOptions{})
	writeInPieces(t, u, []byte("hello"), 5)
	e.failOps(1, "503", "PutObject")
	if _, err := u.Close(ctx); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Close: %v", err)
	}
	// After Close, only Close and Abort remain.
	if err := u.Write(ctx, []byte(", world")); !errors.Is(err, ErrUploadClosed) {
		t.Errorf("Write after a failed Close: %v", err)
	}
	if _, err := u.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := e.get("k"); string(got) != "hello" {
		t.Errorf("content %q", got)
	}
}

func TestUploadWriteAfterFailedPart(t *testing.T) {
	e := newEmuEnv(t, withoutRetries)
	ctx := context.Background()
	const part = 256 << 10
	first, second, third := seededBytes(part, 7), seededBytes(1000, 8), seededBytes(part, 9)
	u := NewUpload(e.c, "k", ObjectMeta{}, UploadOptions{PartSize: part})
	e.failOps(0, "503", "UploadPart")
	writeInPieces(t, u, first, part) // part 1 is full: it goes up and fails
	if err := u.drain(ctx); err != nil {
		t.Fatal(err)
	}
	if s := u.stateNow(); s != stateFailed {
		t.Fatalf("state %v after a failed part", s)
	}
	// The Write retries part 1, fails again, and appends nothing.
	if err := u.Write(ctx, second); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Write: %v", err)
	}
	if u.Size() != part {
		t.Errorf("size %d after a refused write", u.Size())
	}
	e.clearFaults()
	writeInPieces(t, u, third, 1000) // retries part 1, then goes on
	if _, err := u.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := e.get("k"); !bytes.Equal(got, append(first, third...)) {
		t.Errorf("content: %d bytes, want %d", len(got), len(first)+len(third))
	}
}

func TestUploadFailedPartInterruptsBudgetWait(t *testing.T) {
	e := newEmuEnv(t, withoutRetries)
	ctx := context.Background()
	const part = 256 << 10
	b := newTestBudget(t, part) // the failed part keeps all of it
	data := seededBytes(2*part, 12)
	u := NewUpload(e.c, "k", ObjectMeta{}, UploadOptions{PartSize: part, Budget: b})
	e.failOps(0, "503", "UploadPart")
	if err := u.Write(ctx, data); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Write: %v", err)
	}
	if u.Size() != part {
		t.Errorf("size %d", u.Size())
	}
	e.clearFaults()
	if _, err := u.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(e.get("k"), data[:part]) {
		t.Error("content differs")
	}
	if inUse, _ := b.held(); inUse != 0 {
		t.Errorf("%d bytes held", inUse)
	}
}
