package ossio

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"io"
)

// Close finishes the upload and returns what OSS stored. Up to one part of
// bytes is written with one PutObject carrying Content-MD5; more with the
// last part and CompleteMultipart. The CRC-64 OSS reports for the object is
// checked against the bytes written (ErrInvalidDigest on a mismatch).
//
// If a request fails, Close returns its error and the Upload keeps every
// byte OSS does not have; calling Close again sends just the missing parts
// and the completion. Close of a completed Upload returns its result again.
// Close waits for the background uploads (or for ctx).
func (u *Upload) Close(ctx context.Context) (UploadResult, error) {
	u.op.Lock()
	defer u.op.Unlock()
	u.mu.Lock()
	state, err, final := u.state, u.err, u.final
	u.mu.Unlock()
	switch {
	case state == stateDone:
		return u.result, nil
	case state == stateAborted:
		return UploadResult{}, ErrUploadClosed
	case final:
		return UploadResult{}, err
	}
	u.closing = true
	if u.uploadID == "" && len(u.parts) <= 1 {
		return u.putSingle(ctx)
	}
	if f := u.filling; f != nil {
		u.filling = nil
		if f.size == 0 { // its first chunk was never granted
			u.parts = u.parts[:len(u.parts)-1]
		} else {
			u.mu.Lock()
			f.status = partReady
			u.ready = append(u.ready, f)
			u.mu.Unlock()
		}
	}
	if err := u.retry(ctx); err != nil {
		return UploadResult{}, err
	}
	return u.complete(ctx)
}

// putSingle writes the object with one PutObject. On failure the bytes stay
// in the part for the next Close.
func (u *Upload) putSingle(ctx context.Context) (UploadResult, error) {
	p := &upPart{}
	if len(u.parts) == 1 {
		p = u.parts[0]
	}
	sum := md5.New()
	for _, c := range p.chunks {
		sum.Write(c)
	}
	crc := p.sum()
	res, err := u.c.PutObject(ctx, PutRequest{
		Key:         u.key,
		Body:        io.NewSectionReader(p, 0, p.size),
		Size:        p.size,
		ContentType: u.meta.ContentType,
		Meta:        u.meta.Meta,
		ContentMD5:  base64.StdEncoding.EncodeToString(sum.Sum(nil)),
	})
	if err == nil && crcMismatch(res.CRC64, crc) {
		err = newError("PutObject", u.key, ErrInvalidDigest, "OSS stored CRC-64 %d, sent %d", res.CRC64, crc)
	}
	if err != nil {
		u.mu.Lock()
		u.failLocked(err)
		u.mu.Unlock()
		return UploadResult{}, err
	}
	return u.finish(UploadResult{ETag: res.ETag, CRC64: crc, Size: p.size}), nil
}

// complete assembles the stored parts and checks the object's CRC-64.
func (u *Upload) complete(ctx context.Context) (UploadResult, error) {
	parts := make([]Part, len(u.parts))
	var crc uint64
	u.mu.Lock()
	for i, p := range u.parts {
		parts[i] = Part{Number: p.number, ETag: p.etag, Size: p.size, CRC64: p.crc}
		crc = crc64Combine(crc, p.crc, p.size)
	}
	u.mu.Unlock()
	size := u.Size()
	res, err := u.c.CompleteMultipart(ctx, CompleteMultipartRequest{Key: u.key, UploadID: u.uploadID, Parts: parts})
	if errors.Is(err, ErrNoSuchUpload) {
		// A Complete whose answer was lost may have landed; its replay
		// then finds no upload. The object tells.
		if info, herr := u.c.HeadObject(ctx, u.key); herr == nil && info.Size == size && info.HasCRC64 && info.CRC64 == crc {
			return u.finish(UploadResult{ETag: info.ETag, CRC64: crc, Size: size}), nil
		}
	}
	if err == nil && crcMismatch(res.CRC64, crc) {
		// The object is in place but wrong, and the stored parts' bytes are
		// gone: nothing left to retry with.
		err = newError("CompleteMultipart", u.key, ErrInvalidDigest, "OSS assembled CRC-64 %d, sent %d", res.CRC64, crc)
		u.mu.Lock()
		u.failLocked(err)
		u.final = true
		u.mu.Unlock()
		return UploadResult{}, err
	}
	if err != nil {
		u.mu.Lock()
		u.failLocked(err)
		u.mu.Unlock()
		return UploadResult{}, err
	}
	return u.finish(UploadResult{ETag: res.ETag, CRC64: crc, Size: size}), nil
}

// finish records success and releases what is left of the buffers.
func (u *Upload) finish(r UploadResult) UploadResult {
	var held int64
	for _, p := range u.parts {
		held += p.held
		p.held, p.chunks = 0, nil
	}
	u.filling = nil
	if held > 0 {
		u.opts.Budget.Release(held)
	}
	u.result = r
	u.mu.Lock()
	u.state, u.err = stateDone, nil
	u.mu.Unlock()
	u.bgCancel()
	return r
}

// Abort discards the upload: it stops and waits for the background part
// uploads, releases every buffer and aborts the multipart upload in OSS. An
// object the Upload did not complete is left as it was. Abort of a
// completed Upload does nothing. If the AbortMultipart request fails, the
// Upload is aborted locally and Abort may be called again to retry it.
func (u *Upload) Abort(ctx context.Context) error {
	u.op.Lock()
	defer u.op.Unlock()
	u.mu.Lock()
	if u.state == stateDone {
		u.mu.Unlock()
		return nil
	}
	u.state = stateAborted
	u.ready = nil
	u.mu.Unlock()
	u.bgCancel()
	u.wg.Wait() // prompt: their requests are cancelled
	var held int64
	for _, p := range u.parts {
		held += p.held
		p.held, p.chunks = 0, nil
	}
	u.parts, u.filling = nil, nil
	if held > 0 {
		u.opts.Budget.Release(held)
	}
	if u.uploadID == "" {
		return nil
	}
	if err := u.c.AbortMultipart(ctx, u.key, u.uploadID); err != nil && !errors.Is(err, ErrNoSuchUpload) {
		return err
	}
	u.uploadID = ""
	return nil
}
