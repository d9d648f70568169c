package ossemu

import (
	"crypto/md5"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// copySource parses x-oss-copy-source: /bucket/percent-encoded-key.
func copySource(h http.Header) (bucketName, key string, _ *apiError) {
	v := h.Get("x-oss-copy-source")
	v, _, _ = strings.Cut(v, "?") // ?versionId=: no versioning here
	raw := strings.TrimPrefix(v, "/")
	bucketName, rawKey, ok := strings.Cut(raw, "/")
	if !ok || bucketName == "" || rawKey == "" {
		return "", "", errInvalidArgument("0017-00000801", "x-oss-copy-source must be /bucket/key", "x-oss-copy-source", v)
	}
	key, err := url.PathUnescape(rawKey)
	if err != nil {
		return "", "", errInvalidArgument("0017-00000801", "x-oss-copy-source is not properly percent-encoded", "x-oss-copy-source", v)
	}
	return bucketName, key, nil
}

// copySourceObject finds the source of a copy and takes a reference to its
// data that the caller must drop.
func (s *Server) copySourceObject(c *call) (*object, blob, *apiError) {
	srcBucketName, srcKey, aerr := copySource(c.r.Header)
	if aerr != nil {
		return nil, nil, aerr
	}
	srcBucket := s.bucket(srcBucketName)
	if srcBucket == nil {
		return nil, nil, errNoSuchBucket(srcBucketName)
	}
	src, data := s.acquire(srcBucket, srcKey)
	if src == nil {
		return nil, nil, errNoSuchKey(srcKey)
	}
	if err := checkConditions(c.r.Header, "x-oss-copy-source-", src.ETag, src.LastModified); err != nil {
		s.store.drop(data)
		return nil, nil, err
	}
	return src, data, nil
}

func (s *Server) copyObject(c *call) *apiError {
	if err := checkKey(c.key); err != nil {
		return err
	}
	forbid, aerr := forbidOverwrite(c.r)
	if aerr != nil {
		return aerr
	}
	src, data, aerr := s.copySourceObject(c)
	if aerr != nil {
		return aerr
	}
	o, aerr := s.copiedObject(c, src, data)
	if aerr != nil {
		s.store.drop(data)
		return aerr
	}
	if err := s.commit(c.bucket, o, overwriteCheck(forbid)); err != nil {
		return err
	}
	c.w.Header().Set("ETag", quote(o.ETag))
	c.w.Header().Set("x-oss-hash-crc64ecma", strconv.FormatUint(o.CRC64, 10))
	return writeXML(c, struct {
		XMLName      xml.Name `xml:"CopyObjectResult"`
		ETag         string
		LastModified string
	}{ETag: quote(o.ETag), LastModified: isoTime(o.LastModified)})
}

// copiedObject builds the destination of a copy. A copy onto itself always
// takes the request's metadata: that is how OSS clients change metadata.
func (s *Server) copiedObject(c *call, src *object, data blob) (*object, *apiError) {
	if src.Type == "Appendable" {
		return nil, errInvalidArgument("0017-00000802", "An appendable object cannot be copied.", "x-oss-copy-source", src.Key)
	}
	headers := src.Headers
	directive := strings.ToUpper(c.r.Header.Get("x-oss-metadata-directive"))
	switch directive {
	case "", "COPY", "REPLACE":
	default:
		return nil, errInvalidArgument("0017-00000803", "x-oss-metadata-directive must be COPY or REPLACE", "x-oss-metadata-directive", directive)
	}
	sameObject := c.bucketName == mustSourceBucket(c.r.Header) && src.Key == c.key
	if directive == "REPLACE" || sameObject {
		var aerr *apiError
		if headers, aerr = storedHeaders(c.r); aerr != nil {
			return nil, aerr
		}
	}
	if c.bucketName != mustSourceBucket(c.r.Header) && data.size() > 1<<30 {
		return nil, errorf(400, "EntityTooLarge", "0017-00000402", "The source object of a copy between buckets must not exceed 1 GB; use UploadPartCopy.")
	}
	return &object{
		Key: c.key, Data: data, ETag: src.ETag, CRC64: src.CRC64, ContentMD5: src.ContentMD5,
		Type: src.Type, LastModified: s.lastModified(), Headers: headers, SymlinkTarget: src.SymlinkTarget,
	}, nil
}

func mustSourceBucket(h http.Header) string {
	b, _, _ := copySource(h)
	return b
}

func errPositionMismatch(next int64) *apiError {
	e := errorf(409, "PositionNotEqualToLength", "0026-00000016", "Position is not equal to file length")
	e.Headers = map[string]string{"x-oss-next-append-position": strconv.FormatInt(next, 10)}
	return e
}

func errNotAppendable(key string) *apiError {
	return errorf(409, "ObjectNotAppendable", "0026-00000017", "The object is not appendable", xmlField{"Key", key})
}

// appendCheck refuses an append at position onto cur for the reasons OSS
// would, before and after the body is read.
func appendCheck(cur *object, position, extra int64) *apiError {
	switch {
	case cur == nil && position != 0:
		return errPositionMismatch(0)
	case cur == nil:
		return nil
	case cur.Type != "Appendable":
		return errNotAppendable(cur.Key)
	case cur.Data.size() != position:
		return errPositionMismatch(cur.Data.size())
	case position+extra > maxObjectSize:
		return errInvalidArgument("0026-00000018", "The object would exceed the maximum size of an appendable object.", "position", strconv.FormatInt(position, 10))
	}
	return nil
}

func (s *Server) appendObject(c *call) *apiError {
	if err := checkKey(c.key); err != nil {
		return err
	}
	if !c.query.has("position") {
		return errorf(400, "MissingArgument", "0016-00000501", "Missing argument: position", xmlField{"ArgumentName", "position"})
	}
	position, err := strconv.ParseInt(c.query.get("position"), 10, 64)
	if err != nil || position < 0 {
		return errInvalidArgument("0016-00000502", "position must be a non-negative integer", "position", c.query.get("position"))
	}
	wantMD5, aerr := checkBody(c.r)
	if aerr != nil {
		return aerr
	}
	headers, aerr := storedHeaders(c.r)
	if aerr != nil {
		return aerr
	}
	// Refuse early, so a body destined to fail is not stored first; the
	// check is repeated under the lock, where exactly one of two appends
	// at the same position wins.
	if err := appendCheck(c.bucket.get(c.key), position, max(c.r.ContentLength, 0)); err != nil {
		return err
	}
	extra, d, aerr := s.receive(c, wantMD5)
	if aerr != nil {
		return aerr
	}
	o := &object{Key: c.key, Data: extra, CRC64: d.crc64, Type: "Appendable", LastModified: s.lastModified(), Headers: headers}
	aerr = s.commit(c.bucket, o, func(cur *object) *apiError {
		if err := appendCheck(cur, position, d.size); err != nil {
			return err
		}
		if cur == nil {
			o.ETag = appendableETag(o.CRC64, d.size)
			return nil
		}
		grown, err := s.store.appendData(cur.Data, extra)
		if err != nil {
			return errInternal(err)
		}
		s.store.drop(extra)
		o.Data, o.Headers = grown, cur.Headers
		o.CRC64 = crc64Combine(cur.CRC64, d.crc64, d.size)
		o.ETag = appendableETag(o.CRC64, grown.size())
		return nil
	})
	if aerr != nil {
		return aerr
	}
	h := c.w.Header()
	h.Set("ETag", quote(o.ETag))
	h.Set("x-oss-next-append-position", strconv.FormatInt(o.Data.size(), 10))
	h.Set("x-oss-hash-crc64ecma", strconv.FormatUint(o.CRC64, 10))
	c.w.WriteHeader(http.StatusOK)
	return nil
}

// appendableETag is the opaque ETag of an appendable object version: it
// changes with every append.
func appendableETag(crc uint64, size int64) string {
	return fmt.Sprintf("%016X%016X", crc, uint64(size))
}

func (s *Server) putSymlink(c *call) *apiError {
	if err := checkKey(c.key); err != nil {
		return err
	}
	target := c.r.Header.Get("x-oss-symlink-target")
	if target == "" {
		return errorf(400, "MissingArgument", "0043-00000001", "Missing header x-oss-symlink-target", xmlField{"ArgumentName", "x-oss-symlink-target"})
	}
	forbid, aerr := forbidOverwrite(c.r)
	if aerr != nil {
		return aerr
	}
	headers, aerr := storedHeaders(c.r)
	if aerr != nil {
		return aerr
	}
	sum := md5.Sum([]byte(target))
	o := &object{
		Key: c.key, Data: newMemBlob(), ETag: strings.ToUpper(fmt.Sprintf("%x", sum)), Type: "Symlink",
		LastModified: s.lastModified(), Headers: headers, SymlinkTarget: target,
	}
	if err := s.commit(c.bucket, o, overwriteCheck(forbid)); err != nil {
		return err
	}
	c.w.Header().Set("ETag", quote(o.ETag))
	c.w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) getSymlink(c *call) *apiError {
	if err := checkKey(c.key); err != nil {
		return err
	}
	o := c.bucket.get(c.key)
	if o == nil {
		return errNoSuchKey(c.key)
	}
	if o.Type != "Symlink" {
		return errorf(400, "NotSymlink", "0043-00000101", "The specified object is not a symlink.", xmlField{"Key", c.key})
	}
	h := c.w.Header()
	for name, v := range o.Headers {
		h.Set(name, v)
	}
	h.Set("x-oss-symlink-target", o.SymlinkTarget)
	h.Set("ETag", quote(o.ETag))
	h.Set("Last-Modified", httpTime(o.LastModified))
	h.Set("Content-Length", "0")
	c.w.WriteHeader(http.StatusOK)
	return nil
}
