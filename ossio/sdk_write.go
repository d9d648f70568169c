package ossio

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
)

// PutObject implements Client. The body is streamed; with Size >= 0 it is
// sent with that Content-Length, otherwise chunked. The SDK checks the
// returned CRC-64 against the bytes it sent (ErrInvalidDigest on mismatch).
func (c *sdkClient) PutObject(ctx context.Context, req PutRequest) (PutResult, error) {
	const op = "PutObject"
	if err := checkUpload(op, req.Key, req.Body, 0, req.Size); err != nil {
		return PutResult{}, err
	}
	in := &oss.PutObjectRequest{
		Bucket:          &c.bucket,
		Key:             &req.Key,
		Body:            req.Body,
		ContentType:     optString(req.ContentType),
		ContentMD5:      optString(req.ContentMD5),
		ForbidOverwrite: optTrue(req.ForbidOverwrite),
		Metadata:        req.Meta,
	}
	if req.Size >= 0 {
		in.ContentLength = oss.Ptr(req.Size)
	}
	var out *oss.PutObjectResult
	err := c.sendBody(ctx, req.Body, req.ForbidOverwrite, func(body io.Reader, opt func(*oss.Options)) (err error) {
		in.Body = body
		out, err = c.api.PutObject(ctx, in, opt)
		return err
	})
	if err != nil {
		return PutResult{}, c.fail(op, req.Key, err)
	}
	return PutResult{ETag: trimETag(oss.ToString(out.ETag)), CRC64: crcOf(out.HashCRC64)}, nil
}

// AppendObject implements Client. ContentType and Meta are only sent with
// Position 0, where OSS creates the object; later appends cannot change them.
// The SDK retries an append only when it certainly did not land (see
// commitSafeRetryer); after ErrUnavailable the caller must resynchronise,
// e.g. with HeadObject's NextAppendPosition.
func (c *sdkClient) AppendObject(ctx context.Context, req AppendRequest) (AppendResult, error) {
	const op = "AppendObject"
	if req.Position < 0 {
		return AppendResult{}, newError(op, req.Key, ErrInvalidRequest, "negative append position %d", req.Position)
	}
	if err := checkUpload(op, req.Key, req.Body, req.Position, req.Size); err != nil {
		return AppendResult{}, err
	}
	in := &oss.AppendObjectRequest{
		Bucket:   &c.bucket,
		Key:      &req.Key,
		Position: oss.Ptr(req.Position),
		Body:     req.Body,
	}
	if req.Size >= 0 {
		in.ContentLength = oss.Ptr(req.Size)
	}
	if req.Position == 0 {
		in.ContentType = optString(req.ContentType)
		in.Metadata = req.Meta
	}
	var out *oss.AppendObjectResult
	err := c.sendBody(ctx, req.Body, true, func(body io.Reader, opt func(*oss.Options)) (err error) {
		in.Body = body
		out, err = c.api.AppendObject(ctx, in, opt)
		return err
	})
	if err != nil {
		return AppendResult{}, c.fail(op, req.Key, err)
	}
	// The SDK's result has no field for it, but OSS sends the appended
	// object's ETag: it spares the caller a HEAD before its next use.
	return AppendResult{NextPosition: out.NextPosition, CRC64: crcOf(out.HashCRC64), ETag: trimETag(out.Headers.Get("ETag"))}, nil
}

// CopyObject implements Client. ContentType and Meta are sent only with
// REPLACE; under COPY OSS would ignore them (except on a self-copy, where
// they would silently become the object's metadata).
func (c *sdkClient) CopyObject(ctx context.Context, req CopyRequest) (CopyResult, error) {
	const op = "CopyObject"
	if err := checkKey(op, req.SrcKey); err != nil {
		return CopyResult{}, err
	}
	if err := checkKey(op, req.DstKey); err != nil {
		return CopyResult{}, err
	}
	in := &oss.CopyObjectRequest{
		Bucket:            &c.bucket,
		Key:               &req.DstKey,
		SourceKey:         &req.SrcKey,
		IfMatch:           quoteETag(req.IfMatch),
		IfNoneMatch:       quoteETag(req.IfNoneMatch),
		IfModifiedSince:   optTime(req.IfModifiedSince),
		IfUnmodifiedSince: optTime(req.IfUnmodifiedSince),
		ForbidOverwrite:   optTrue(req.ForbidOverwrite),
	}
	switch req.Directive {
	case "":
	case MetadataCopy:
		in.MetadataDirective = oss.Ptr(string(MetadataCopy))
	case MetadataReplace:
		in.MetadataDirective = oss.Ptr(string(MetadataReplace))
		in.ContentType = optString(req.ContentType)
		in.Metadata = req.Meta
	default:
		return CopyResult{}, newError(op, req.DstKey, ErrInvalidRequest, "unknown metadata directive %q", req.Directive)
	}
	var opts []func(*oss.Options)
	if req.ForbidOverwrite {
		opts = append(opts, c.commitSafe)
	}
	out, err := c.api.CopyObject(ctx, in, opts...)
	if err != nil {
		return CopyResult{}, c.fail(op, req.DstKey, err)
	}
	res := CopyResult{ETag: trimETag(oss.ToString(out.ETag)), CRC64: crcOf(out.HashCRC64)}
	if res.ETag == "" {
		// A copy result without an ETag is not a copy result; accepting it
		// would let a rename delete its source with no copy made.
		return CopyResult{}, newError(op, req.DstKey, ErrUnknown, "copy response without ETag")
	}
	if out.LastModified != nil {
		res.LastModified = *out.LastModified
	}
	return res, nil
}

// PutSymlink implements Client. The target is percent-encoded on the wire,
// as header values cannot carry arbitrary key bytes; GetSymlink decodes it.
func (c *sdkClient) PutSymlink(ctx context.Context, req PutSymlinkRequest) error {
	const op = "PutSymlink"
	if err := checkKey(op, req.Key); err != nil {
		return err
	}
	if req.Target == "" {
		return newError(op, req.Key, ErrInvalidRequest, "empty symlink target")
	}
	in := &oss.PutSymlinkRequest{
		Bucket:   &c.bucket,
		Key:      &req.Key,
		Target:   oss.Ptr(escapeSymlinkTarget(req.Target)),
		Metadata: req.Meta,
	}
	if req.ContentType != "" {
		// The SDK's request has no Content-Type field.
		in.Headers = map[string]string{"Content-Type": req.ContentType}
	}
	_, err := c.api.PutSymlink(ctx, in)
	return c.fail(op, req.Key, err)
}

// GetSymlink implements Client. A response without x-oss-symlink-target
// (a server that ignored ?symlink and returned the object) is ErrNotSymlink.
func (c *sdkClient) GetSymlink(ctx context.Context, key string) (SymlinkInfo, error) {
	const op = "GetSymlink"
	if err := checkKey(op, key); err != nil {
		return SymlinkInfo{}, err
	}
	out, err := c.api.GetSymlink(ctx, &oss.GetSymlinkRequest{Bucket: &c.bucket, Key: &key})
	if err != nil {
		return SymlinkInfo{}, c.fail(op, key, err)
	}
	target := oss.ToString(out.Target)
	if target == "" {
		return SymlinkInfo{}, newError(op, key, ErrNotSymlink, "response has no x-oss-symlink-target")
	}
	info := SymlinkInfo{
		Target: unescapeSymlinkTarget(target),
		ETag:   trimETag(oss.ToString(out.ETag)),
		Meta:   userMeta(out.Headers),
	}
	// The SDK's result has no Last-Modified field; the header is there.
	if t, err := http.ParseTime(out.Headers.Get("Last-Modified")); err == nil {
		info.LastModified = t
	}
	return info, nil
}

// checkUpload validates an upload body before anything is sent, so an
// oversized upload fails at once instead of after gigabytes.
func checkUpload(op, key string, body io.Reader, position, size int64) error {
	if err := checkKey(op, key); err != nil {
		return err
	}
	if body == nil && size > 0 {
		return newError(op, key, ErrInvalidRequest, "nil body with size %d", size)
	}
	if size > MaxPutSize || (size >= 0 && position+size > MaxPutSize) {
		return newError(op, key, ErrTooLarge, "object would be %d bytes, limit %d", position+size, int64(MaxPutSize))
	}
	return nil
}

// escapeSymlinkTarget percent-encodes every byte but unreserved characters
// and '/', as the Python SDK does except that '/' stays readable; a decoder
// reads both forms alike.
func escapeSymlinkTarget(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case 'a' <= ch && ch <= 'z', 'A' <= ch && ch <= 'Z', '0' <= ch && ch <= '9',
			ch == '-', ch == '_', ch == '.', ch == '~', ch == '/':
			b.WriteByte(ch)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[ch>>4])
			b.WriteByte(hex[ch&15])
		}
	}
	return b.String()
}

// unescapeSymlinkTarget reverses escapeSymlinkTarget. A value that is not
// valid percent-encoding was written raw (e.g. by the Go SDK) and is kept.
func unescapeSymlinkTarget(s string) string {
	if t, err := url.PathUnescape(s); err == nil {
		return t
	}
	return s
}
