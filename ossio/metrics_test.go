package ossio

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestOutcome(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, OutcomeOK},
		{&Error{Code: "NoSuchKey", Status: 404, Kind: ErrNotFound}, "NoSuchKey"},
		{&Error{Code: "SecurityTokenExpired", Status: 403, Kind: ErrAccessDenied}, "SecurityTokenExpired"},
		{&Error{Status: 404, Kind: ErrNotFound}, "http_404"},
		{&Error{Code: "SomethingNobodyKnows", Status: 500, Kind: ErrUnavailable}, "http_500"},
		{&Error{Kind: ErrUnavailable, Cause: fmt.Errorf("read: connection reset by peer")}, OutcomeNetwork},
		{&Error{Kind: ErrTimeout, Cause: os.ErrDeadlineExceeded}, OutcomeTimeout},
		{&Error{Kind: context.Canceled, Cause: context.Canceled}, OutcomeCanceled},
		{fmt.Errorf("wrapped: %w", context.DeadlineExceeded), OutcomeCanceled},
		{&Error{Kind: ErrInvalidDigest}, OutcomeCRC},
		{newError("GetObject", "k", ErrInvalidRequest, "bad range"), OutcomeInvalid},
		{fmt.Errorf("not an ossio error"), OutcomeOther},
	} {
		if got := Outcome(tc.err); got != tc.want {
			t.Errorf("Outcome(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

// retryLog records OnRetry calls.
type retryLog struct {
	mu       sync.Mutex
	outcomes []string
}

func (l *retryLog) add(o string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.outcomes = append(l.outcomes, o)
}

func (l *retryLog) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.outcomes...)
}

// TestOnRetrySeesEveryRetry makes the server fail twice with a retryable
// error, then answer: the SDK retries twice, and OnRetry hears of both,
// with the failure's code; a call that succeeds at once reports none.
func TestOnRetrySeesEveryRetry(t *testing.T) {
	var failures counter
	var retries retryLog
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if objectKey(r) == "flaky" && failures.inc() <= 2 {
			writeOSSError(w, r, http.StatusServiceUnavailable, "ServiceUnavailable", "busy", nil)
			return
		}
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
	}, withAttempts(3), func(cfg *Config) { cfg.OnRetry = retries.add })
	ctx := context.Background()
	if _, err := c.HeadObject(ctx, "steady"); err != nil {
		t.Fatal(err)
	}
	if got := retries.get(); len(got) != 0 {
		t.Fatalf("a call that succeeded at once reported retries %v", got)
	}
	start := time.Now()
	if _, err := c.HeadObject(ctx, "flaky"); err != nil {
		t.Fatalf("HeadObject after two 503s: %v", err)
	}
	if got := retries.get(); len(got) != 2 || got[0] != "ServiceUnavailable" || got[1] != "ServiceUnavailable" {
		t.Errorf("retries %v, want two ServiceUnavailable", got)
	}
	t.Logf("two retries took %v", time.Since(start))
}

// TestOnRetryAlsoSeesCommitSafeCalls checks that appends, which run with
// their own per-call retryer, still report retries (it wraps the observed
// one), and that a network failure is reported as such.
func TestOnRetryAlsoSeesCommitSafeCalls(t *testing.T) {
	var hits counter
	var retries retryLog
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		switch n := hits.inc(); {
		case n == 1:
			writeOSSError(w, r, http.StatusServiceUnavailable, "ServiceUnavailable", "busy", nil)
		case objectKey(r) == "dropped":
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		default:
			w.Header().Set("x-oss-next-append-position", "3")
		}
	}, withAttempts(2), func(cfg *Config) { cfg.OnRetry = retries.add })
	req := AppendRequest{Key: "k", Body: strings.NewReader("abc"), Size: 3}
	if _, err := c.AppendObject(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if got := retries.get(); len(got) != 1 || got[0] != "ServiceUnavailable" {
		t.Errorf("append retries %v, want one ServiceUnavailable", got)
	}
	// PutObject replays a dropped connection once: a network retry.
	_, err := c.PutObject(context.Background(), PutRequest{Key: "dropped", Body: strings.NewReader("abc"), Size: 3})
	if err == nil {
		t.Fatal("put on a dropped connection succeeded")
	}
	if got := retries.get(); len(got) != 2 || got[1] != OutcomeNetwork {
		t.Errorf("retries %v, want a network retry after the first", got)
	}
}

// failedLog records OnFailedRequest calls.
type failedLog struct {
	mu    sync.Mutex
	calls []string // "code requestID retrying"
}

func (l *failedLog) add(e *Error, retrying bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, fmt.Sprintf("%s %s %v", e.Code, e.RequestID, retrying))
}

func (l *failedLog) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.calls...)
}

// TestOnFailedRequestHearsEveryFailure checks that every failed request is
// reported once with its request ID: each attempt the SDK retries, and the
// failure returned to the caller; a missing key is routine and is not.
func TestOnFailedRequestHearsEveryFailure(t *testing.T) {
	var failures counter
	var failed failedLog
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		switch objectKey(r) {
		case "flaky":
			if failures.inc() <= 2 {
				writeOSSError(w, r, http.StatusServiceUnavailable, "ServiceUnavailable", "busy", nil)
				return
			}
		case "denied":
			writeOSSError(w, r, http.StatusForbidden, "AccessDenied", "no", nil)
			return
		case "missing":
			writeOSSError(w, r, http.StatusNotFound, "NoSuchKey", "none", nil)
			return
		}
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
	}, withAttempts(3), func(cfg *Config) { cfg.OnFailedRequest = failed.add })
	ctx := context.Background()
	if _, err := c.HeadObject(ctx, "flaky"); err != nil {
		t.Fatalf("HeadObject after two 503s: %v", err)
	}
	want := []string{"ServiceUnavailable " + testRequestID + " true", "ServiceUnavailable " + testRequestID + " true"}
	if got := failed.get(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("two retried 503s reported %v, want %v", got, want)
	}
	if _, err := c.GetObject(ctx, GetRequest{Key: "denied", Length: -1}); err == nil {
		t.Fatal("GetObject of a denied key succeeded")
	}
	if _, err := c.HeadObject(ctx, "missing"); err == nil {
		t.Fatal("HeadObject of a missing key succeeded")
	}
	want = append(want, "AccessDenied "+testRequestID+" false")
	if got := failed.get(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("reported %v, want %v (a missing key is routine)", got, want)
	}
}
