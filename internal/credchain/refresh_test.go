package credchain

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"
	"github.com/sirupsen/logrus"
	logtest "github.com/sirupsen/logrus/hooks/test"
)

// waitBound bounds every wait of these tests for a background fetch.
const waitBound = 5 * time.Second

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time // GUARDED_BY(mu)
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fakeSource hands out credentials numbered by fetch, each valid for
// lifetime from the fake clock's now; fail makes fetches fail and block
// makes them wait until released.
type fakeSource struct {
	clock    *fakeClock
	lifetime time.Duration
	fetches  atomic.Int32
	fail     atomic.Bool
	gate     chan struct{} // nil: do not block
}

func (s *fakeSource) fetch(ctx context.Context) (credentials.Credentials, error) {
	n := s.fetches.Add(1)
	if s.gate != nil {
		select {
		case <-s.gate:
		case <-ctx.Done():
			return credentials.Credentials{}, ctx.Err()
		}
	}
	if s.fail.Load() {
		return credentials.Credentials{}, errors.New("source is down")
	}
	exp := s.clock.Now().Add(s.lifetime)
	return credentials.Credentials{
		AccessKeyID:     fmt.Sprintf("id-%d", n),
		AccessKeySecret: fmt.Sprintf("%s-%d", anySecret, n),
		SecurityToken:   fmt.Sprintf("token-%d", n),
		Expires:         &exp,
	}, nil
}

func newTestRefreshing(src *fakeSource) (*refreshing, *logtest.Hook) {
	logger, hook := logtest.NewNullLogger()
	logger.SetLevel(logrus.DebugLevel)
	return newRefreshing("test source", src.fetch, src.clock.Now, logrus.NewEntry(logger)), hook
}

// idNow returns the key ID r serves now, failing the test on error.
func idNow(t *testing.T, r *refreshing) string {
	t.Helper()
	c, err := r.GetCredentials(context.Background())
	if err != nil {
		t.Fatalf("GetCredentials: %v", err)
	}
	return c.AccessKeyID
}

// waitForID polls until r serves want; the background fetch that yields it
// may still be finishing.
func waitForID(t *testing.T, r *refreshing, want string) {
	t.Helper()
	deadline := time.Now().Add(waitBound)
	for {
		got := idNow(t, r)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still serving %s after %v, want %s", got, waitBound, want)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestRefreshFiveMinutesBeforeLongLivedCredentialsExpire(t *testing.T) {
	src := &fakeSource{clock: newFakeClock(), lifetime: time.Hour}
	r, _ := newTestRefreshing(src)
	if id := idNow(t, r); id != "id-1" {
		t.Fatalf("first credentials %s, want id-1", id)
	}
	src.clock.Advance(54 * time.Minute)
	if id := idNow(t, r); id != "id-1" || src.fetches.Load() != 1 {
		t.Fatalf("6 minutes before expiry: %s after %d fetches; want id-1 and no refresh yet", id, src.fetches.Load())
	}
	src.clock.Advance(2 * time.Minute) // 4 minutes left
	if id := idNow(t, r); id != "id-1" {
		t.Fatalf("the request that starts a refresh got %s; it must not wait for it", id)
	}
	waitForID(t, r, "id-2")
	if n := src.fetches.Load(); n != 2 {
		t.Errorf("%d fetches, want 2", n)
	}
}

func TestRefreshShortLivedCredentialsAtAQuarterOfTheirLifetime(t *testing.T) {
	src := &fakeSource{clock: newFakeClock(), lifetime: 8 * time.Second}
	r, _ := newTestRefreshing(src)
	idNow(t, r)
	src.clock.Advance(5900 * time.Millisecond)
	if idNow(t, r); src.fetches.Load() != 1 {
		t.Fatalf("refreshed with 2.1s of 8s left; want to wait for a quarter (2s)")
	}
	src.clock.Advance(200 * time.Millisecond)
	idNow(t, r)
	waitForID(t, r, "id-2")
}

func TestLongLivedCredentialsAreNotRefreshed(t *testing.T) {
	calls := 0
	r := newRefreshing("static", func(context.Context) (credentials.Credentials, error) {
		calls++
		return credentials.Credentials{AccessKeyID: "id", AccessKeySecret: anySecret}, nil
	}, newFakeClock().Now, logrus.NewEntry(quietLogger()))
	for i := 0; i < 5; i++ {
		idNow(t, r)
	}
	if calls != 1 {
		t.Errorf("%d fetches of credentials without expiry, want 1", calls)
	}
}

func TestConcurrentRequestsWithoutCredentialsShareOneFetch(t *testing.T) {
	src := &fakeSource{clock: newFakeClock(), lifetime: time.Hour, gate: make(chan struct{})}
	r, _ := newTestRefreshing(src)
	const n = 50
	ids := make(chan string, n)
	for i := 0; i < n; i++ {
		go func() {
			c, err := r.GetCredentials(context.Background())
			if err != nil {
				ids <- err.Error()
				return
			}
			ids <- c.AccessKeyID
		}()
	}
	// Every caller is parked on the one fetch: none can return before the gate opens.
	deadline := time.Now().Add(waitBound)
	for src.fetches.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	close(src.gate)
	for i := 0; i < n; i++ {
		if id := <-ids; id != "id-1" {
			t.Fatalf("caller got %q, want id-1", id)
		}
	}
	if got := src.fetches.Load(); got != 1 {
		t.Errorf("%d concurrent callers ran %d fetches, want 1", n, got)
	}
}

func TestConcurrentRequestsDuringARefreshDoNotWaitNorStampede(t *testing.T) {
	src := &fakeSource{clock: newFakeClock(), lifetime: time.Hour}
	r, _ := newTestRefreshing(src)
	idNow(t, r)
	src.gate = make(chan struct{}) // the refresh will hang until released
	src.clock.Advance(58 * time.Minute)
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if c, err := r.GetCredentials(context.Background()); err != nil || c.AccessKeyID != "id-1" {
				t.Errorf("during the refresh: %q, %v; want id-1 at once", c.AccessKeyID, err)
			}
		}()
	}
	wg.Wait() // returns although the refresh is stuck: nobody waited for it
	// The refresh runs in its own goroutine, which may not have reached
	// the source yet (it did not, under load, 1 run in ~20): wait for it.
	// No other fetch can start while it is stuck at the gate.
	waitForFetches(t, src, 2)
	close(src.gate)
	waitForID(t, r, "id-2")
	if got := src.fetches.Load(); got != 2 {
		t.Errorf("%d fetches, want the first and one refresh", got)
	}
}

// waitForFetches waits until src has been asked n times, and fails the
// test if it was asked more.
func waitForFetches(t *testing.T, src *fakeSource, n int32) {
	t.Helper()
	deadline := time.Now().Add(waitBound)
	for src.fetches.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d fetches after %v, want %d", src.fetches.Load(), waitBound, n)
		}
		time.Sleep(100 * time.Microsecond)
	}
	if got := src.fetches.Load(); got != n {
		t.Errorf("%d fetches, want %d", got, n)
	}
}

func TestFailedRefreshKeepsTheCredentialsUntilTheyExpire(t *testing.T) {
	src := &fakeSource{clock: newFakeClock(), lifetime: time.Hour}
	r, hook := newTestRefreshing(src)
	idNow(t, r)
	src.fail.Store(true)
	src.clock.Advance(56 * time.Minute)
	// Four minutes of requests, one every 100ms, while the source is down.
	for i := 0; i < 2400; i++ {
		if id := idNow(t, r); id != "id-1" {
			t.Fatalf("at %v: %s, want the old id-1 while it is valid", src.clock.Now(), id)
		}
		waitIdle(t, r)
		src.clock.Advance(100 * time.Millisecond)
	}
	// Retries are spaced, not one per request (2400 here): every
	// maxRetryDelay at first, then a quarter of the time left, so about 30
	// in all.
	if got := src.fetches.Load(); got < 8 || got > 40 {
		t.Errorf("%d fetches in 4 minutes of failures, want a retry every %v and more often near expiry", got, maxRetryDelay)
	}
	warns := 0
	for _, e := range hook.AllEntries() {
		noSecretIn(t, "log line", e.Message)
		if e.Level <= logrus.WarnLevel {
			warns++
		}
	}
	if warns != 1 {
		t.Errorf("%d warnings for one failing streak, want 1", warns)
	}
	// Expired now: requests fail with the source's error, fast.
	src.clock.Advance(time.Minute)
	_, err := r.GetCredentials(context.Background())
	if err == nil || !contains(err.Error(), "test source", "source is down") {
		t.Fatalf("after expiry: %v; want the source's error", err)
	}
	noSecretIn(t, "error", err.Error())
	// Back up: the next attempt recovers and says so.
	src.fail.Store(false)
	src.clock.Advance(unusableRetryDelay)
	if id := idNow(t, r); id == "id-1" || id == "" {
		t.Errorf("after recovery: %q, want fresh credentials", id)
	}
	if last := hook.LastEntry(); last == nil || last.Level != logrus.InfoLevel || !contains(last.Message, "refreshed after") {
		t.Errorf("last log line %v, want the recovery", last)
	}
}

func TestExpiredCredentialsFailFastWhileTheSourceIsDown(t *testing.T) {
	src := &fakeSource{clock: newFakeClock(), lifetime: time.Hour}
	src.fail.Store(true)
	r, _ := newTestRefreshing(src)
	for i := 0; i < 20; i++ {
		if _, err := r.GetCredentials(context.Background()); err == nil {
			t.Fatal("got credentials from a failing source")
		}
	}
	if got := src.fetches.Load(); got != 1 {
		t.Errorf("20 requests within %v of a failure ran %d fetches, want 1", unusableRetryDelay, got)
	}
}

func TestACallerGivingUpDoesNotCancelTheFetch(t *testing.T) {
	src := &fakeSource{clock: newFakeClock(), lifetime: time.Hour, gate: make(chan struct{})}
	r, _ := newTestRefreshing(src)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.GetCredentials(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled caller: %v", err)
	}
	close(src.gate)
	waitForID(t, r, "id-1")
	if got := src.fetches.Load(); got != 1 {
		t.Errorf("%d fetches, want the one the canceled caller started", got)
	}
}

func TestCredentialsAlreadyExpiredAreRefused(t *testing.T) {
	clock := newFakeClock()
	past := clock.Now().Add(-time.Second)
	r := newRefreshing("stale", func(context.Context) (credentials.Credentials, error) {
		return credentials.Credentials{AccessKeyID: "id", AccessKeySecret: anySecret, Expires: &past}, nil
	}, clock.Now, logrus.NewEntry(quietLogger()))
	if _, err := r.GetCredentials(context.Background()); err == nil || !contains(err.Error(), "expired") {
		t.Errorf("expired credentials: %v; want an error", err)
	}
}

// waitIdle waits until no fetch of r is under way, so that a test moving
// the fake clock knows where the last fetch left the state.
func waitIdle(t *testing.T, r *refreshing) {
	t.Helper()
	deadline := time.Now().Add(waitBound)
	for {
		r.mu.Lock()
		idle := r.flight == nil
		r.mu.Unlock()
		if idle {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("a fetch still runs after %v", waitBound)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

func contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

func quietLogger() *logrus.Logger {
	l, _ := logtest.NewNullLogger()
	return l
}
