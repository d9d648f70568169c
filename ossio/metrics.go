package ossio

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/retry"
)

// Outcomes that are not OSS error codes, as Outcome names them.
const (
	OutcomeOK       = "ok"
	OutcomeNetwork  = "network"  // the request or its answer was lost on the way
	OutcomeTimeout  = "timeout"  // nothing moved for Config.RequestTimeout
	OutcomeCanceled = "canceled" // the caller gave up (context canceled or past its deadline)
	OutcomeCRC      = "crc_mismatch"
	OutcomeInvalid  = "invalid_request" // refused before sending
	OutcomeOther    = "other"
)

// outcomeCodes are the OSS error codes Outcome reports as themselves. Any
// other code is reported by its HTTP status, so that a server inventing
// codes cannot grow a metric's label values without bound.
var outcomeCodes = func() map[string]bool {
	m := map[string]bool{
		"InvalidArgument": true, "InvalidPart": true, "InvalidPartOrder": true, "EntityTooSmall": true,
		"MethodNotAllowed": true, "BadRequest": true, "RequestTimeout": true, "MissingContentLength": true,
		"InvalidBucketName": true, "NotModified": true,
	}
	for code := range kindOfCode {
		m[code] = true
	}
	return m
}()

// Outcome names how a Client call ended, for metrics and logs: "ok"; the
// OSS error code (NoSuchKey, SecurityTokenExpired, ...); "http_<status>"
// for an error response with an unknown or no code; "network", "timeout",
// "canceled", "crc_mismatch", "invalid_request"; or "other". The set of
// names is bounded.
func Outcome(err error) string {
	if err == nil {
		return OutcomeOK
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return OutcomeCanceled
	}
	var e *Error
	if !errors.As(err, &e) {
		return OutcomeOther
	}
	switch {
	case e.Code != "" && outcomeCodes[e.Code]:
		return e.Code
	case e.Status != 0:
		return "http_" + strconv.Itoa(e.Status)
	case e.Kind == ErrTimeout:
		return OutcomeTimeout
	case e.Kind == ErrUnavailable:
		return OutcomeNetwork
	case e.Kind == ErrInvalidDigest:
		return OutcomeCRC
	case e.Kind == ErrInvalidRequest || e.Kind == ErrInvalidName || e.Kind == ErrTooLarge:
		return OutcomeInvalid
	}
	return OutcomeOther
}

// observedRetryer tells onRetry of every retry the SDK is about to make,
// with the Outcome of the attempt that failed. The SDK asks RetryDelay
// exactly once before each attempt beyond the first, and nothing tells a
// retryer which operation it serves: retries are counted per cause.
type observedRetryer struct {
	retry.Retryer
	onRetry  func(outcome string)          // may be nil
	onFailed func(e *Error, retrying bool) // may be nil
}

// RetryDelay implements retry.Retryer.
func (r observedRetryer) RetryDelay(attempt int, err error) (time.Duration, error) {
	d, derr := r.Retryer.RetryDelay(attempt, err)
	if derr == nil {
		wrapped := wrapErr("", "", err)
		if r.onRetry != nil {
			r.onRetry(Outcome(wrapped))
		}
		if r.onFailed != nil {
			reportFailed(r.onFailed, wrapped, true)
		}
	}
	return d, derr
}
