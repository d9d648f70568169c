package ossio

import (
	"context"
	"strings"
)

// CopyLarge copies req.SrcKey to req.DstKey whatever its size: with one
// CopyObject when size (the source's, as the caller knows it) is at most
// opts.CopyThreshold (default MaxCopySize, 1 GiB), else with a multipart
// copy: UploadPartCopy of parts of opts.CopyPartSize, opts.Parallelism at a
// time, then CompleteMultipart; a failed multipart copy is aborted and
// leaves the destination as it was.
//
// A multipart copy first reads the source with HeadObject, which decides:
//   - the metadata: REPLACE takes req.ContentType and req.Meta; COPY (or no
//     directive) takes the source's Content-Type and user metadata. Other
//     standard headers (Cache-Control, Content-Disposition, ...) are not
//     carried, and a self-copy keeps COPY's meaning (unlike CopyObject's);
//   - the conditions: req.IfMatch, IfNoneMatch, IfModifiedSince and
//     IfUnmodifiedSince are evaluated against it, with the errors of
//     CopyObject (ErrPreconditionFailed, ErrNotModified);
//   - the version copied: every part copy is conditional on the ETag seen,
//     so a source that changes during the copy fails it with
//     ErrPreconditionFailed rather than mixing two versions;
//   - the size copied (the source's, not the size argument).
//
// The destination's CRC-64 is checked against the source's
// (ErrInvalidDigest). A multipart copy's result has no LastModified.
func CopyLarge(ctx context.Context, c Client, req CopyRequest, size int64, opts UploadOptions) (CopyResult, error) {
	opts = opts.withDefaults()
	if size <= opts.CopyThreshold {
		return c.CopyObject(ctx, req)
	}
	const op = "CopyObject"
	if err := checkKey(op, req.DstKey); err != nil {
		return CopyResult{}, err
	}
	switch req.Directive {
	case "", MetadataCopy, MetadataReplace:
	default:
		return CopyResult{}, newError(op, req.DstKey, ErrInvalidRequest, "unknown metadata directive %q", req.Directive)
	}
	info, err := c.HeadObject(ctx, req.SrcKey)
	if err != nil {
		return CopyResult{}, err
	}
	if err := copyConditions(op, req, info); err != nil {
		return CopyResult{}, err
	}
	if info.Size == 0 || info.Type == TypeSymlink {
		// Nothing for UploadPartCopy to copy; and CopyObject copies a
		// symlink itself, not the target that HEAD followed.
		return c.CopyObject(ctx, req)
	}
	ct, meta := info.ContentType, info.Meta
	if req.Directive == MetadataReplace {
		ct, meta = req.ContentType, req.Meta
	}
	ps := max(opts.CopyPartSize, (info.Size+MaxParts-1)/MaxParts)
	if ps > MaxPartSize {
		return CopyResult{}, newError(op, req.DstKey, ErrTooLarge, "source of %d bytes needs more than %d parts", info.Size, MaxParts)
	}
	plan := splitEven(filePart{n: info.Size, copy: true}, ps)

	id, err := c.InitiateMultipart(ctx, InitiateMultipartRequest{
		Key: req.DstKey, ContentType: ct, Meta: meta, ForbidOverwrite: req.ForbidOverwrite,
	})
	if err != nil {
		return CopyResult{}, err
	}
	parts := make([]Part, len(plan))
	err = forEachPart(ctx, opts.Parallelism, len(plan), func(ctx context.Context, i int) error {
		p, err := c.UploadPartCopy(ctx, UploadPartCopyRequest{
			Key: req.DstKey, UploadID: id, Number: i + 1,
			SrcKey: req.SrcKey, Offset: plan[i].off, Length: plan[i].n, IfMatch: info.ETag,
		})
		p.Number, p.Size = i+1, plan[i].n
		parts[i] = p
		return err
	})
	if err != nil {
		abortDetached(ctx, c, req.DstKey, id)
		return CopyResult{}, err
	}
	res, err := c.CompleteMultipart(ctx, CompleteMultipartRequest{
		Key: req.DstKey, UploadID: id, Parts: parts, ForbidOverwrite: req.ForbidOverwrite,
	})
	if err != nil {
		abortDetached(ctx, c, req.DstKey, id)
		return CopyResult{}, err
	}
	if info.HasCRC64 && crcMismatch(res.CRC64, info.CRC64) {
		return CopyResult{}, newError("CompleteMultipart", req.DstKey, ErrInvalidDigest, "copy has CRC-64 %d, source %d", res.CRC64, info.CRC64)
	}
	return CopyResult{ETag: res.ETag, CRC64: res.CRC64}, nil
}

// copyConditions evaluates a copy's source conditions against the source,
// in HTTP's order of precedence.
func copyConditions(op string, req CopyRequest, info ObjectInfo) error {
	switch {
	case req.IfMatch != "" && !etagsEqual(req.IfMatch, info.ETag):
		return newError(op, req.DstKey, ErrPreconditionFailed, "source %q has ETag %s, not %s", req.SrcKey, info.ETag, req.IfMatch)
	case req.IfMatch == "" && !req.IfUnmodifiedSince.IsZero() && info.LastModified.After(req.IfUnmodifiedSince):
		return newError(op, req.DstKey, ErrPreconditionFailed, "source %q modified at %v", req.SrcKey, info.LastModified)
	case req.IfNoneMatch != "" && etagsEqual(req.IfNoneMatch, info.ETag):
		return newError(op, req.DstKey, ErrNotModified, "source %q has ETag %s", req.SrcKey, info.ETag)
	case req.IfNoneMatch == "" && !req.IfModifiedSince.IsZero() && !info.LastModified.After(req.IfModifiedSince):
		return newError(op, req.DstKey, ErrNotModified, "source %q not modified since %v", req.SrcKey, req.IfModifiedSince)
	}
	return nil
}

// etagsEqual compares ETags as OSS does: without quotes, ignoring case.
func etagsEqual(a, b string) bool { return strings.EqualFold(trimETag(a), trimETag(b)) }
