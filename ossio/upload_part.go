package ossio

import (
	"context"
	"errors"
	"io"
	"slices"
)

// Chunks of part buffers: a part's buffer grows by doubling from minChunk,
// in chunks of at most maxChunk, so a small file holds little budget and a
// large part is not copied as it grows.
const (
	minChunk = 64 << 10
	maxChunk = 16 << 20
)

// partStatus is where one part of an Upload is.
type partStatus int

const (
	partFilling   partStatus = iota // Write appends to it
	partReady                       // full (or sealed by Close), waiting for an upload slot
	partUploading                   // a background upload owns it
	partStored                      // OSS has it; buffers released
	partFailed                      // its last upload failed; buffers kept for the retry
)

// upPart is one part of an Upload and its buffer.
//
// INVARIANT: held is the sum of cap(chunks[i]) until the part is stored,
// then 0; size is the sum of len(chunks[i]); size <= held <= limit.
// Its data is owned by the Upload's op holder while filling, ready or
// failed, and by the background upload while uploading.
type upPart struct {
	number int
	limit  int64 // the part's size once full
	size   int64
	held   int64 // bytes taken from the budget
	chunks [][]byte
	crc    uint64 // CRC-64 of the part's bytes, once summed
	summed bool

	status partStatus // GUARDED_BY(Upload.mu)
	etag   string     // GUARDED_BY(Upload.mu)
}

// grow makes room for at least one more byte, taking the chunk from b first.
func (p *upPart) grow(ctx context.Context, b Budget) error {
	if n := len(p.chunks); n > 0 && len(p.chunks[n-1]) < cap(p.chunks[n-1]) {
		return nil
	}
	n := min(max(p.held, minChunk), maxChunk, p.limit-p.held)
	if err := b.Acquire(ctx, n); err != nil {
		return err
	}
	p.chunks = append(p.chunks, make([]byte, 0, n))
	p.held += n
	return nil
}

// fill copies as much of b as fits in the last chunk and returns how much.
func (p *upPart) fill(b []byte) int {
	last := len(p.chunks) - 1
	c := p.chunks[last]
	n := copy(c[len(c):cap(c)], b)
	p.chunks[last] = c[:len(c)+n]
	p.size += int64(n)
	p.crc, p.summed = 0, false // a Close whose PutObject failed may have summed it
	return n
}

// ReadAt implements io.ReaderAt over the part's chunks, so that a part body
// is an io.SectionReader the client can rewind to retry.
func (p *upPart) ReadAt(b []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("ossio: negative offset")
	}
	n := 0
	for _, c := range p.chunks {
		if n == len(b) {
			break
		}
		if off >= int64(len(c)) {
			off -= int64(len(c))
			continue
		}
		n += copy(b[n:], c[off:])
		off = 0
	}
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

// sum computes the part's CRC-64 once.
func (p *upPart) sum() uint64 {
	if !p.summed {
		for _, c := range p.chunks {
			p.crc = crc64Update(p.crc, c)
		}
		p.summed = true
	}
	return p.crc
}

// start queues a full part and starts the queued parts that find a slot.
func (u *Upload) start(ctx context.Context, p *upPart) error {
	u.mu.Lock()
	p.status = partReady
	u.ready = append(u.ready, p)
	u.mu.Unlock()
	return u.dispatch(ctx)
}

// dispatch starts uploading the queued parts in order, initiating the
// multipart upload first, and waits for a slot while Parallelism parts are
// in flight. On error the parts not started stay queued.
func (u *Upload) dispatch(ctx context.Context) error {
	for {
		u.mu.Lock()
		switch {
		case len(u.ready) == 0:
			u.mu.Unlock()
			return nil
		case u.uploadID == "":
			u.mu.Unlock()
			if err := u.initiate(ctx); err != nil {
				return err
			}
		case u.inflight >= u.opts.Parallelism:
			ch := u.changed
			u.mu.Unlock()
			select {
			case <-ch:
			case <-ctx.Done():
				return ctx.Err()
			}
		default:
			p := u.ready[0]
			u.ready = u.ready[1:]
			p.status = partUploading
			u.inflight++
			u.wg.Add(1)
			u.mu.Unlock()
			go u.upload(p, u.uploadID)
		}
	}
}

// initiate starts the multipart upload.
func (u *Upload) initiate(ctx context.Context) error {
	id, err := u.c.InitiateMultipart(ctx, InitiateMultipartRequest{
		Key: u.key, ContentType: u.meta.ContentType, Meta: u.meta.Meta,
	})
	u.mu.Lock()
	defer u.mu.Unlock()
	if err != nil {
		u.failLocked(err)
		return err
	}
	u.uploadID = id
	if u.state == stateOpen {
		u.state = stateUploading
	}
	return nil
}

// upload sends one part in the background. On success the part's buffers
// go back to the budget; on failure they stay for the retry.
func (u *Upload) upload(p *upPart, uploadID string) {
	defer u.wg.Done()
	crc := p.sum()
	res, err := u.c.UploadPart(u.bg, UploadPartRequest{
		Key: u.key, UploadID: uploadID, Number: p.number,
		Body: io.NewSectionReader(p, 0, p.size), Size: p.size,
	})
	if err == nil && crcMismatch(res.CRC64, crc) {
		err = newError("UploadPart", u.key, ErrInvalidDigest, "part %d: OSS stored CRC-64 %d, sent %d", p.number, res.CRC64, crc)
	}
	var release int64
	u.mu.Lock()
	u.inflight--
	if err != nil {
		p.status = partFailed
		u.failLocked(err)
	} else {
		p.status = partStored
		p.etag = res.ETag
		release, p.held, p.chunks = p.held, 0, nil
	}
	close(u.changed)
	u.changed = make(chan struct{})
	u.mu.Unlock()
	if release > 0 {
		u.opts.Budget.Release(release)
	}
}

// failLocked records a failed request. Losing the multipart upload loses the
// parts already stored, whose buffers are gone: that cannot be retried.
func (u *Upload) failLocked(err error) {
	if u.state == stateDone || u.state == stateAborted {
		return
	}
	u.state = stateFailed
	u.err = err
	if errors.Is(err, ErrNoSuchUpload) {
		u.final = true
	}
	if u.interrupt != nil {
		u.interrupt(err)
	}
}

// drain waits until no part is uploading.
func (u *Upload) drain(ctx context.Context) error {
	for {
		u.mu.Lock()
		n, ch := u.inflight, u.changed
		u.mu.Unlock()
		if n == 0 {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// retry uploads the failed and queued parts and waits for every part in
// flight. It returns the failure if a part is still missing afterwards, and
// otherwise leaves stateFailed.
func (u *Upload) retry(ctx context.Context) error {
	u.mu.Lock()
	for _, p := range u.parts {
		if p.status == partFailed {
			p.status = partReady
			u.ready = append(u.ready, p)
		}
	}
	slices.SortFunc(u.ready, func(a, b *upPart) int { return a.number - b.number })
	u.mu.Unlock()
	if err := u.dispatch(ctx); err != nil {
		return err
	}
	if err := u.drain(ctx); err != nil {
		return err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.final {
		return u.err
	}
	for _, p := range u.parts {
		if p.status == partFailed {
			return u.err
		}
	}
	if u.state == stateFailed {
		u.state, u.err = stateOpen, nil
		if u.uploadID != "" {
			u.state = stateUploading
		}
	}
	return nil
}
