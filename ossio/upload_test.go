package ossio

import (
	"bytes"
	"context"
	"errors"
	"hash/crc64"
	"testing"
)

// writeInPieces writes data in pieces of n bytes.
func writeInPieces(t *testing.T, u *Upload, data []byte, n int) {
	t.Helper()
	for len(data) > 0 {
		k := min(n, len(data))
		if err := u.Write(context.Background(), data[:k]); err != nil {
			t.Fatalf("write at %d: %v", u.Size(), err)
		}
		data = data[k:]
	}
}

func TestUploadSmallIsOnePut(t *testing.T) {
	e := newEmuEnv(t)
	ctx := context.Background()
	data := seededBytes(1000, 1)
	u := NewUpload(e.c, "small", ObjectMeta{ContentType: "text/plain", Meta: map[string]string{"mode": "644"}}, UploadOptions{})
	writeInPieces(t, u, data, 300)
	if u.Size() != 1000 || u.stateNow() != stateOpen {
		t.Fatalf("size %d, state %v", u.Size(), u.stateNow())
	}
	res, err := u.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st := e.emu.Stats(); st.Total() != 1 || st.Requests["PutObject"] != 1 {
		t.Errorf("requests: %v", st)
	}
	if !bytes.Equal(e.get("small"), data) {
		t.Error("content differs")
	}
	info, err := e.c.HeadObject(ctx, "small")
	if err != nil || info.ContentType != "text/plain" || info.Meta["mode"] != "644" {
		t.Errorf("head: %+v, %v", info, err)
	}
	want := UploadResult{ETag: info.ETag, CRC64: crc64.Checksum(data, crcTable), Size: 1000}
	if res != want {
		t.Errorf("result %+v, want %+v", res, want)
	}
	// Done: Close answers again without a request; Write is refused.
	e.emu.ResetStats()
	if again, err := u.Close(ctx); err != nil || again != res {
		t.Errorf("second Close: %+v, %v", again, err)
	}
	if err := u.Write(ctx, []byte("x")); !errors.Is(err, ErrUploadClosed) {
		t.Errorf("Write after Close: %v", err)
	}
	if err := u.Abort(ctx); err != nil {
		t.Errorf("Abort after Close: %v", err)
	}
	if st := e.emu.Stats(); st.Total() != 0 {
		t.Errorf("requests after Close: %v", st)
	}
}

// stateNow returns u's state, for tests.
func (u *Upload) stateNow() uploadState {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.state
}

func TestUploadEmptyIsOnePut(t *testing.T) {
	e := newEmuEnv(t)
	res, err := NewUpload(e.c, "empty", ObjectMeta{}, UploadOptions{}).Close(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st := e.emu.Stats(); st.Total() != 1 || st.Requests["PutObject"] != 1 {
		t.Errorf("requests: %v", st)
	}
	if res.Size != 0 || res.CRC64 != 0 || len(e.get("empty")) != 0 {
		t.Errorf("result %+v", res)
	}
}

func TestUploadMultipart(t *testing.T) {
	e := newEmuEnv(t)
	ctx := context.Background()
	data := seededBytes(20<<20, 2)
	u := NewUpload(e.c, "dir/big", ObjectMeta{ContentType: "video/mp4", Meta: map[string]string{"uid": "7"}}, UploadOptions{PartSize: 8 << 20})
	writeInPieces(t, u, data, 1<<20+7)
	if s := u.stateNow(); s != stateUploading {
		t.Errorf("state while writing: %v", s)
	}
	res, err := u.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st := e.emu.Stats()
	if st.Requests["InitiateMultipartUpload"] != 1 || st.Requests["UploadPart"] != 3 ||
		st.Requests["CompleteMultipartUpload"] != 1 || st.Total() != 5 {
		t.Errorf("requests: %v", st)
	}
	crc := crc64.Checksum(data, crcTable)
	if res.CRC64 != crc || res.Size != int64(len(data)) || res.ETag == "" {
		t.Errorf("result %+v, want CRC %d", res, crc)
	}
	if !bytes.Equal(e.get("dir/big"), data) {
		t.Error("content differs")
	}
	info, err := e.c.HeadObject(ctx, "dir/big")
	if err != nil || info.Type != TypeMultipart || info.ContentType != "video/mp4" || info.Meta["uid"] != "7" || info.CRC64 != crc {
		t.Errorf("head: %+v, %v", info, err)
	}
}

func TestUploadBudgetAndParallelism(t *testing.T) {
	for _, tc := range []struct {
		name     string
		budget   int64
		parallel int
	}{
		{"roomy", 4 << 20, 3},
		{"three parts", 768 << 10, 2},
		{"one part", 256 << 10, 4}, // each part waits for the one before
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEmuEnv(t)
			pc := &parallelClient{Client: e.c}
			b := newTestBudget(t, tc.budget)
			data := seededBytes(5<<20+12345, 3)
			u := NewUpload(pc, "k", ObjectMeta{}, UploadOptions{PartSize: 256 << 10, Parallelism: tc.parallel, Budget: b})
			writeInPieces(t, u, data, 100<<10)
			if _, err := u.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
			inUse, peak := b.held()
			if inUse != 0 || peak > tc.budget || peak == 0 {
				t.Errorf("budget: %d in use after Close, peak %d of %d", inUse, peak, tc.budget)
			}
			if n := pc.maxInFlight(); n > tc.parallel || n < 1 {
				t.Errorf("%d parts in flight, parallelism %d", n, tc.parallel)
			}
			if parts := e.requests("UploadPart"); parts != 21 {
				t.Errorf("%d UploadPart requests, want 21", parts)
			}
			if !bytes.Equal(e.get("k"), data) {
				t.Error("content differs")
			}
		})
	}
}

func TestUploadAbort(t *testing.T) {
	e := newEmuEnv(t)
	ctx := context.Background()
	b := newTestBudget(t, 8<<20)
	u := NewUpload(e.c, "k", ObjectMeta{}, UploadOptions{PartSize: 256 << 10, Budget: b})
	writeInPieces(t, u, seededBytes(1<<20+100, 10), 64<<10)
	if e.uploads() != 1 {
		t.Fatalf("%d uploads in progress while writing", e.uploads())
	}
	if err := u.Abort(ctx); err != nil {
		t.Fatal(err)
	}
	if n := e.uploads(); n != 0 {
		t.Errorf("%d uploads left after Abort", n)
	}
	if _, err := e.c.HeadObject(ctx, "k"); !errors.Is(err, ErrNotFound) {
		t.Errorf("head after Abort: %v", err)
	}
	if inUse, _ := b.held(); inUse != 0 {
		t.Errorf("%d bytes held after Abort", inUse)
	}
	if err := u.Write(ctx, []byte("x")); !errors.Is(err, ErrUploadClosed) {
		t.Errorf("Write after Abort: %v", err)
	}
	if _, err := u.Close(ctx); !errors.Is(err, ErrUploadClosed) {
		t.Errorf("Close after Abort: %v", err)
	}
	if err := u.Abort(ctx); err != nil {
		t.Errorf("second Abort: %v", err)
	}
	if s := u.stateNow(); s.String() != "aborted" {
		t.Errorf("state %v", s)
	}
}

func TestUploadAbortBeforeAnyPartSendsNothing(t *testing.T) {
	e := newEmuEnv(t)
	b := newTestBudget(t, 1<<20)
	u := NewUpload(e.c, "k", ObjectMeta{}, UploadOptions{Budget: b})
	writeInPieces(t, u, []byte("abc"), 3)
	if err := u.Abort(context.Background()); err != nil {
		t.Fatal(err)
	}
	if inUse, _ := b.held(); inUse != 0 || e.emu.Stats().Total() != 0 {
		t.Errorf("held %d, requests %v", inUse, e.emu.Stats())
	}
}

func TestUploadRefusesPartBeyondMax(t *testing.T) {
	u := NewUpload(nil, "k", ObjectMeta{}, UploadOptions{})
	u.parts = make([]*upPart, MaxParts)
	if err := u.Write(context.Background(), []byte("x")); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Write of part %d: %v", MaxParts+1, err)
	}
}

func TestPartSizeSchedule(t *testing.T) {
	const first = DefaultPartSize
	for n, want := range map[int]int64{1: first, 1000: first, 1001: 2 * first, 5001: 32 * first, 9001: 512 * first} {
		if got := partSizeFor(first, n); got != want {
			t.Errorf("part %d: %d, want %d", n, got, want)
		}
	}
	if got := partSizeFor(1<<30, 10000); got != MaxPartSize {
		t.Errorf("large parts: %d", got)
	}
	var total int64
	for n := 1; n <= MaxParts; n++ {
		total += partSizeFor(first, n)
	}
	// 1000 parts each of 1, 2, 4, ... 512 times the first: ~8 TiB.
	if want := int64(1000 * 1023 * first); total != want {
		t.Errorf("10000 parts hold %d bytes, want %d", total, want)
	}
}

func TestUploadStateString(t *testing.T) {
	want := []string{"open", "uploading", "failed", "done", "aborted", "invalid"}
	for s := stateOpen; s <= stateAborted+1; s++ {
		if s.String() != want[s] {
			t.Errorf("%d: %q", s, s.String())
		}
	}
}
