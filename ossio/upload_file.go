package ossio

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"fmt"
	"hash/crc64"
	"io"
	"time"

	"golang.org/x/sync/errgroup"
)

// abortTimeout bounds the AbortMultipart sent after a failure, which runs
// even when the caller's context is done so that no upload is left behind.
const abortTimeout = 30 * time.Second

// UploadFile writes bytes [0, size) of src as key: with one PutObject
// carrying Content-MD5 when size <= opts.PartSize (also for size 0), else
// with a multipart upload whose parts are read from src by
// io.NewSectionReader (so the client can rewind them to retry) and sent
// opts.Parallelism at a time.
//
// copySrc, if not nil, names ranges of the new object that are unchanged
// from copySrc.SrcKey at the same offsets: parts inside them are copied
// with UploadPartCopy, conditional on copySrc.SrcETag, instead of being
// sent (see planParts for how parts are cut). src must still hold every
// byte: OSS's minimum part size may force bytes of a copy range to be sent,
// a small object is always sent whole, and ranges beyond the source's end
// are sent. The source is read with HeadObject first: if its ETag is not
// SrcETag the upload fails with ErrPreconditionFailed before it starts (and
// if it changes later, the part copy fails alike); a missing source fails
// with ErrNotFound. Either way the caller may retry without copySrc.
//
// The CRC-64 of the result is checked against the bytes read from src
// (ErrInvalidDigest) when every part's CRC is known: OSS reports none for
// copied parts, which IfMatch guards instead. On failure the multipart
// upload is aborted and key is left as it was; src is not needed afterwards.
func UploadFile(ctx context.Context, c Client, key string, src io.ReaderAt, size int64, m ObjectMeta, opts UploadOptions, copySrc *CopyRanges) (UploadResult, error) {
	opts = opts.withDefaults()
	if size < 0 {
		return UploadResult{}, newError("PutObject", key, ErrInvalidRequest, "negative size %d", size)
	}
	if src == nil {
		src = bytes.NewReader(nil)
	}
	if size <= opts.PartSize {
		return putFile(ctx, c, key, src, size, m)
	}
	var ranges []Range
	if copySrc != nil && len(copySrc.Ranges) > 0 {
		// The source must still be the version the ranges are relative to,
		// and hold them: a copy-source range past its end may be cut short
		// without an error (the emulator does so).
		info, err := c.HeadObject(ctx, copySrc.SrcKey)
		if err != nil {
			return UploadResult{}, err
		}
		if copySrc.SrcETag != "" && !etagsEqual(copySrc.SrcETag, info.ETag) {
			return UploadResult{}, newError("UploadPartCopy", key, ErrPreconditionFailed, "source %q has ETag %s, not %s", copySrc.SrcKey, info.ETag, copySrc.SrcETag)
		}
		ranges = normalizeRanges(copySrc.Ranges, min(size, info.Size))
	}
	plan, err := planParts(size, opts.PartSize, opts.CopyPartSize, ranges)
	if err != nil {
		return UploadResult{}, err
	}
	id, err := c.InitiateMultipart(ctx, InitiateMultipartRequest{Key: key, ContentType: m.ContentType, Meta: m.Meta})
	if err != nil {
		return UploadResult{}, err
	}
	parts := make([]Part, len(plan))
	crcs := make([]uint64, len(plan))
	err = forEachPart(ctx, opts.Parallelism, len(plan), func(ctx context.Context, i int) error {
		fp := plan[i]
		if fp.copy {
			p, err := c.UploadPartCopy(ctx, UploadPartCopyRequest{
				Key: key, UploadID: id, Number: i + 1,
				SrcKey: copySrc.SrcKey, Offset: fp.off, Length: fp.n, IfMatch: copySrc.SrcETag,
			})
			parts[i], crcs[i] = p, p.CRC64
			return err
		}
		body := &hashingSection{r: io.NewSectionReader(src, fp.off, fp.n)}
		p, err := c.UploadPart(ctx, UploadPartRequest{Key: key, UploadID: id, Number: i + 1, Body: body, Size: fp.n})
		if err != nil {
			return err
		}
		crc, err := body.sum()
		if err != nil {
			return fmt.Errorf("ossio: read part %d of %q: %w", i+1, key, err)
		}
		if crcMismatch(p.CRC64, crc) {
			return newError("UploadPart", key, ErrInvalidDigest, "part %d: OSS stored CRC-64 %d, sent %d", i+1, p.CRC64, crc)
		}
		parts[i], crcs[i] = p, crc
		return nil
	})
	if err != nil {
		abortDetached(ctx, c, key, id)
		return UploadResult{}, err
	}
	for i := range parts {
		parts[i].Number, parts[i].Size = i+1, plan[i].n
	}
	res, err := c.CompleteMultipart(ctx, CompleteMultipartRequest{Key: key, UploadID: id, Parts: parts})
	if err != nil {
		abortDetached(ctx, c, key, id)
		return UploadResult{}, err
	}
	out := UploadResult{ETag: res.ETag, CRC64: res.CRC64, Size: size}
	if crc, ok := combineParts(plan, crcs); ok {
		if crcMismatch(res.CRC64, crc) {
			return UploadResult{}, newError("CompleteMultipart", key, ErrInvalidDigest, "OSS assembled CRC-64 %d, parts give %d", res.CRC64, crc)
		}
		out.CRC64 = crc
	}
	return out, nil
}

// putFile writes a small object with one PutObject.
func putFile(ctx context.Context, c Client, key string, src io.ReaderAt, size int64, m ObjectMeta) (UploadResult, error) {
	sum, crc := md5.New(), crc64.New(crcTable)
	if _, err := io.Copy(io.MultiWriter(sum, crc), io.NewSectionReader(src, 0, size)); err != nil {
		return UploadResult{}, fmt.Errorf("ossio: read %q: %w", key, err)
	}
	res, err := c.PutObject(ctx, PutRequest{
		Key:         key,
		Body:        io.NewSectionReader(src, 0, size),
		Size:        size,
		ContentType: m.ContentType,
		Meta:        m.Meta,
		ContentMD5:  base64.StdEncoding.EncodeToString(sum.Sum(nil)),
	})
	if err != nil {
		return UploadResult{}, err
	}
	if crcMismatch(res.CRC64, crc.Sum64()) {
		return UploadResult{}, newError("PutObject", key, ErrInvalidDigest, "OSS stored CRC-64 %d, sent %d", res.CRC64, crc.Sum64())
	}
	return UploadResult{ETag: res.ETag, CRC64: crc.Sum64(), Size: size}, nil
}

// combineParts returns the object's CRC-64 from its parts', if all are known
// (a copied part's is unknown when OSS reported none).
func combineParts(plan []filePart, crcs []uint64) (uint64, bool) {
	var crc uint64
	for i, fp := range plan {
		if crcs[i] == 0 && fp.copy {
			return 0, false
		}
		crc = crc64Combine(crc, crcs[i], fp.n)
	}
	return crc, true
}

// forEachPart runs fn for parts 0..n-1, parallel at a time, and returns the
// first error; the first error cancels the context of the others.
func forEachPart(ctx context.Context, parallel, n int, fn func(ctx context.Context, i int) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallel)
	for i := 0; i < n; i++ {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error { return fn(gctx, i) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// abortDetached aborts a failed multipart upload even if ctx is done. Its
// own failure is not reported: the caller's error is the one that matters,
// and a bucket lifecycle rule reaps uploads left behind.
func abortDetached(ctx context.Context, c Client, key, uploadID string) {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
	defer cancel()
	_ = c.AbortMultipart(actx, key, uploadID)
}
