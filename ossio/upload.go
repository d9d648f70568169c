package ossio

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
)

// Budget is the memory budget that the part buffers of an Upload are drawn
// from. cache.Budget satisfies it; ossio declares it so as not to import cache.
type Budget interface {
	// Acquire takes n bytes, waiting until they are free or ctx is done.
	Acquire(ctx context.Context, n int64) error
	// Release gives back n bytes taken by Acquire.
	Release(n int64)
}

// Defaults of UploadOptions.
const (
	DefaultPartSize     = 8 << 20   // first part of a streaming upload; parts of UploadFile
	DefaultParallelism  = 4         // parts uploading or copying at once
	DefaultCopyPartSize = 128 << 20 // parts of a multipart copy
	// partGrowthPeriod is the number of parts after which the part size of a
	// streaming Upload doubles (up to MaxPartSize).
	partGrowthPeriod = 1000
)

// UploadOptions tune Upload, UploadFile and CopyLarge. Zero fields take the defaults.
type UploadOptions struct {
	// PartSize is the size of the first part of an Upload (later parts grow,
	// see Upload) and of the parts of UploadFile, which also writes objects up
	// to this size with a single PutObject. Default DefaultPartSize; it is
	// clamped to MinPartSize..MaxPartSize.
	PartSize int64
	// Parallelism is the number of parts uploading or copying at once.
	// Default DefaultParallelism.
	Parallelism int
	// Budget bounds the memory of the part buffers of an Upload; nil means
	// unbounded. UploadFile and CopyLarge buffer nothing and ignore it.
	Budget Budget
	// CopyThreshold is the largest object CopyLarge copies with one
	// CopyObject; larger ones are copied with UploadPartCopy. Default MaxCopySize.
	CopyThreshold int64
	// CopyPartSize is the part size of a multipart copy, raised as needed to
	// stay within MaxParts. Default DefaultCopyPartSize; clamped to
	// MinPartSize..MaxPartSize.
	CopyPartSize int64
}

func (o UploadOptions) withDefaults() UploadOptions {
	clampPart := func(v, def int64) int64 {
		if v <= 0 {
			v = def
		}
		return min(max(v, MinPartSize), MaxPartSize)
	}
	o.PartSize = clampPart(o.PartSize, DefaultPartSize)
	o.CopyPartSize = clampPart(o.CopyPartSize, DefaultCopyPartSize)
	if o.Parallelism <= 0 {
		o.Parallelism = DefaultParallelism
	}
	if o.CopyThreshold <= 0 {
		o.CopyThreshold = MaxCopySize
	}
	if o.Budget == nil {
		o.Budget = unbounded{}
	}
	return o
}

// unbounded is the Budget of an Upload given none.
type unbounded struct{}

func (unbounded) Acquire(context.Context, int64) error { return nil }
func (unbounded) Release(int64)                        {}

// ObjectMeta is the metadata an uploaded object is created with.
type ObjectMeta struct {
	ContentType string
	Meta        map[string]string
}

// UploadResult describes the object an upload wrote.
type UploadResult struct {
	ETag string
	// CRC64 is the object's CRC-64 as OSS reported it; it was checked
	// against the CRC of the bytes sent whenever OSS reported one.
	CRC64 uint64
	Size  int64
}

// ErrUploadClosed is returned by Write once Close has been called (whether
// or not it succeeded), and by Close of an aborted Upload.
var ErrUploadClosed = errors.New("ossio: upload is closed")

// uploadState is where an Upload is in its life. The transitions:
//
//	stateOpen      -> stateUploading  the first part is full: the multipart upload is initiated
//	stateOpen      -> stateDone       Close with at most one part: one PutObject
//	stateUploading -> stateDone       Close: the last parts are uploaded and the upload completed
//	open/uploading -> stateFailed     a PutObject, Initiate, part upload or Complete failed
//	stateFailed    -> open/uploading  Write (before any Close) re-uploaded the failed parts
//	stateFailed    -> stateDone       Close retried what was missing and completed
//	any but done   -> stateAborted    Abort
//
// Close seals the last part, so once it has been called Write fails with
// ErrUploadClosed whatever the state; Close (to retry) and Abort remain.
// A failed Upload still holds every byte OSS does not have (failed parts
// stay buffered), so that retrying loses nothing; only a failure that
// cannot be retried (the multipart upload vanished, or the completed object
// has the wrong CRC) makes stateFailed final.
type uploadState int

const (
	stateOpen      uploadState = iota // bytes buffered, nothing sent yet
	stateUploading                    // multipart upload initiated; full parts go up in the background
	stateFailed                       // a request failed; Write and Close retry
	stateDone                         // completed; Close returns the result again
	stateAborted                      // aborted; buffers released
)

func (s uploadState) String() string {
	switch s {
	case stateOpen:
		return "open"
	case stateUploading:
		return "uploading"
	case stateFailed:
		return "failed"
	case stateDone:
		return "done"
	case stateAborted:
		return "aborted"
	}
	return "invalid"
}

// Upload writes an object from bytes that arrive in order, as a file written
// sequentially does. An object that stays within the first part is written
// with one PutObject on Close; a larger one with a multipart upload whose full
// parts go up in the background, at most Parallelism at a time, while Write
// goes on. Part n (from 1) is PartSize << ((n-1)/1000) bytes, capped at
// MaxPartSize: the default 8 MiB parts hold ~8 TiB in 10000 parts (an
// object of the full 48.8 TB would need every part at 5 GiB).
//
// Buffers are drawn from the Budget in chunks before bytes are copied into
// them, growing with the part, and a part's buffers are released once OSS
// stored it. A Budget must be able to grant 16 MiB at once.
//
// Every Upload must end with a successful Close or with Abort, which
// release its budget. Write, Close and Abort are serialised by the Upload;
// Size may be called at any time.
type Upload struct {
	c    Client
	key  string
	meta ObjectMeta
	opts UploadOptions

	// op serialises Write, Close and Abort; it is held for their whole call.
	// The fields below op are owned by its holder.
	op       sync.Mutex
	parts    []*upPart // every part so far, parts[i].number == i+1
	filling  *upPart   // the last part while bytes go into it, or nil
	uploadID string    // set once the multipart upload is initiated
	closing  bool      // Close was called: no more Writes
	result   UploadResult

	size atomic.Int64 // bytes accepted by Write

	// bg is the context of background part uploads; Abort cancels it.
	bg       context.Context
	bgCancel context.CancelFunc
	wg       sync.WaitGroup // background part uploads

	mu       sync.Mutex
	state    uploadState // GUARDED_BY(mu)
	err      error       // GUARDED_BY(mu); the last failure, while stateFailed
	final    bool        // GUARDED_BY(mu); err cannot be retried
	inflight int         // GUARDED_BY(mu); parts uploading in the background
	ready    []*upPart   // GUARDED_BY(mu); full parts waiting for an upload slot, in order
	// changed is closed and replaced whenever a background upload ends.
	changed chan struct{} // GUARDED_BY(mu)
	// interrupt cancels the running Write's waits when a part fails, so it
	// does not wait for budget that the failed part keeps.
	interrupt context.CancelCauseFunc // GUARDED_BY(mu)
}

// NewUpload returns an Upload that will create key with metadata m. Nothing
// is sent until a part is full or Close is called.
func NewUpload(c Client, key string, m ObjectMeta, opts UploadOptions) *Upload {
	bg, cancel := context.WithCancel(context.Background())
	return &Upload{
		c: c, key: key, meta: m, opts: opts.withDefaults(),
		bg: bg, bgCancel: cancel, changed: make(chan struct{}),
	}
}

// Size returns the number of bytes Write accepted.
func (u *Upload) Size() int64 { return u.size.Load() }

// Write appends p. When a part is full it starts uploading it in the
// background (initiating the multipart upload first, in this call); Write
// blocks only while Parallelism parts are in flight or the budget is
// exhausted.
//
// On error a prefix of p may have been appended: Size tells how much. A
// Write after a background part failed first uploads the failed parts
// again; if that fails, it returns the error and appends nothing. No byte
// accepted is ever dropped: Close retries what is missing. Write after
// Close fails with ErrUploadClosed.
func (u *Upload) Write(ctx context.Context, p []byte) error {
	u.op.Lock()
	defer u.op.Unlock()
	u.mu.Lock()
	state, err, final := u.state, u.err, u.final
	u.mu.Unlock()
	switch {
	case state == stateDone || state == stateAborted || u.closing:
		return ErrUploadClosed
	case final:
		return err
	case state == stateFailed:
		if err := u.retry(ctx); err != nil {
			return err
		}
	}

	wctx, cancel := context.WithCancelCause(ctx)
	u.mu.Lock()
	u.interrupt = cancel
	u.mu.Unlock()
	defer func() {
		u.mu.Lock()
		u.interrupt = nil
		u.mu.Unlock()
		cancel(nil)
	}()
	for len(p) > 0 {
		part := u.filling
		if part == nil {
			var err error
			if part, err = u.newPart(); err != nil {
				return err
			}
		}
		if err := part.grow(wctx, u.opts.Budget); err != nil {
			return causeOf(wctx, err)
		}
		n := part.fill(p)
		p = p[n:]
		u.size.Add(int64(n))
		if part.size == part.limit {
			u.filling = nil
			if err := u.start(wctx, part); err != nil {
				return causeOf(wctx, err)
			}
		}
	}
	return nil
}

// newPart adds the next part and makes it the one being filled.
func (u *Upload) newPart() (*upPart, error) {
	n := len(u.parts) + 1
	if n > MaxParts {
		return nil, newError("UploadPart", u.key, ErrTooLarge, "upload of %d bytes would need more than %d parts", u.Size()+1, MaxParts)
	}
	p := &upPart{number: n, limit: partSizeFor(u.opts.PartSize, n)}
	u.parts = append(u.parts, p)
	u.filling = p
	return p, nil
}

// partSizeFor returns the size of part n of a streaming upload whose first
// part is first bytes: doubling every partGrowthPeriod parts.
func partSizeFor(first int64, n int) int64 {
	shift := (n - 1) / partGrowthPeriod
	if shift >= 32 || first<<shift > MaxPartSize {
		return MaxPartSize
	}
	return first << shift
}

// causeOf returns why ctx ended if it did (a failed part interrupting a
// Write), else err.
func causeOf(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		if c := context.Cause(ctx); c != nil {
			return c
		}
	}
	return err
}
