package ossemu

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// commit makes o the current version of its key. check, when given, runs
// under the bucket lock with the current version (nil if none) and may
// refuse the write; then o's data is released and nothing changes.
func (s *Server) commit(b *bucket, o *object, check func(cur *object) *apiError) *apiError {
	b.mu.Lock()
	defer b.mu.Unlock()
	cur, _ := b.objects.Get(&object{Key: o.Key})
	if check != nil {
		if err := check(cur); err != nil {
			s.store.drop(o.Data)
			return err
		}
	}
	if err := s.store.persist(b.name, o); err != nil {
		s.store.drop(o.Data)
		return errInternal(err)
	}
	b.objects.ReplaceOrInsert(o)
	if cur != nil {
		s.store.drop(cur.Data)
	}
	return nil
}

// receive stores the request body as a new blob, refusing it when it
// does not match the Content-MD5 checked by checkBody (wantMD5).
func (s *Server) receive(c *call, wantMD5 []byte) (blob, digests, *apiError) {
	data, d, err := s.store.write(c.r.Body, c.r.ContentLength)
	if err != nil {
		return nil, digests{}, errorf(400, "RequestTimeout", "0016-00000301", "The request body could not be read: "+err.Error())
	}
	if wantMD5 != nil && !bytes.Equal(wantMD5, d.md5) {
		s.store.drop(data)
		return nil, digests{}, errDigestMismatch()
	}
	return data, d, nil
}

// lastModified is the modification time of an object written now; OSS
// keeps one-second precision.
func (s *Server) lastModified() time.Time { return s.now().UTC().Truncate(time.Second) }

func (s *Server) putObject(c *call) *apiError {
	if err := checkKey(c.key); err != nil {
		return err
	}
	wantMD5, aerr := checkBody(c.r)
	if aerr != nil {
		return aerr
	}
	forbid, aerr := forbidOverwrite(c.r)
	if aerr != nil {
		return aerr
	}
	headers, aerr := storedHeaders(c.r)
	if aerr != nil {
		return aerr
	}
	if forbid && c.bucket.get(c.key) != nil {
		return errAlreadyExists(c.key)
	}
	data, d, aerr := s.receive(c, wantMD5)
	if aerr != nil {
		return aerr
	}
	o := &object{
		Key: c.key, Data: data, ETag: d.etag(), CRC64: d.crc64, ContentMD5: d.contentMD5(),
		Type: "Normal", LastModified: s.lastModified(), Headers: headers,
	}
	if err := s.commit(c.bucket, o, overwriteCheck(forbid)); err != nil {
		return err
	}
	h := c.w.Header()
	h.Set("ETag", quote(o.ETag))
	h.Set("Content-MD5", o.ContentMD5)
	h.Set("x-oss-hash-crc64ecma", strconv.FormatUint(o.CRC64, 10))
	c.w.WriteHeader(http.StatusOK)
	return nil
}

// overwriteCheck refuses a write over an existing key when forbid is set.
func overwriteCheck(forbid bool) func(*object) *apiError {
	if !forbid {
		return nil
	}
	return func(cur *object) *apiError {
		if cur != nil {
			return errAlreadyExists(cur.Key)
		}
		return nil
	}
}

// acquire returns key's current version and a reference to its data that
// the caller must drop. Both are taken under the bucket lock, so a
// concurrent overwrite cannot release the data between lookup and read.
func (s *Server) acquire(b *bucket, key string) (*object, blob) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	o, ok := b.objects.Get(&object{Key: key})
	if !ok {
		return nil, nil
	}
	return o, s.store.share(o.Data)
}

// representation is what GET and HEAD serve for an object: the object
// itself, or for a symlink the link's metadata over its target's bytes.
type representation struct {
	obj          *object // type, user metadata and standard headers come from here
	data         blob    // a reference the server must drop
	etag         string
	contentMD5   string
	crc64        uint64
	lastModified time.Time
}

// lookup finds key and follows a symlink one level, as OSS does on GET and
// HEAD. On success the caller must drop rep.data.
func (s *Server) lookup(b *bucket, key string) (rep representation, _ *apiError) {
	o, data := s.acquire(b, key)
	if o == nil {
		return rep, errNoSuchKey(key)
	}
	rep = representation{obj: o, data: data, etag: o.ETag, contentMD5: o.ContentMD5, crc64: o.CRC64, lastModified: o.LastModified}
	if o.Type != "Symlink" {
		return rep, nil
	}
	s.store.drop(data)
	target, tdata := s.acquire(b, symlinkKey(o.SymlinkTarget))
	switch {
	case target == nil:
		return rep, errorf(404, "SymlinkTargetNotExist", "0026-00000012", "The symlink target object does not exist", xmlField{"Key", o.Key})
	case target.Type == "Symlink":
		s.store.drop(tdata)
		return rep, errorf(400, "InvalidTargetType", "0026-00000011", "The symlink target object must not be a symlink", xmlField{"Key", o.Key})
	}
	rep.data, rep.etag, rep.contentMD5, rep.crc64 = tdata, target.ETag, target.ContentMD5, target.CRC64
	if target.LastModified.After(rep.lastModified) {
		rep.lastModified = target.LastModified
	}
	return rep, nil
}

// symlinkKey decodes a stored symlink target; clients may percent-encode it.
func symlinkKey(target string) string {
	if k, err := url.PathUnescape(target); err == nil {
		return k
	}
	return target
}

func (s *Server) getObject(c *call) *apiError  { return s.serveObject(c, true) }
func (s *Server) headObject(c *call) *apiError { return s.serveObject(c, false) }

func (s *Server) serveObject(c *call, withBody bool) *apiError {
	if err := checkKey(c.key); err != nil {
		return err
	}
	rep, aerr := s.lookup(c.bucket, c.key)
	if aerr != nil {
		return aerr
	}
	defer s.store.drop(rep.data)
	if err := checkConditions(c.r.Header, "", rep.etag, rep.lastModified); err != nil {
		return err
	}
	size := rep.data.size()
	rng := fullRange(size)
	if withBody {
		var err *apiError
		standard := strings.EqualFold(c.r.Header.Get("x-oss-range-behavior"), "standard")
		if rng, err = parseRange(c.r.Header.Get("Range"), size, standard); err != nil {
			return err
		}
	}
	h := c.w.Header()
	setRepresentationHeaders(h, rep)
	for name, param := range responseOverrides {
		if v := c.query.get(param); v != "" {
			h.Set(name, v)
		}
	}
	h.Set("Content-Length", strconv.FormatInt(rng.length, 10))
	status := http.StatusOK
	if rng.partial {
		status = http.StatusPartialContent
		h.Set("Content-Range", "bytes "+strconv.FormatInt(rng.start, 10)+"-"+strconv.FormatInt(rng.start+rng.length-1, 10)+"/"+strconv.FormatInt(size, 10))
	}
	if !withBody || rng.length == 0 {
		c.w.WriteHeader(status)
		return nil
	}
	rc, err := rep.data.open(rng.start, rng.length)
	if err != nil {
		return errInternal(err)
	}
	defer rc.Close()
	c.w.WriteHeader(status)
	_, _ = io.Copy(c.w, rc)
	return nil
}

// responseOverrides maps response headers to the query parameters that
// override them on GetObject.
var responseOverrides = map[string]string{
	"Content-Type":        "response-content-type",
	"Content-Language":    "response-content-language",
	"Expires":             "response-expires",
	"Cache-Control":       "response-cache-control",
	"Content-Disposition": "response-content-disposition",
	"Content-Encoding":    "response-content-encoding",
}

// setRepresentationHeaders writes the headers GET and HEAD share.
func setRepresentationHeaders(h http.Header, rep representation) {
	for name, v := range rep.obj.Headers {
		h.Set(name, v)
	}
	h.Set("ETag", quote(rep.etag))
	h.Set("Last-Modified", httpTime(rep.lastModified))
	h.Set("Accept-Ranges", "bytes")
	h.Set("x-oss-object-type", rep.obj.Type)
	h.Set("x-oss-storage-class", "Standard")
	h.Set("x-oss-hash-crc64ecma", strconv.FormatUint(rep.crc64, 10))
	if rep.contentMD5 != "" {
		h.Set("Content-MD5", rep.contentMD5)
	}
	if rep.obj.Type == "Appendable" {
		h.Set("x-oss-next-append-position", strconv.FormatInt(rep.data.size(), 10))
	}
}

func (s *Server) getObjectMeta(c *call) *apiError {
	if err := checkKey(c.key); err != nil {
		return err
	}
	rep, aerr := s.lookup(c.bucket, c.key)
	if aerr != nil {
		return aerr
	}
	defer s.store.drop(rep.data)
	h := c.w.Header()
	h.Set("ETag", quote(rep.etag))
	h.Set("Content-Length", strconv.FormatInt(rep.data.size(), 10))
	h.Set("Last-Modified", httpTime(rep.lastModified))
	h.Set("x-oss-last-access-time", httpTime(rep.lastModified))
	h.Set("x-oss-hash-crc64ecma", strconv.FormatUint(rep.crc64, 10))
	c.w.WriteHeader(http.StatusOK)
	return nil
}

func (s *Server) deleteObject(c *call) *apiError {
	if err := checkKey(c.key); err != nil {
		return err
	}
	if err := s.remove(c.bucket, c.key); err != nil {
		return errInternal(err)
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

// remove deletes key from b; a missing key is not an error.
func (s *Server) remove(b *bucket, key string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	cur, ok := b.objects.Get(&object{Key: key})
	if !ok {
		return nil
	}
	if err := s.store.unpersist(b.name, key); err != nil {
		return err
	}
	b.objects.Delete(cur)
	s.store.drop(cur.Data)
	return nil
}
