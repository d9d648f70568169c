package ossio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/retry"
)

// sdkBadResponseCode is the code the SDK puts in a ServiceError whose body it
// could not parse, e.g. the empty body of a 304 or of a HEAD error without
// x-oss-err. It is not an OSS code, so we classify such errors by status.
const sdkBadResponseCode = "BadErrorResponse"

// crcMismatchText is how the SDK reports an upload whose
// x-oss-hash-crc64ecma differs from the CRC of the bytes it sent. v1.6.1 has
// no error type for it, only this fmt.Errorf text (which its retryer also
// matches).
const crcMismatchText = "crc is inconsistent"

// wrapErr turns an error of the SDK into an *Error for the Client method op
// on key. It returns nil for nil and passes an *Error through unchanged.
//
//   - OSS error responses keep their code, status, request ID, EC and message;
//     PositionNotEqualToLength also carries x-oss-next-append-position.
//   - Context cancellation and deadlines keep matching context.Canceled and
//     context.DeadlineExceeded and match no sentinel: the caller gave up,
//     retrying would not help.
//   - Upload CRC mismatches are ErrInvalidDigest; attempts given up after
//     Config.RequestTimeout are ErrTimeout; other network failures are
//     ErrUnavailable; anything else is ErrUnknown.
func wrapErr(op, key string, err error) error {
	if err == nil {
		return nil
	}
	var own *Error
	if errors.As(err, &own) {
		return err
	}
	e := &Error{Op: op, Key: key, NextPosition: -1, Cause: err}
	var se *oss.ServiceError
	var invalid oss.InvalidParamError
	switch {
	case errors.As(err, &se):
		fromServiceError(e, se)
	case isTimeout(err):
		e.Kind, e.Cause = ErrTimeout, timeoutCause{err}
	case errors.Is(err, context.Canceled):
		e.Kind = context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		e.Kind = context.DeadlineExceeded
	case strings.Contains(err.Error(), crcMismatchText):
		e.Kind = ErrInvalidDigest
	case isNetworkError(err):
		e.Kind = ErrUnavailable
	case errors.As(err, &invalid):
		e.Kind = ErrInvalidRequest
	default:
		e.Kind = ErrUnknown
	}
	return e
}

// fromServiceError copies an OSS error response into e. The ServiceError is
// not kept as Cause: every field of it is copied, and its multi-line Error
// text would only clutter messages.
func fromServiceError(e *Error, se *oss.ServiceError) {
	e.Cause = nil
	e.Status = se.StatusCode
	e.Code, e.Message = se.Code, se.Message
	if e.Code == sdkBadResponseCode {
		// No OSS code arrived; the SDK's message only explains why it could
		// not parse the (usually empty) body.
		e.Code, e.Message = "", ""
	}
	e.RequestID = se.RequestID
	e.EC = se.EC
	if se.Headers != nil {
		if e.RequestID == "" {
			e.RequestID = se.Headers.Get("x-oss-request-id")
		}
		if e.EC == "" {
			e.EC = se.Headers.Get("x-oss-ec")
		}
	}
	e.Kind = KindOf(e.Code, e.Status)
	if e.Kind == ErrPositionMismatch && se.Headers != nil {
		// The SDK keeps the response headers on the error; OSS reports the
		// object's length there, not in the XML body.
		if p, err := strconv.ParseInt(se.Headers.Get("x-oss-next-append-position"), 10, 64); err == nil && p >= 0 {
			e.NextPosition = p
		}
	}
}

// isNetworkError reports transport failures: every error of the HTTP client
// is a *url.Error, which is a net.Error, as are dial and read errors and
// timeouts; a body cut short surfaces as an (unexpected) EOF.
func isNetworkError(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// isTimeout reports an attempt given up by the client's own timeouts
// (Config.RequestTimeout): a net.Error whose Timeout is true, as the
// connection's deadline (os.ErrDeadlineExceeded), the transport's wait for
// response headers and a dial timeout are. The caller's context past its
// deadline says Timeout too, but it is the caller giving up, not the
// server failing to answer.
func isTimeout(err error) bool {
	var ne net.Error
	return !callerGaveUp(err) && errors.As(err, &ne) && ne.Timeout()
}

// callerGaveUp reports whether err carries the caller's own context error:
// context.Canceled or context.DeadlineExceeded itself (what net/http
// returns when the request's context ends), or the SDK's CanceledError
// (what it returns when the context ended during an attempt). errors.Is
// cannot tell: net/http's timeout awaiting response headers matches
// context.DeadlineExceeded too.
func callerGaveUp(err error) bool {
	if err == context.Canceled || err == context.DeadlineExceeded {
		return true
	}
	switch x := err.(type) {
	case *oss.CanceledError:
		return true
	case interface{ Unwrap() []error }:
		for _, e := range x.Unwrap() {
			if callerGaveUp(e) {
				return true
			}
		}
	case interface{ Unwrap() error }:
		return callerGaveUp(x.Unwrap())
	}
	return false
}

// timeoutCause is the Cause of an ErrTimeout. It hides the one match that
// would mislead, net/http's timeout errors matching context.DeadlineExceeded
// (callers would think they gave up, and see no failure to log); errors.Is
// and errors.As reach everything else (a net.Error, os.ErrDeadlineExceeded).
type timeoutCause struct{ err error }

func (c timeoutCause) Error() string { return c.err.Error() }

// Is implements errors.Is.
func (c timeoutCause) Is(target error) bool {
	return target != context.DeadlineExceeded && target != context.Canceled && errors.Is(c.err, target)
}

// As implements errors.As.
func (c timeoutCause) As(target any) bool { return errors.As(c.err, target) }

// newError builds an *Error that did not come from the SDK, e.g. a request
// rejected before sending or a response that breaks the protocol.
func newError(op, key string, kind error, format string, args ...any) *Error {
	return &Error{Op: op, Key: key, NextPosition: -1, Kind: kind, Cause: fmt.Errorf(format, args...)}
}

// commitSafeRetryer lets the SDK retry only failures after which the request
// cannot have taken effect: an error response from OSS, or a connection that
// was never established. The SDK otherwise also replays requests whose
// connection broke mid-way. That is harmless for idempotent calls, but an
// append, a multipart completion or a forbid-overwrite write that did land
// would then fail on the replay (PositionNotEqualToLength, NoSuchUpload,
// FileAlreadyExists) and hide its success; ErrUnavailable tells the caller
// the truth: the outcome is unknown.
type commitSafeRetryer struct {
	retry.Retryer
}

// IsErrorRetryable implements retry.Retryer.
func (r commitSafeRetryer) IsErrorRetryable(err error) bool {
	return r.Retryer.IsErrorRetryable(err) && notApplied(err)
}

// notApplied reports whether err proves that OSS did not apply the request.
func notApplied(err error) bool {
	var se *oss.ServiceError
	if errors.As(err, &se) {
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "dial"
}

// maxTimeoutBackoff bounds the SDK's backoff before a second attempt: its
// full-jitter backoff before attempt n is below BaseDelay * 2^n.
const maxTimeoutBackoff = 4 * retry.DefaultBaseDelay

// errTimeoutNotRetried stops the SDK's retries (see timeoutRetryer); the
// SDK then returns the error of the last attempt, never this one.
var errTimeoutNotRetried = errors.New("ossio: a timed-out request is retried once")

// timeoutRetryer lets a request that timed out be retried only as its
// second attempt, whatever MaxAttempts says. One retry, on a fresh
// connection, recovers from a connection that died silently (a peer gone
// or a NAT entry dropped: the request is sent into the void); a second
// timeout means the server itself does not answer, and more attempts would
// only multiply RequestTimeout into minutes of a frozen mount. Other
// failures keep the SDK's rule. The SDK asks RetryDelay before every
// attempt beyond the first, with the attempt's number and the error of the
// one before; an error from it ends the retries.
type timeoutRetryer struct {
	retry.Retryer
}

// RetryDelay implements retry.Retryer.
func (r timeoutRetryer) RetryDelay(attempt int, err error) (time.Duration, error) {
	if attempt > 2 && isTimeout(err) {
		return 0, errTimeoutNotRetried
	}
	return r.Retryer.RetryDelay(attempt, err)
}
