package ossio

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/retry"
)

// sendBody sends a request with a body (PutObject, AppendObject,
// UploadPart) through send, retrying as the SDK's retryer would, but each
// attempt in a call of its own, with the body behind a guard of its own.
//
// The SDK's own retries rewind the body (and reset its CRC hash) while
// the HTTP transport may still be reading it for the abandoned attempt:
// net/http may go on reading a request body after RoundTrip returned.
// Here an attempt's guard is closed once the attempt returns, so a
// transport still reading it gets an error and never touches the body
// again, nor anything the next attempt uses. A body that cannot seek is
// sent once.
func (c *sdkClient) sendBody(ctx context.Context, body io.Reader, safe bool, send func(body io.Reader, opt func(*oss.Options)) error) error {
	var r retry.Retryer = c.base
	if safe {
		r = commitSafeRetryer{c.base}
	}
	seeker, ok := body.(io.ReadSeeker)
	if !ok {
		return send(body, oneAttempt)
	}
	start, err := seeker.Seek(0, io.SeekCurrent)
	if err != nil {
		return send(body, oneAttempt)
	}
	for attempt := 1; ; attempt++ {
		if _, err := seeker.Seek(start, io.SeekStart); err != nil {
			return err
		}
		g := &guardedBody{r: seeker}
		err := send(g, oneAttempt)
		g.close()
		// The retryer judges what the SDK's loop would: the attempt's own
		// error, not the operation error the SDK wraps it in.
		cause := err
		var oe *oss.OperationError
		if errors.As(err, &oe) {
			cause = oe.Unwrap()
		}
		if err == nil || attempt >= r.MaxAttempts() || ctx.Err() != nil || !r.IsErrorRetryable(cause) {
			return err
		}
		delay, derr := r.RetryDelay(attempt+1, cause)
		if derr != nil {
			return err
		}
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return err
		}
	}
}

// oneAttempt makes the SDK send a request once (sendBody retries), but
// for a second attempt after a clock-skew answer: the SDK learns the
// server's clock from that answer and keeps it only when the call ends
// well, so that retry must be its own. That retry keeps the race above
// possible, but only for the first upload after the clock went 15 minutes
// off, and only when its body is still being sent when OSS refuses it.
func oneAttempt(o *oss.Options) {
	o.RetryMaxAttempts = oss.Ptr(2)
	o.Retryer = skewRetryer{}
}

// skewRetryer retries only a clock-skew answer, at once.
type skewRetryer struct{}

func (skewRetryer) IsErrorRetryable(err error) bool              { return isClockSkew(err) }
func (skewRetryer) MaxAttempts() int                             { return 2 }
func (skewRetryer) RetryDelay(int, error) (time.Duration, error) { return 0, nil }

// isClockSkew reports an answer saying the request's time was too far
// from the server's.
func isClockSkew(err error) bool {
	var se *oss.ServiceError
	return errors.As(err, &se) && se.Code == "RequestTimeTooSkewed"
}

// errAttemptOver is what a transport still reading an abandoned attempt's
// body gets.
var errAttemptOver = errors.New("ossio: the attempt this body was sent with is over")

// guardedBody is one attempt's view of a request body: once closed it
// reads nothing more of it.
type guardedBody struct {
	mu     sync.Mutex
	r      io.ReadSeeker // GUARDED_BY(mu)
	closed bool          // GUARDED_BY(mu)
}

func (g *guardedBody) Read(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return 0, errAttemptOver
	}
	return g.r.Read(p)
}

func (g *guardedBody) Seek(off int64, whence int) (int64, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return 0, errAttemptOver
	}
	return g.r.Seek(off, whence)
}

// close ends the attempt, waiting for a read in progress.
func (g *guardedBody) close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}
