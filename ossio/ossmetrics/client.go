package ossmetrics

import (
	"context"
	"io"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ossfuse/ossfuse/ossio"
)

// client is the decorator: every method times the call of next and counts
// its outcome.
type client struct {
	next ossio.Client
	m    *Metrics
	// Per-operation children, looked up once.
	head, get, list, put, app, cp, del, dels, init, part, partCopy, complete, abort, parts, putSym, getSym *opMetrics
}

var _ ossio.Client = (*client)(nil)

// Wrap returns a Client that records the calls of next in m.
func (m *Metrics) Wrap(next ossio.Client) ossio.Client {
	return &client{
		next: next, m: m,
		head: m.ops[opHeadObject], get: m.ops[opGetObject], list: m.ops[opListObjects],
		put: m.ops[opPutObject], app: m.ops[opAppendObject], cp: m.ops[opCopyObject],
		del: m.ops[opDeleteObject], dels: m.ops[opDeleteObjects], init: m.ops[opInitiateMultipart],
		part: m.ops[opUploadPart], partCopy: m.ops[opUploadPartCopy], complete: m.ops[opCompleteMultipart],
		abort: m.ops[opAbortMultipart], parts: m.ops[opListParts],
		putSym: m.ops[opPutSymlink], getSym: m.ops[opGetSymlink],
	}
}

// HeadObject implements ossio.Client.
func (c *client) HeadObject(ctx context.Context, key string) (ossio.ObjectInfo, error) {
	start := time.Now()
	info, err := c.next.HeadObject(ctx, key)
	c.m.done(c.head, start, err)
	return info, err
}

// GetObject implements ossio.Client. The body counts its bytes as the
// caller reads them, so a body closed early counts what was read.
func (c *client) GetObject(ctx context.Context, req ossio.GetRequest) (*ossio.GetResult, error) {
	start := time.Now()
	res, err := c.next.GetObject(ctx, req)
	c.m.done(c.get, start, err)
	if err == nil && res != nil && res.Body != nil {
		res.Body = &countingReadCloser{ReadCloser: res.Body, n: c.get.received}
	}
	return res, err
}

// ListObjects implements ossio.Client.
func (c *client) ListObjects(ctx context.Context, req ossio.ListRequest) (ossio.ListPage, error) {
	start := time.Now()
	page, err := c.next.ListObjects(ctx, req)
	c.m.done(c.list, start, err)
	return page, err
}

// PutObject implements ossio.Client.
func (c *client) PutObject(ctx context.Context, req ossio.PutRequest) (ossio.PutResult, error) {
	req.Body = countingBody(req.Body, c.put.sent)
	start := time.Now()
	res, err := c.next.PutObject(ctx, req)
	c.m.done(c.put, start, err)
	return res, err
}

// AppendObject implements ossio.Client.
func (c *client) AppendObject(ctx context.Context, req ossio.AppendRequest) (ossio.AppendResult, error) {
	req.Body = countingBody(req.Body, c.app.sent)
	start := time.Now()
	res, err := c.next.AppendObject(ctx, req)
	c.m.done(c.app, start, err)
	return res, err
}

// CopyObject implements ossio.Client.
func (c *client) CopyObject(ctx context.Context, req ossio.CopyRequest) (ossio.CopyResult, error) {
	start := time.Now()
	res, err := c.next.CopyObject(ctx, req)
	c.m.done(c.cp, start, err)
	return res, err
}

// DeleteObject implements ossio.Client.
func (c *client) DeleteObject(ctx context.Context, key string) error {
	start := time.Now()
	err := c.next.DeleteObject(ctx, key)
	c.m.done(c.del, start, err)
	return err
}

// DeleteObjects implements ossio.Client. A call without keys sends no
// request and is not counted.
func (c *client) DeleteObjects(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return c.next.DeleteObjects(ctx, keys)
	}
	start := time.Now()
	err := c.next.DeleteObjects(ctx, keys)
	c.m.done(c.dels, start, err)
	return err
}

// InitiateMultipart implements ossio.Client.
func (c *client) InitiateMultipart(ctx context.Context, req ossio.InitiateMultipartRequest) (string, error) {
	start := time.Now()
	id, err := c.next.InitiateMultipart(ctx, req)
	c.m.done(c.init, start, err)
	return id, err
}

// UploadPart implements ossio.Client.
func (c *client) UploadPart(ctx context.Context, req ossio.UploadPartRequest) (ossio.Part, error) {
	req.Body = countingBody(req.Body, c.part.sent)
	start := time.Now()
	p, err := c.next.UploadPart(ctx, req)
	c.m.done(c.part, start, err)
	return p, err
}

// UploadPartCopy implements ossio.Client.
func (c *client) UploadPartCopy(ctx context.Context, req ossio.UploadPartCopyRequest) (ossio.Part, error) {
	start := time.Now()
	p, err := c.next.UploadPartCopy(ctx, req)
	c.m.done(c.partCopy, start, err)
	return p, err
}

// CompleteMultipart implements ossio.Client.
func (c *client) CompleteMultipart(ctx context.Context, req ossio.CompleteMultipartRequest) (ossio.CompleteResult, error) {
	start := time.Now()
	res, err := c.next.CompleteMultipart(ctx, req)
	c.m.done(c.complete, start, err)
	return res, err
}

// AbortMultipart implements ossio.Client.
func (c *client) AbortMultipart(ctx context.Context, key, uploadID string) error {
	start := time.Now()
	err := c.next.AbortMultipart(ctx, key, uploadID)
	c.m.done(c.abort, start, err)
	return err
}

// ListParts implements ossio.Client.
func (c *client) ListParts(ctx context.Context, key, uploadID string) ([]ossio.Part, error) {
	start := time.Now()
	parts, err := c.next.ListParts(ctx, key, uploadID)
	c.m.done(c.parts, start, err)
	return parts, err
}

// PutSymlink implements ossio.Client.
func (c *client) PutSymlink(ctx context.Context, req ossio.PutSymlinkRequest) error {
	start := time.Now()
	err := c.next.PutSymlink(ctx, req)
	c.m.done(c.putSym, start, err)
	return err
}

// GetSymlink implements ossio.Client.
func (c *client) GetSymlink(ctx context.Context, key string) (ossio.SymlinkInfo, error) {
	start := time.Now()
	info, err := c.next.GetSymlink(ctx, key)
	c.m.done(c.getSym, start, err)
	return info, err
}

// countingReadCloser counts the bytes read through it.
type countingReadCloser struct {
	io.ReadCloser
	n prometheus.Counter
}

func (r *countingReadCloser) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	if n > 0 {
		r.n.Add(float64(n))
	}
	return n, err
}

// countingBody wraps an upload body to count the bytes the SDK reads from
// it, a replay after a retry included. It keeps io.Seeker when body has it:
// the client retries only bodies it can rewind.
func countingBody(body io.Reader, n prometheus.Counter) io.Reader {
	switch b := body.(type) {
	case nil:
		return nil
	case io.ReadSeeker:
		return &countingReadSeeker{ReadSeeker: b, n: n}
	default:
		return &countingReader{r: b, n: n}
	}
}

type countingReader struct {
	r io.Reader
	n prometheus.Counter
}

func (r *countingReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.n.Add(float64(n))
	}
	return n, err
}

type countingReadSeeker struct {
	io.ReadSeeker
	n prometheus.Counter
}

func (r *countingReadSeeker) Read(p []byte) (int, error) {
	n, err := r.ReadSeeker.Read(p)
	if n > 0 {
		r.n.Add(float64(n))
	}
	return n, err
}
