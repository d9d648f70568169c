package ossio

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/credentials"
)

// testRequestTimeout is the RequestTimeout of these tests: short, so that
// they run quickly, yet far above a loopback round trip.
const testRequestTimeout = 300 * time.Millisecond

// withinBound is the generous upper bound a timed-out call must fail
// within: three times the documented bound plus slack for a loaded
// machine. The point is that it does not hang for minutes.
func withinBound(cfg Config) time.Duration {
	return 3*RequestBound(cfg) + 10*time.Second
}

// silentServer is a TCP server that accepts connections and never answers,
// as a server stopped with SIGSTOP does (the kernel completes the
// handshake and buffers what is sent).
type silentServer struct {
	ln       net.Listener
	accepted atomic.Int64
	mu       sync.Mutex
	conns    []net.Conn // GUARDED_BY(mu); held open until the test ends
}

func newSilentServer(t *testing.T) *silentServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &silentServer{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.accepted.Add(1)
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, c := range s.conns {
			c.Close()
		}
	})
	return s
}

// timeoutClient returns a client of endpoint with the tests' request
// timeout and the SDK's default attempts, counting the retries it makes.
func timeoutClient(t *testing.T, endpoint string, retries *atomic.Int64) (Client, Config) {
	t.Helper()
	cfg := Config{
		Endpoint:       endpoint,
		Region:         "cn-hangzhou",
		Bucket:         testBucket,
		Credentials:    credentials.NewStaticCredentialsProvider("ak", "sk"),
		RequestTimeout: testRequestTimeout,
		OnRetry:        func(string) { retries.Add(1) },
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, cfg
}

// checkTimeout checks that err is a timeout every caller can match, that
// it came within bound, and that it is reported as such.
func checkTimeout(t *testing.T, what string, err error, elapsed, bound time.Duration) {
	t.Helper()
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, ErrUnavailable) || !Retryable(err) {
		t.Errorf("%s: err = %v, want ErrTimeout (an ErrUnavailable)", what, err)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		t.Errorf("%s: err = %v matches a context error: the caller did not give up", what, err)
	}
	if ne := net.Error(nil); !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("%s: err = %v does not reach the transport's timeout error", what, err)
	}
	if got := Outcome(err); got != OutcomeTimeout {
		t.Errorf("%s: Outcome = %q, want %q", what, got, OutcomeTimeout)
	}
	if elapsed > bound {
		t.Errorf("%s: failed after %v, want within %v", what, elapsed, bound)
	}
}

// TestSilentServerTimesOut calls a server that accepts connections and
// never answers: every call fails with ErrTimeout within the bound,
// whether it waits for an answer or for the server to take its body. A
// call the SDK may replay is attempted twice (one retry on a fresh
// connection), not MaxAttempts times; a call that must not be replayed
// once sent, once.
func TestSilentServerTimesOut(t *testing.T) {
	srv := newSilentServer(t)
	var retries atomic.Int64
	c, cfg := timeoutClient(t, "http://"+srv.ln.Addr().String(), &retries)
	// Far more than the socket buffers of a loopback connection take, so
	// that the upload stalls in the middle of its body.
	big := make([]byte, 64<<20)
	for _, tc := range []struct {
		name        string
		wantRetries int64
		call        func(context.Context) error
	}{
		{"HeadObject", 1, func(ctx context.Context) error { _, err := c.HeadObject(ctx, "k"); return err }},
		{"GetObject", 1, func(ctx context.Context) error {
			_, err := c.GetObject(ctx, GetRequest{Key: "k", Offset: 0, Length: 4096})
			return err
		}},
		{"ListObjects", 1, func(ctx context.Context) error {
			_, err := c.ListObjects(ctx, ListRequest{Prefix: "d/", Delimiter: "/"})
			return err
		}},
		{"PutObject", 1, func(ctx context.Context) error {
			_, err := c.PutObject(ctx, PutRequest{Key: "k", Body: strings.NewReader("small"), Size: 5})
			return err
		}},
		{"PutObject body stall", 1, func(ctx context.Context) error {
			_, err := c.PutObject(ctx, PutRequest{Key: "k", Body: bytes.NewReader(big), Size: int64(len(big))})
			return err
		}},
		{"AppendObject", 0, func(ctx context.Context) error {
			_, err := c.AppendObject(ctx, AppendRequest{Key: "k", Position: 0, Body: strings.NewReader("x"), Size: 1})
			return err
		}},
		{"CompleteMultipart", 0, func(ctx context.Context) error {
			_, err := c.CompleteMultipart(ctx, CompleteMultipartRequest{Key: "k", UploadID: "u", Parts: []Part{{Number: 1, ETag: "e"}}})
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			retries.Store(0)
			start := time.Now()
			err := tc.call(context.Background())
			checkTimeout(t, tc.name, err, time.Since(start), withinBound(cfg))
			if got := retries.Load(); got != tc.wantRetries {
				t.Errorf("%d retries, want %d", got, tc.wantRetries)
			}
		})
	}
	if srv.accepted.Load() == 0 {
		t.Error("the server accepted no connection")
	}
}

// TestTimeoutIsNotRetriedBeyondTheSecondAttempt checks the retry rule of
// timeouts whatever MaxAttempts says: with ten attempts allowed, a server
// that never answers costs two.
func TestTimeoutIsNotRetriedBeyondTheSecondAttempt(t *testing.T) {
	srv := newSilentServer(t)
	var retries atomic.Int64
	cfg := Config{
		Endpoint: "http://" + srv.ln.Addr().String(), Bucket: testBucket,
		RequestTimeout: testRequestTimeout, MaxAttempts: 10,
		OnRetry: func(outcome string) {
			if outcome != OutcomeTimeout {
				t.Errorf("retry after %q, want %q", outcome, OutcomeTimeout)
			}
			retries.Add(1)
		},
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = c.HeadObject(context.Background(), "k")
	checkTimeout(t, "HeadObject", err, time.Since(start), withinBound(cfg))
	if got := retries.Load(); got != 1 {
		t.Errorf("%d retries, want 1", got)
	}
}

// TestOtherFailuresKeepTheirRetries checks that the rule is for timeouts
// only: a server answering 503 gets every attempt.
func TestOtherFailuresKeepTheirRetries(t *testing.T) {
	var hits counter
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		hits.inc()
		writeOSSError(w, r, 503, "ServiceUnavailable", "busy", nil)
	}, withAttempts(4), func(c *Config) { c.RequestTimeout = testRequestTimeout })
	err := callHead(context.Background(), c)
	if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrTimeout) || hits.get() != 4 {
		t.Fatalf("err = %v after %d requests, want ErrUnavailable (not a timeout) after 4", err, hits.get())
	}
}

// TestStalledBodyTimesOut serves the headers and the first bytes of an
// object, then stalls: reading the body fails with ErrTimeout within the
// bound instead of waiting for bytes that never come.
func TestStalledBodyTimesOut(t *testing.T) {
	release := make(chan struct{})
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1048576")
		w.Header().Set("ETag", `"0123456789ABCDEF0123456789ABCDEF"`)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("the first bytes, then nothing"))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}, func(c *Config) { c.RequestTimeout = testRequestTimeout })
	t.Cleanup(func() { close(release) }) // before the server's Close, which waits for the handler
	cfg := Config{RequestTimeout: testRequestTimeout}

	res, err := c.GetObject(context.Background(), GetRequest{Key: "k", Length: -1})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	defer res.Body.Close()
	start := time.Now()
	n, err := io.Copy(io.Discard, res.Body)
	if n == 0 {
		t.Error("no byte of the body was read before the stall")
	}
	checkTimeout(t, "reading the body", err, time.Since(start), withinBound(cfg))
}

// TestHeaderTimeoutBoundsTheAnswer checks the wait for an answer once the
// request is sent on its own, on an HTTP server that reads the request
// and never answers.
func TestHeaderTimeoutBoundsTheAnswer(t *testing.T) {
	release := make(chan struct{})
	var hits counter
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		hits.inc()
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}, func(c *Config) { c.RequestTimeout = testRequestTimeout })
	t.Cleanup(func() { close(release) })
	start := time.Now()
	_, err := c.PutObject(context.Background(), PutRequest{Key: "k", Body: strings.NewReader("hello"), Size: 5})
	checkTimeout(t, "PutObject", err, time.Since(start), withinBound(Config{RequestTimeout: testRequestTimeout}))
	if n := hits.get(); n != 1 {
		t.Errorf("%d requests with MaxAttempts=1, want 1", n)
	}
}

func TestRequestBound(t *testing.T) {
	if got, want := RequestBound(Config{}), 2*DefaultRequestTimeout+maxTimeoutBackoff; got != want {
		t.Errorf("RequestBound of the defaults = %v, want %v", got, want)
	}
	if got, want := RequestBound(Config{RequestTimeout: 2 * time.Second}), 4*time.Second+maxTimeoutBackoff; got != want {
		t.Errorf("RequestBound(2s) = %v, want %v", got, want)
	}
}

// TestTimedConnReportsLaterFailuresAsTimeouts checks the connection
// wrapper on its own: once a read timed out and the transport closed the
// connection, the write still under way fails as a timeout, not as a use
// of a closed connection; a connection that never timed out reports its
// failures unchanged.
func TestTimedConnReportsLaterFailuresAsTimeouts(t *testing.T) {
	for _, timedOut := range []bool{true, false} {
		a, b := net.Pipe()
		defer b.Close()
		c := &timedConn{Conn: a}
		if timedOut {
			_ = c.SetReadDeadline(time.Now().Add(-time.Second))
			if _, err := c.Read(make([]byte, 1)); !isTimeout(err) {
				t.Fatalf("read past the deadline: %v, want a timeout", err)
			}
		}
		c.Close()
		_, err := c.Write([]byte("x"))
		if isTimeout(err) != timedOut || (!timedOut && !errors.Is(err, io.ErrClosedPipe)) {
			t.Errorf("timed out %v: write after close: %v", timedOut, err)
		}
	}
}
