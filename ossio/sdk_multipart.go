package ossio

import (
	"cmp"
	"context"
	"io"
	"slices"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
)

// InitiateMultipart implements Client. ForbidOverwrite is checked by OSS
// when the upload completes.
func (c *sdkClient) InitiateMultipart(ctx context.Context, req InitiateMultipartRequest) (string, error) {
	const op = "InitiateMultipart"
	if err := checkKey(op, req.Key); err != nil {
		return "", err
	}
	out, err := c.api.InitiateMultipartUpload(ctx, &oss.InitiateMultipartUploadRequest{
		Bucket:          &c.bucket,
		Key:             &req.Key,
		ContentType:     optString(req.ContentType),
		Metadata:        req.Meta,
		ForbidOverwrite: optTrue(req.ForbidOverwrite),
	})
	if err != nil {
		return "", c.fail(op, req.Key, err)
	}
	id := oss.ToString(out.UploadId)
	if id == "" {
		return "", newError(op, req.Key, ErrUnknown, "response has no UploadId")
	}
	return id, nil
}

// UploadPart implements Client. The body is streamed like PutObject's and
// its CRC-64 checked by the SDK. Part.Size is req.Size (-1 if unknown).
func (c *sdkClient) UploadPart(ctx context.Context, req UploadPartRequest) (Part, error) {
	const op = "UploadPart"
	if err := checkPart(op, req.Key, req.UploadID, req.Number); err != nil {
		return Part{}, err
	}
	if req.Body == nil && req.Size > 0 {
		return Part{}, newError(op, req.Key, ErrInvalidRequest, "nil body with size %d", req.Size)
	}
	if req.Size > MaxPartSize {
		return Part{}, newError(op, req.Key, ErrTooLarge, "part of %d bytes, limit %d", req.Size, int64(MaxPartSize))
	}
	in := &oss.UploadPartRequest{
		Bucket:     &c.bucket,
		Key:        &req.Key,
		UploadId:   &req.UploadID,
		PartNumber: int32(req.Number),
		Body:       req.Body,
	}
	if req.Size >= 0 {
		in.ContentLength = oss.Ptr(req.Size)
	}
	var out *oss.UploadPartResult
	err := c.sendBody(ctx, req.Body, false, func(body io.Reader, opt func(*oss.Options)) (err error) {
		in.Body = body
		out, err = c.api.UploadPart(ctx, in, opt)
		return err
	})
	if err != nil {
		return Part{}, c.fail(op, req.Key, err)
	}
	return Part{
		Number: req.Number,
		ETag:   trimETag(oss.ToString(out.ETag)),
		Size:   req.Size,
		CRC64:  crcOf(out.HashCRC64),
	}, nil
}

// UploadPartCopy implements Client. Part.Size is req.Length, or -1 for a
// whole-source copy whose size the response does not tell.
func (c *sdkClient) UploadPartCopy(ctx context.Context, req UploadPartCopyRequest) (Part, error) {
	const op = "UploadPartCopy"
	if err := checkPart(op, req.Key, req.UploadID, req.Number); err != nil {
		return Part{}, err
	}
	if err := checkKey(op, req.SrcKey); err != nil {
		return Part{}, err
	}
	in := &oss.UploadPartCopyRequest{
		Bucket:     &c.bucket,
		Key:        &req.Key,
		UploadId:   &req.UploadID,
		PartNumber: int32(req.Number),
		SourceKey:  &req.SrcKey,
		IfMatch:    quoteETag(req.IfMatch),
	}
	size := req.Length
	switch {
	case req.Length < 0 && req.Offset == 0:
		size = -1 // whole source: no range header
	case req.Offset < 0 || req.Length <= 0:
		// An open-ended copy-source range is not part of the OSS API, and
		// an empty one cannot be written.
		return Part{}, newError(op, req.Key, ErrInvalidRequest, "invalid source range: offset %d, length %d", req.Offset, req.Length)
	case req.Length > MaxPartSize:
		return Part{}, newError(op, req.Key, ErrTooLarge, "part of %d bytes, limit %d", req.Length, int64(MaxPartSize))
	default:
		// x-oss-copy-source-range is inclusive, like an HTTP Range.
		in.Range = oss.Ptr(httpRange(req.Offset, req.Length))
	}
	out, err := c.api.UploadPartCopy(ctx, in)
	if err != nil {
		return Part{}, c.fail(op, req.Key, err)
	}
	part := Part{Number: req.Number, ETag: trimETag(oss.ToString(out.ETag)), Size: size}
	// The SDK's result has no CRC field; OSS may send the header anyway.
	part.CRC64, _ = parseCRC64(out.Headers.Get("x-oss-hash-crc64ecma"))
	return part, nil
}

// CompleteMultipart implements Client. It is not replayed after a broken
// connection (see commitSafeRetryer): the first attempt may have completed
// the upload, and the replay would fail with NoSuchUpload.
func (c *sdkClient) CompleteMultipart(ctx context.Context, req CompleteMultipartRequest) (CompleteResult, error) {
	const op = "CompleteMultipart"
	if err := checkKey(op, req.Key); err != nil {
		return CompleteResult{}, err
	}
	if req.UploadID == "" {
		return CompleteResult{}, newError(op, req.Key, ErrInvalidRequest, "empty upload ID")
	}
	parts := slices.Clone(req.Parts)
	slices.SortFunc(parts, func(a, b Part) int { return cmp.Compare(a.Number, b.Number) })
	list := make([]oss.UploadPart, len(parts))
	for i, p := range parts {
		list[i] = oss.UploadPart{PartNumber: int32(p.Number), ETag: quoteETag(p.ETag)}
	}
	out, err := c.api.CompleteMultipartUpload(ctx, &oss.CompleteMultipartUploadRequest{
		Bucket:                  &c.bucket,
		Key:                     &req.Key,
		UploadId:                &req.UploadID,
		ForbidOverwrite:         optTrue(req.ForbidOverwrite),
		CompleteMultipartUpload: &oss.CompleteMultipartUpload{Parts: list},
	}, c.commitSafe)
	if err != nil {
		return CompleteResult{}, c.fail(op, req.Key, err)
	}
	return CompleteResult{ETag: trimETag(oss.ToString(out.ETag)), CRC64: crcOf(out.HashCRC64)}, nil
}

// AbortMultipart implements Client. Aborting twice fails with ErrNoSuchUpload.
func (c *sdkClient) AbortMultipart(ctx context.Context, key, uploadID string) error {
	const op = "AbortMultipart"
	if err := checkKey(op, key); err != nil {
		return err
	}
	if uploadID == "" {
		return newError(op, key, ErrInvalidRequest, "empty upload ID")
	}
	_, err := c.api.AbortMultipartUpload(ctx, &oss.AbortMultipartUploadRequest{
		Bucket: &c.bucket, Key: &key, UploadId: &uploadID,
	})
	return c.fail(op, key, err)
}

// ListParts implements Client, following NextPartNumberMarker page by page.
func (c *sdkClient) ListParts(ctx context.Context, key, uploadID string) ([]Part, error) {
	const op = "ListParts"
	if err := checkKey(op, key); err != nil {
		return nil, err
	}
	if uploadID == "" {
		return nil, newError(op, key, ErrInvalidRequest, "empty upload ID")
	}
	var parts []Part
	var marker int32
	for {
		out, err := c.api.ListParts(ctx, &oss.ListPartsRequest{
			Bucket:           &c.bucket,
			Key:              &key,
			UploadId:         &uploadID,
			MaxParts:         MaxListKeys,
			PartNumberMarker: marker,
		})
		if err != nil {
			return nil, c.fail(op, key, err)
		}
		for _, p := range out.Parts {
			parts = append(parts, Part{
				Number: int(p.PartNumber),
				ETag:   trimETag(oss.ToString(p.ETag)),
				Size:   p.Size,
				CRC64:  crcOf(p.HashCRC64),
			})
		}
		if !out.IsTruncated {
			break
		}
		// A marker that does not advance would loop forever.
		if out.NextPartNumberMarker <= marker {
			return nil, newError(op, key, ErrUnknown, "truncated part list with marker %d after %d", out.NextPartNumberMarker, marker)
		}
		marker = out.NextPartNumberMarker
	}
	slices.SortFunc(parts, func(a, b Part) int { return cmp.Compare(a.Number, b.Number) })
	return parts, nil
}

// checkPart validates the fields every part request needs.
func checkPart(op, key, uploadID string, number int) error {
	if err := checkKey(op, key); err != nil {
		return err
	}
	if uploadID == "" {
		return newError(op, key, ErrInvalidRequest, "empty upload ID")
	}
	if number < 1 || number > MaxParts {
		return newError(op, key, ErrInvalidRequest, "part number %d outside 1..%d", number, MaxParts)
	}
	return nil
}
