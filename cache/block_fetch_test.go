package cache

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func TestBlockFetchSingleflight(t *testing.T) {
	const n = 50
	c := newBlocks(t, 10, 100)
	w, hook := newWaiters(n)
	c.testHookWaiting = hook
	release := make(chan struct{})
	var calls atomic.Int32
	fn := func(context.Context) ([]byte, error) {
		calls.Add(1)
		<-release
		return []byte("data"), nil
	}
	errs := make(chan error, n)
	for range n {
		go func() {
			data, err := c.Fetch(context.Background(), "k", "e", 3, fn)
			if err == nil && string(data) != "data" {
				err = fmt.Errorf("got %q", data)
			}
			errs <- err
		}()
	}
	w.wait()
	close(release)
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := calls.Load(); got != 1 {
		t.Fatalf("fn called %d times, want 1", got)
	}
	if st := c.Stats(); st.Fetches != 1 || st.Misses != n {
		t.Fatalf("Stats() = %+v", st)
	}
	if _, ok := c.Get("k", "e", 3); !ok {
		t.Fatal("fetched block not cached")
	}
}

// TestBlockFetchBlocksAreIndependent checks that fetches of two blocks run at
// once: each fn waits for the other to start.
func TestBlockFetchBlocksAreIndependent(t *testing.T) {
	c := newBlocks(t, 10, 100)
	started := [2]chan struct{}{make(chan struct{}), make(chan struct{})}
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			_, err := c.Fetch(context.Background(), "k", "e", int64(i), func(context.Context) ([]byte, error) {
				close(started[i])
				<-started[1-i]
				return block('x', 10), nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if c.Len() != 2 || c.Stats().Fetches != 2 {
		t.Fatalf("Len() = %d, Stats() = %+v", c.Len(), c.Stats())
	}
}

func TestBlockFetchErrors(t *testing.T) {
	c := newBlocks(t, 10, 100)
	ctx := context.Background()
	boom := errors.New("boom")
	if _, err := c.Fetch(ctx, "k", "e", 0, func(context.Context) ([]byte, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("Fetch error = %v, want %v", err, boom)
	}
	_, err := c.Fetch(ctx, "k", "e", 0, func(context.Context) ([]byte, error) { return block('x', 11), nil })
	if err == nil || !strings.Contains(err.Error(), "more than the block size") {
		t.Fatalf("oversized block: err = %v", err)
	}
	if _, err := c.Fetch(ctx, "k", "e", -1, nil); err == nil {
		t.Fatal("negative index: no error")
	}
	if c.Len() != 0 {
		t.Fatal("an error was cached")
	}
	data, err := c.Fetch(ctx, "k", "e", 0, func(context.Context) ([]byte, error) { return []byte("ok"), nil })
	if err != nil || string(data) != "ok" {
		t.Fatalf("Fetch after errors = (%q, %v)", data, err)
	}
}

func TestBlockInvalidateDuringFetch(t *testing.T) {
	c := newBlocks(t, 10, 100)
	started, release := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		data, err := c.Fetch(context.Background(), "k", "old", 0, func(context.Context) ([]byte, error) {
			close(started)
			<-release
			return []byte("old"), nil
		})
		if err == nil && string(data) != "old" {
			err = fmt.Errorf("got %q", data)
		}
		done <- err
	}()
	<-started
	c.InvalidateObject("k")
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err) // the callers still get their block
	}
	if c.Len() != 0 {
		t.Fatal("block fetched across InvalidateObject was cached")
	}
}

func TestBlockFetchCallerCancel(t *testing.T) {
	c := newBlocks(t, 10, 100)
	w, hook := newWaiters(2)
	c.testHookWaiting = hook
	release := make(chan struct{})
	fn := func(ctx context.Context) ([]byte, error) {
		<-release
		return []byte("data"), ctx.Err()
	}
	ctx, cancel := context.WithCancel(context.Background())
	canceled, patient := make(chan error), make(chan error)
	go func() { _, err := c.Fetch(ctx, "k", "e", 0, fn); canceled <- err }()
	go func() { _, err := c.Fetch(context.Background(), "k", "e", 0, fn); patient <- err }()
	w.wait()
	cancel()
	if err := <-canceled; !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled caller: %v", err)
	}
	close(release)
	if err := <-patient; err != nil {
		t.Fatalf("waiting caller: %v", err)
	}
	if _, ok := c.Get("k", "e", 0); !ok {
		t.Fatal("block not cached")
	}
}
