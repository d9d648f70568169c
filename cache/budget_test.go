package cache

import (
	"context"
	"errors"
	"testing"
	"time"
)

func newBudget(t *testing.T, max int64) *Budget {
	t.Helper()
	b, err := NewBudget(max)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBudgetAcquireRelease(t *testing.T) {
	b := newBudget(t, 100)
	ctx := context.Background()
	if err := b.Acquire(ctx, 60); err != nil {
		t.Fatal(err)
	}
	if !b.TryAcquire(40) {
		t.Fatal("TryAcquire(40) failed with 40 free")
	}
	if b.InUse() != 100 {
		t.Fatalf("InUse() = %d, want 100", b.InUse())
	}
	if b.TryAcquire(1) {
		t.Fatal("TryAcquire(1) succeeded on a full budget")
	}
	b.Release(60)
	b.Release(40)
	if b.InUse() != 0 {
		t.Fatalf("InUse() = %d, want 0", b.InUse())
	}
}

func TestBudgetAcquireWaitsForRelease(t *testing.T) {
	b := newBudget(t, 100)
	ctx := context.Background()
	if err := b.Acquire(ctx, 80); err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- b.Acquire(ctx, 50) }()
	select {
	case err := <-done:
		t.Fatalf("Acquire(50) returned %v with only 20 free", err)
	default:
	}
	b.Release(80)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if b.InUse() != 50 {
		t.Fatalf("InUse() = %d, want 50", b.InUse())
	}
}

func TestBudgetAcquireCanceled(t *testing.T) {
	b := newBudget(t, 100)
	if !b.TryAcquire(100) {
		t.Fatal("TryAcquire(100) failed")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- b.Acquire(ctx, 10) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Acquire = %v, want context.Canceled", err)
	}
	b.Release(100)
	if b.InUse() != 0 || !b.TryAcquire(100) {
		t.Fatalf("a canceled Acquire kept bytes: InUse() = %d", b.InUse())
	}
}

func TestBudgetOverMaxFailsFast(t *testing.T) {
	b := newBudget(t, 100)
	// The deadline only guards against a hang; failing fast returns before it.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := b.Acquire(ctx, 101); !errors.Is(err, ErrOverBudget) {
		t.Fatalf("Acquire(101) = %v, want ErrOverBudget", err)
	}
	if b.TryAcquire(101) || b.TryAcquire(-1) {
		t.Fatal("TryAcquire of an impossible size succeeded")
	}
	if err := b.Acquire(ctx, -1); err == nil {
		t.Fatal("Acquire(-1): no error")
	}
	if b.InUse() != 0 {
		t.Fatalf("InUse() = %d", b.InUse())
	}
	if _, err := NewBudget(0); err == nil {
		t.Fatal("NewBudget(0): no error")
	}
}

// TestBudgetFIFO: a waiting request is served before later ones, small or
// not, and a TryAcquire does not pass it.
func TestBudgetFIFO(t *testing.T) {
	b := newBudget(t, 100)
	ctx := context.Background()
	if err := b.Acquire(ctx, 80); err != nil {
		t.Fatal(err)
	}
	big := make(chan error)
	go func() { big <- b.Acquire(ctx, 50) }()
	waitWaiting(t, b, 50)
	if b.TryAcquire(10) {
		t.Fatal("TryAcquire(10) passed a waiting Acquire(50)")
	}
	small := make(chan error)
	go func() { small <- b.Acquire(ctx, 10) }()
	waitWaiting(t, b, 60)
	b.Release(80)
	if err := <-big; err != nil {
		t.Fatal(err)
	}
	if err := <-small; err != nil {
		t.Fatal(err)
	}
	if b.InUse() != 60 || b.Waiting() != 0 {
		t.Fatalf("InUse() = %d, Waiting() = %d; want 60, 0", b.InUse(), b.Waiting())
	}
}

// TestBudgetCanceledWaiterLetsOthersThrough: when the first waiter gives
// up, those behind it that fit are served at once.
func TestBudgetCanceledWaiterLetsOthersThrough(t *testing.T) {
	b := newBudget(t, 100)
	if err := b.Acquire(context.Background(), 70); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	big := make(chan error)
	go func() { big <- b.Acquire(ctx, 50) }()
	waitWaiting(t, b, 50)
	small := make(chan error)
	go func() { small <- b.Acquire(context.Background(), 30) }()
	waitWaiting(t, b, 80)
	cancel()
	if err := <-big; !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled Acquire = %v", err)
	}
	if err := <-small; err != nil {
		t.Fatal(err)
	}
	if b.InUse() != 100 || b.Waiting() != 0 {
		t.Fatalf("InUse() = %d, Waiting() = %d; want 100, 0", b.InUse(), b.Waiting())
	}
}

func TestBudgetReleaseTooMuchPanics(t *testing.T) {
	b := newBudget(t, 100)
	if !b.TryAcquire(10) {
		t.Fatal("TryAcquire(10) failed")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Release of more than is held did not panic")
		}
	}()
	b.Release(11)
}

// waitWaiting waits until the Acquire calls waiting on b want n bytes.
func waitWaiting(t *testing.T, b *Budget, n int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for b.Waiting() != n {
		if time.Now().After(deadline) {
			t.Fatalf("Waiting() = %d after 10s, want %d", b.Waiting(), n)
		}
		time.Sleep(time.Millisecond)
	}
}
