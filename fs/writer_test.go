package fs

import (
	"bytes"
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	"github.com/ossfuse/ossfuse/ossio"
)

// TestStageLimitSpoilsTheWrite bounds the stages at 1 MiB: a write past
// the bound fails with ENOSPC, as on a full disk, and from then on the
// file's content is never uploaded (close reports it); once the stage is
// dropped its bytes are no longer counted.
func TestStageLimitSpoilsTheWrite(t *testing.T) {
	e := newWriteEnv(t)
	f, err := New(Options{Client: e.client, CacheDir: e.cacheDir, RecoveryDir: e.recovery, StageLimit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close(context.Background())
	ctx := context.Background()
	w := write(t, f, "f", testBytes(512<<10, 3), 0, true)
	if _, err := w.write(ctx, testBytes(1<<20, 4), 512<<10); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("write past stage_limit: %v, want ENOSPC", err)
	}
	if err := w.flush(ctx, flushClose); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("close after the lost write: %v, want ENOSPC", err)
	}
	if _, err := e.client.HeadObject(ctx, "f"); !errors.Is(err, ossio.ErrNotFound) {
		t.Errorf("the spoiled file reached the bucket (%v)", err)
	}
	w.release(ctx, true)
	if used := f.stageUsage.used.Load(); used != 0 {
		t.Errorf("%d stage bytes still counted after the stage was dropped", used)
	}
	g := write(t, f, "g", testBytes(1<<20, 5), 0, true)
	if err := g.flush(ctx, flushClose); err != nil {
		t.Errorf("a file within the bound, once the other is gone: %v", err)
	}
}

// TestCloseOfOnlyEmptiedFileWaitsForRelease: a file an open created (or
// emptied with O_TRUNC) and nothing written to yet is not uploaded by an
// intermediate close, only by its release; fsync uploads it at once.
func TestCloseOfOnlyEmptiedFileWaitsForRelease(t *testing.T) {
	e := newWriteEnv(t)
	f := e.mount(t)
	defer f.Close(context.Background())
	ctx := context.Background()
	e.put(t, "old", []byte("old content"))
	w, err := f.attachWriter(ctx, "old", true, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.flush(ctx, flushClose); err != nil {
		t.Fatal(err)
	}
	if got := e.body(t, "old"); string(got) != "old content" {
		t.Errorf("after an intermediate close of a truncating open the object holds %q", got)
	}
	w.release(ctx, true)
	if got := e.body(t, "old"); len(got) != 0 {
		t.Errorf("after the release the object holds %q, want it emptied", got)
	}

	n := write(t, f, "new", nil, 0, true)
	if err := n.flush(ctx, flushSync); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.HeadObject(ctx, "new"); err != nil {
		t.Errorf("fsync of a new empty file: %v, want it in the bucket", err)
	}
	n.release(ctx, true)
}

// TestStreamGivesUpWaitingForBudget holds the whole memory budget while a
// file is written sequentially past a part: its stream cannot get a part
// buffer, and instead of waiting for ever under the writer's lock it is
// dropped after StreamWait; the write succeeds and the close uploads the
// file from its stage.
func TestStreamGivesUpWaitingForBudget(t *testing.T) {
	e := newWriteEnv(t)
	f, err := New(Options{Client: e.client, CacheDir: e.cacheDir, RecoveryDir: e.recovery, PartSize: ossio.MinPartSize,
		MemoryBudget: 32 << 20, StreamWait: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close(context.Background())
	ctx := context.Background()
	if err := f.budget.Acquire(ctx, 32<<20); err != nil {
		t.Fatal(err)
	}
	data := testBytes(12<<20, 7)
	done := make(chan *writer, 1)
	go func() { done <- write(t, f, "big.bin", data, 0, true) }()
	var w *writer
	select {
	case w = <-done:
	case <-time.After(time.Minute):
		t.Fatal("a write waiting for budget its stream cannot get still waits after a minute")
	}
	f.budget.Release(32 << 20)
	if err := w.flush(ctx, flushClose); err != nil {
		t.Fatalf("close: %v", err)
	}
	if got := e.body(t, "big.bin"); !bytes.Equal(got, data) {
		t.Errorf("big.bin: %d bytes, want the %d written", len(got), len(data))
	}
	w.release(ctx, true)
}
