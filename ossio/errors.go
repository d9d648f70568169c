package ossio

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by a Client matches at most one of
// them with errors.Is (but ErrTimeout, which is a kind of ErrUnavailable);
// errors from OSS are *Error values that unwrap to the sentinel of their
// class.
var (
	ErrNotFound           = errors.New("object not found")          // NoSuchKey, 404
	ErrNoSuchBucket       = errors.New("bucket not found")          // NoSuchBucket
	ErrSymlinkTarget      = errors.New("symlink target not found")  // SymlinkTargetNotExist
	ErrPreconditionFailed = errors.New("precondition failed")       // 412
	ErrNotModified        = errors.New("not modified")              // 304
	ErrNotAppendable      = errors.New("object not appendable")     // ObjectNotAppendable
	ErrPositionMismatch   = errors.New("append position mismatch")  // PositionNotEqualToLength
	ErrAlreadyExists      = errors.New("object already exists")     // FileAlreadyExists
	ErrAccessDenied       = errors.New("access denied")             // 403: AccessDenied, bad key or signature
	ErrInvalidRange       = errors.New("invalid range")             // 416
	ErrNoSuchUpload       = errors.New("no such multipart upload")  // NoSuchUpload
	ErrInvalidName        = errors.New("invalid object name")       // InvalidObjectName
	ErrInvalidDigest      = errors.New("content digest mismatch")   // InvalidDigest, CRC mismatch
	ErrTooLarge           = errors.New("entity too large")          // EntityTooLarge
	ErrInvalidRequest     = errors.New("invalid request")           // other 4xx: InvalidArgument, InvalidPart, ...
	ErrThrottled          = errors.New("request throttled")         // 503 QPS or bandwidth limits
	ErrUnavailable        = errors.New("service unavailable")       // 5xx, connection failures, timeouts
	ErrNotSymlink         = errors.New("object is not a symlink")   // GetSymlink on another type
	ErrUnsupported        = errors.New("operation not supported")   // 501 NotImplemented
	ErrUnknown            = errors.New("unrecognised OSS response") // anything else
)

// ErrTimeout is a request given up because nothing moved for
// Config.RequestTimeout: no connection, no answer, or a body that stalled.
// It is a kind of ErrUnavailable (errors.Is matches both), kept apart so
// that users can be told the server does not answer (ETIMEDOUT).
var ErrTimeout = fmt.Errorf("request timed out: %w", ErrUnavailable)

// Error is a failed OSS request. It unwraps to the sentinel of its class.
type Error struct {
	Op        string // the Client method, e.g. "GetObject"
	Key       string // the object key, if any
	Code      string // OSS error code, e.g. "NoSuchKey"; empty for transport failures
	Status    int    // HTTP status; 0 for transport failures
	RequestID string // x-oss-request-id, for support tickets
	EC        string // OSS fine-grained error code (x-oss-ec)
	Message   string
	// NextPosition is the object's length reported with
	// PositionNotEqualToLength (the position to retry an append at), or -1.
	NextPosition int64
	// Kind is the sentinel this error matches.
	Kind error
	// Cause is the underlying error (the SDK's or the transport's).
	Cause error
}

func (e *Error) Error() string {
	s := fmt.Sprintf("oss %s", e.Op)
	if e.Key != "" {
		s += fmt.Sprintf(" %q", e.Key)
	}
	switch {
	case e.Code != "":
		s += fmt.Sprintf(": %d %s", e.Status, e.Code)
		if e.Message != "" {
			s += ": " + e.Message
		}
	case e.Cause != nil:
		s += ": " + e.Cause.Error()
	default:
		s += ": " + e.Kind.Error()
	}
	if e.RequestID != "" {
		s += " (request id " + e.RequestID + ")"
	}
	return s
}

// Unwrap returns both the sentinel and the cause, so errors.Is matches the
// class and errors.As still reaches transport errors (net.Error, ...).
func (e *Error) Unwrap() []error {
	errs := []error{e.Kind}
	if e.Cause != nil {
		errs = append(errs, e.Cause)
	}
	return errs
}

// Retryable reports whether the request may succeed if sent again later.
func Retryable(err error) bool {
	return errors.Is(err, ErrThrottled) || errors.Is(err, ErrUnavailable)
}

// NextAppendPosition returns the position carried by a PositionNotEqualToLength
// error, and whether err carried one.
func NextAppendPosition(err error) (int64, bool) {
	var e *Error
	if errors.As(err, &e) && errors.Is(err, ErrPositionMismatch) && e.NextPosition >= 0 {
		return e.NextPosition, true
	}
	return 0, false
}

// kindOfCode maps an OSS error code to its sentinel.
var kindOfCode = map[string]error{
	"NoSuchKey":                           ErrNotFound,
	"NoSuchBucket":                        ErrNoSuchBucket,
	"SymlinkTargetNotExist":               ErrSymlinkTarget,
	"PreconditionFailed":                  ErrPreconditionFailed,
	"ObjectNotAppendable":                 ErrNotAppendable,
	"PositionNotEqualToLength":            ErrPositionMismatch,
	"FileAlreadyExists":                   ErrAlreadyExists,
	"AccessDenied":                        ErrAccessDenied,
	"InvalidAccessKeyId":                  ErrAccessDenied,
	"SignatureDoesNotMatch":               ErrAccessDenied,
	"RequestTimeTooSkewed":                ErrAccessDenied,
	"InvalidSecurityToken":                ErrAccessDenied,
	"SecurityTokenExpired":                ErrAccessDenied,
	"AccessKeyIdAndSecurityTokenNotMatch": ErrAccessDenied,
	"InvalidRange":                        ErrInvalidRange,
	"NoSuchUpload":                        ErrNoSuchUpload,
	"InvalidObjectName":                   ErrInvalidName,
	"InvalidDigest":                       ErrInvalidDigest,
	"EntityTooLarge":                      ErrTooLarge,
	"FileImmutable":                       ErrAccessDenied,
	"NotSymlink":                          ErrNotSymlink,
	"NotImplemented":                      ErrUnsupported,
	"TotalQpsLimitExceeded":               ErrThrottled,
	"MetaOperationQpsLimitExceeded":       ErrThrottled,
	"DownloadTrafficRateLimitExceeded":    ErrThrottled,
	"UploadTrafficRateLimitExceeded":      ErrThrottled,
	"ServiceUnavailable":                  ErrUnavailable,
	"InternalError":                       ErrUnavailable,
}

// KindOf classifies an OSS error code and HTTP status into a sentinel.
// The code wins; the status decides for codes we do not know.
func KindOf(code string, status int) error {
	if k, ok := kindOfCode[code]; ok {
		return k
	}
	switch {
	case status == 304:
		return ErrNotModified
	case status == 404:
		return ErrNotFound
	case status == 403:
		return ErrAccessDenied
	case status == 412:
		return ErrPreconditionFailed
	case status == 416:
		return ErrInvalidRange
	case status == 503 || status == 429:
		return ErrThrottled
	case status >= 500:
		return ErrUnavailable
	case status >= 400:
		return ErrInvalidRequest
	}
	return ErrUnknown
}
