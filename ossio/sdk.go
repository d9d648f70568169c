package ossio

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss/retry"
)

// sdkClient implements Client on the official SDK. Its methods live in
// sdk.go (reads), sdk_write.go (writes) and sdk_multipart.go.
type sdkClient struct {
	api    *oss.Client
	bucket string
	// commitSafe is the per-call option for requests that must not be
	// replayed once they may have taken effect (see commitSafeRetryer).
	commitSafe func(*oss.Options)
	// base is the retryer of every request; sendBody retries with it.
	base retry.Retryer
	// onFailed hears of every request that failed for good (Config.OnFailedRequest).
	onFailed func(e *Error, retrying bool)
}

// fail wraps err of the request op on key (see wrapErr) and reports it to
// onFailed, unless it is a routine answer: a missing key (lookups of names
// that do not exist), or the caller giving up.
func (c *sdkClient) fail(op, key string, err error) error {
	err = wrapErr(op, key, err)
	if c.onFailed != nil {
		reportFailed(c.onFailed, err, false)
	}
	return err
}

// reportFailed calls onFailed for err unless it is routine (see fail).
func reportFailed(onFailed func(*Error, bool), err error, retrying bool) {
	var e *Error
	if err == nil || errors.Is(err, ErrNotFound) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &e) {
		return
	}
	onFailed(e, retrying)
}

var _ Client = (*sdkClient)(nil)

func newSDKClient(api *oss.Client, bucket string, base retry.Retryer, onFailed func(*Error, bool)) *sdkClient {
	safe := commitSafeRetryer{base}
	return &sdkClient{
		api:        api,
		bucket:     bucket,
		onFailed:   onFailed,
		base:       base,
		commitSafe: func(o *oss.Options) { o.Retryer = safe },
	}
}

// HeadObject implements Client.
func (c *sdkClient) HeadObject(ctx context.Context, key string) (ObjectInfo, error) {
	const op = "HeadObject"
	if err := checkKey(op, key); err != nil {
		return ObjectInfo{}, err
	}
	out, err := c.api.HeadObject(ctx, &oss.HeadObjectRequest{Bucket: &c.bucket, Key: &key})
	if err != nil {
		return ObjectInfo{}, c.fail(op, key, err)
	}
	return objectInfo(key, out.Headers), nil
}

// ListObjects implements Client. MaxKeys above MaxListKeys is capped, since
// OSS rejects larger pages.
func (c *sdkClient) ListObjects(ctx context.Context, req ListRequest) (ListPage, error) {
	const op = "ListObjects"
	maxKeys := req.MaxKeys
	if maxKeys <= 0 || maxKeys > MaxListKeys {
		maxKeys = MaxListKeys
	}
	// The SDK always asks for encoding-type=url and decodes the keys, so
	// keys with control characters survive the XML.
	out, err := c.api.ListObjectsV2(ctx, &oss.ListObjectsV2Request{
		Bucket:            &c.bucket,
		Prefix:            optString(req.Prefix),
		Delimiter:         optString(req.Delimiter),
		ContinuationToken: optString(req.ContinuationToken),
		StartAfter:        optString(req.StartAfter),
		MaxKeys:           int32(maxKeys),
	})
	if err != nil {
		return ListPage{}, c.fail(op, req.Prefix, err)
	}
	page := ListPage{IsTruncated: out.IsTruncated}
	for _, o := range out.Contents {
		e := ListEntry{
			Key:  oss.ToString(o.Key),
			Size: o.Size,
			ETag: trimETag(oss.ToString(o.ETag)),
			Type: ObjectType(oss.ToString(o.Type)),
		}
		if o.LastModified != nil {
			e.LastModified = *o.LastModified
		}
		page.Objects = append(page.Objects, e)
	}
	for _, p := range out.CommonPrefixes {
		page.CommonPrefixes = append(page.CommonPrefixes, oss.ToString(p.Prefix))
	}
	if out.IsTruncated {
		page.NextContinuationToken = oss.ToString(out.NextContinuationToken)
		if page.NextContinuationToken == "" {
			// Without a token the caller could only restart the listing.
			return ListPage{}, newError(op, req.Prefix, ErrUnknown, "truncated listing without NextContinuationToken")
		}
	}
	return page, nil
}

// objectInfo reads the attributes OSS sends with HEAD and GET responses.
// Size is the Content-Length, -1 when absent.
func objectInfo(key string, h http.Header) ObjectInfo {
	info := ObjectInfo{
		Key:         key,
		Size:        -1,
		ETag:        trimETag(h.Get("ETag")),
		ContentType: h.Get("Content-Type"),
		Type:        ObjectType(h.Get("x-oss-object-type")),
		Meta:        userMeta(h),
	}
	if n, err := strconv.ParseInt(h.Get("Content-Length"), 10, 64); err == nil {
		info.Size = n
	}
	if t, err := http.ParseTime(h.Get("Last-Modified")); err == nil {
		info.LastModified = t
	}
	info.CRC64, info.HasCRC64 = parseCRC64(h.Get("x-oss-hash-crc64ecma"))
	if n, err := strconv.ParseInt(h.Get("x-oss-next-append-position"), 10, 64); err == nil {
		info.NextAppendPosition = n
	}
	return info
}

// userMeta collects x-oss-meta-* headers. Go canonicalises header names
// (X-Oss-Meta-Mode), while OSS metadata names are lowercase.
func userMeta(h http.Header) map[string]string {
	const prefix = "x-oss-meta-"
	var meta map[string]string
	for name, values := range h {
		lower := strings.ToLower(name)
		if !strings.HasPrefix(lower, prefix) || len(lower) == len(prefix) {
			continue
		}
		if meta == nil {
			meta = make(map[string]string)
		}
		meta[lower[len(prefix):]] = strings.Join(values, ",")
	}
	return meta
}

// parseCRC64 parses the decimal x-oss-hash-crc64ecma value.
func parseCRC64(s string) (uint64, bool) {
	v, err := strconv.ParseUint(s, 10, 64)
	return v, err == nil
}

// crcOf returns the CRC in an optional SDK header field, 0 when absent.
func crcOf(s *string) uint64 {
	v, _ := parseCRC64(oss.ToString(s))
	return v
}

// trimETag removes the quotes OSS puts around ETags.
func trimETag(s string) string {
	return strings.Trim(s, `"`)
}

// quoteETag renders an ETag for a conditional header, which wants the
// quoted form; nil for no condition.
func quoteETag(s string) *string {
	if s == "" {
		return nil
	}
	if !strings.HasPrefix(s, `"`) {
		s = `"` + s + `"`
	}
	return &s
}

// optString returns nil for "", so the SDK leaves the field out instead of
// sending an empty header or query parameter.
func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// optTime renders a condition time as RFC 1123 GMT; nil for the zero time.
func optTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	return oss.Ptr(t.UTC().Format(http.TimeFormat))
}

// optTrue renders a boolean header that is only sent when set.
func optTrue(b bool) *string {
	if !b {
		return nil
	}
	return oss.Ptr("true")
}

// checkKey rejects keys OSS cannot store before a request is sent; the SDK
// would reject an empty key with a less specific error.
func checkKey(op, key string) error {
	if key == "" || len(key) > MaxKeyLength {
		return newError(op, key, ErrInvalidName, "object key must be 1..%d bytes, got %d", MaxKeyLength, len(key))
	}
	return nil
}
