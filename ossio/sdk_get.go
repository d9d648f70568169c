package ossio

import (
	"context"
	"hash"
	"hash/crc64"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
)

// GetObject implements Client. Ranged reads use x-oss-range-behavior:
// standard, so OSS answers 206 with the range clamped to the object, or 416,
// instead of silently sending the whole object for a range past the end.
// Length 0 is rejected: a zero-byte range cannot be expressed in HTTP.
//
// The body is streamed from the connection. Read errors are *Error values
// (ErrUnavailable for broken connections), and a whole-object read whose
// bytes do not match x-oss-hash-crc64ecma fails at EOF with ErrInvalidDigest.
func (c *sdkClient) GetObject(ctx context.Context, req GetRequest) (*GetResult, error) {
	const op = "GetObject"
	if err := checkKey(op, req.Key); err != nil {
		return nil, err
	}
	if req.Offset < 0 || req.Length == 0 {
		return nil, newError(op, req.Key, ErrInvalidRequest, "invalid range: offset %d, length %d", req.Offset, req.Length)
	}
	in := &oss.GetObjectRequest{
		Bucket:      &c.bucket,
		Key:         &req.Key,
		IfMatch:     quoteETag(req.IfMatch),
		IfNoneMatch: quoteETag(req.IfNoneMatch),
	}
	ranged := req.Offset > 0 || req.Length > 0
	if ranged {
		in.Range = oss.Ptr(httpRange(req.Offset, req.Length))
		in.RangeBehavior = oss.Ptr("standard")
	}
	out, err := c.api.GetObject(ctx, in)
	if err != nil {
		return nil, c.fail(op, req.Key, err)
	}
	res, err := getResult(req, ranged, out.StatusCode, out.Headers, out.Body)
	if err != nil {
		out.Body.Close()
		return nil, err
	}
	return res, nil
}

// httpRange renders [offset, offset+length) as an inclusive HTTP range;
// length < 0 means to the end.
func httpRange(offset, length int64) string {
	if length < 0 {
		return "bytes=" + strconv.FormatInt(offset, 10) + "-"
	}
	return "bytes=" + strconv.FormatInt(offset, 10) + "-" + strconv.FormatInt(offset+length-1, 10)
}

// getResult checks a GetObject response against the request and wraps its body.
func getResult(req GetRequest, ranged bool, status int, h http.Header, body io.ReadCloser) (*GetResult, error) {
	const op = "GetObject"
	info := objectInfo(req.Key, h)
	res := &GetResult{Info: info, ContentLength: info.Size}
	b := &objectBody{rc: body, r: body, key: req.Key}
	switch {
	case status == http.StatusPartialContent:
		first, last, total, ok := parseContentRange(h.Get("Content-Range"))
		if !ok {
			return nil, newError(op, req.Key, ErrUnknown, "206 with bad Content-Range %q", h.Get("Content-Range"))
		}
		// A server that honours another range than the one asked for would
		// make the caller place bytes at the wrong offset.
		if first != req.Offset {
			return nil, newError(op, req.Key, ErrUnknown, "range starts at %d, requested %d", first, req.Offset)
		}
		res.Info.Size = total
		res.RangeStart = first
		if res.ContentLength < 0 {
			res.ContentLength = last - first + 1
		}
	case ranged:
		// 200 to a range request: the server ignored the range and sends
		// the whole object. Usable only if the range starts at 0.
		if req.Offset != 0 {
			return nil, newError(op, req.Key, ErrUnknown, "range request at %d answered with the whole object", req.Offset)
		}
		if req.Length > 0 && (res.ContentLength < 0 || res.ContentLength > req.Length) {
			b.r = io.LimitReader(body, req.Length)
			res.ContentLength = req.Length
			if info.Size >= 0 && info.Size < req.Length {
				res.ContentLength = info.Size
			}
		}
	case info.HasCRC64:
		b.crc = crc64.New(crc64.MakeTable(crc64.ECMA))
		b.want = info.CRC64
	}
	res.Body = b
	return res, nil
}

// parseContentRange parses "bytes first-last/total".
func parseContentRange(s string) (first, last, total int64, ok bool) {
	rest, found := strings.CutPrefix(s, "bytes ")
	if !found {
		return 0, 0, 0, false
	}
	span, size, found := strings.Cut(rest, "/")
	if !found {
		return 0, 0, 0, false
	}
	a, b, found := strings.Cut(span, "-")
	if !found {
		return 0, 0, 0, false
	}
	var err1, err2, err3 error
	first, err1 = strconv.ParseInt(a, 10, 64)
	last, err2 = strconv.ParseInt(b, 10, 64)
	total, err3 = strconv.ParseInt(size, 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || first < 0 || last < first || total <= last {
		return 0, 0, 0, false
	}
	return first, last, total, true
}

// objectBody is a GetObject body: it maps read errors to *Error and
// optionally checks the CRC-64 of a whole-object read at EOF.
type objectBody struct {
	rc   io.ReadCloser
	r    io.Reader // rc, possibly limited
	key  string
	crc  hash.Hash64 // nil when not checking
	want uint64
}

func (b *objectBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if b.crc != nil {
		b.crc.Write(p[:n])
	}
	switch {
	case err == nil:
	case err == io.EOF:
		if b.crc != nil && b.crc.Sum64() != b.want {
			return n, newError("GetObject", b.key, ErrInvalidDigest,
				"body CRC-64 %d, x-oss-hash-crc64ecma %d", b.crc.Sum64(), b.want)
		}
	default:
		err = wrapErr("GetObject", b.key, err)
	}
	return n, err
}

func (b *objectBody) Close() error {
	return b.rc.Close()
}
