// Package ossemu is a local server speaking the Alibaba Cloud OSS REST API
// closely enough that the official SDKs work against it unchanged. It keeps
// objects in memory or in a directory, verifies V1 and V4 signatures,
// injects faults on request and counts requests per operation, so that
// tests and benchmarks can assert what an operation cost.
package ossemu

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a Server.
type Options struct {
	// Buckets are created at start (kept if they already exist in DataDir).
	Buckets []string
	// DataDir keeps objects on disk across restarts; empty keeps them in memory.
	DataDir string
	// Credentials are the accepted access keys; none means unsigned
	// requests are accepted and signatures are not checked.
	Credentials []Credential
	// Region is reported by GetBucketLocation and required in V4 scopes.
	Region string
	// Faults to inject from the start; they can be changed at runtime.
	Faults Faults
	// Seed makes fault injection repeatable.
	Seed int64
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// DefaultRegion is the region of a Server whose Options name none.
const DefaultRegion = "cn-hangzhou"

// Server is an OSS-compatible http.Handler.
type Server struct {
	region string
	now    func() time.Time
	store  dataStore
	auth   *authenticator
	stats  *statsRecorder
	faults *faultInjector
	seq    atomic.Uint64
	// handlers maps an operation name to its handler.
	handlers map[string]func(*call) *apiError

	mu      sync.RWMutex
	buckets map[string]*bucket // GUARDED_BY(mu)
}

// New creates a Server, loading the objects kept in opts.DataDir.
func New(opts Options) (*Server, error) {
	s := &Server{
		region: opts.Region,
		now:    opts.Now,
		stats:  newStatsRecorder(),
	}
	if s.region == "" {
		s.region = DefaultRegion
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.handlers = s.handlerTable()
	s.auth = newAuthenticator(opts.Credentials, s.region, s.now)
	if err := opts.Faults.Validate(); err != nil {
		return nil, err
	}
	s.faults = newFaultInjector(opts.Faults, opts.Seed, s.stats)
	if opts.DataDir == "" {
		s.store = memStore{}
	} else {
		ds, err := newDirStore(opts.DataDir)
		if err != nil {
			return nil, err
		}
		s.store = ds
	}
	buckets, err := s.store.load(s.now())
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", opts.DataDir, err)
	}
	s.buckets = buckets
	for _, name := range opts.Buckets {
		if !validBucketName(name) {
			return nil, fmt.Errorf("invalid bucket name %q: 3-63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit", name)
		}
		if _, ok := s.buckets[name]; ok {
			continue
		}
		if err := s.store.createBucket(name); err != nil {
			return nil, err
		}
		s.buckets[name] = newBucket(name, s.now())
	}
	return s, nil
}

var bucketNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)

func validBucketName(name string) bool { return bucketNameRE.MatchString(name) }

// Stats returns the request counters.
func (s *Server) Stats() Stats { return s.stats.snapshot() }

// ResetStats zeroes the request counters.
func (s *Server) ResetStats() { s.stats.reset() }

// SetFaults replaces the faults being injected.
func (s *Server) SetFaults(f Faults) error {
	if err := f.Validate(); err != nil {
		return err
	}
	s.faults.set(f)
	return nil
}

// SetCredentials replaces the accepted access keys.
func (s *Server) SetCredentials(creds []Credential) { s.auth.replaceCredentials(creds) }

// BucketNames lists the buckets, sorted.
func (s *Server) BucketNames() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	names := make([]string, 0, len(s.buckets))
	for n := range s.buckets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (s *Server) bucket(name string) *bucket {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.buckets[name]
}

// newRequestID returns 24 uppercase hex digits whose first 8 are the Unix
// time, as OSS request IDs are.
func (s *Server) newRequestID() string {
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	return strings.ToUpper(fmt.Sprintf("%08x%08x%s", uint32(s.now().Unix()), uint32(s.seq.Add(1)), hex.EncodeToString(rnd[:])))
}

// call is one request being served.
type call struct {
	w         http.ResponseWriter
	r         *http.Request
	op        string
	requestID string
	// bucketName is empty for service-level requests; key is empty for
	// bucket-level requests. key is percent-decoded.
	bucketName string
	key        string
	query      query
	bucket     *bucket // nil when bucketName names no bucket
	// errCode is the OSS error code of the response, once one is chosen.
	errCode string
}

// ServeHTTP serves one OSS request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, adminPrefix) {
		s.serveAdmin(w, r)
		return
	}
	c := &call{r: r, requestID: s.newRequestID(), op: "Unknown"}
	c.w = &countingWriter{ResponseWriter: w, start: time.Now(), stats: s.stats, c: c}
	h := w.Header()
	h.Set("Server", "AliyunOSS")
	h.Set("Date", s.now().UTC().Format(http.TimeFormat))
	h.Set("x-oss-request-id", c.requestID)
	if r.Body != nil {
		r.Body = &countingReader{ReadCloser: r.Body, stats: s.stats, c: c}
	}
	s.finish(c, s.serve(c))
}

// serve routes, authenticates and runs one request.
func (s *Server) serve(c *call) *apiError {
	if err := s.route(c); err != nil {
		return err
	}
	if err := s.faults.before(c); err != nil {
		return err
	}
	if c.bucketName != "" {
		c.bucket = s.bucket(c.bucketName)
		if c.bucket == nil && c.op != "PutBucket" {
			return errNoSuchBucket(c.bucketName)
		}
	}
	if err := s.auth.authenticate(c.r, c.bucketName, c.key); err != nil {
		return err
	}
	return s.handlers[c.op](c)
}

// finish sends err, if any. The request itself was counted when its
// response header went out (see countingWriter), so that a client holding
// its answer always finds its request in the stats.
func (s *Server) finish(c *call, err *apiError) {
	cw := c.w.(*countingWriter)
	if err != nil {
		if cw.wroteHeader {
			// The response is under way: the only honest signal left is to
			// cut the connection so the client sees a truncated body.
			s.stats.failed(err.Code)
			panic(http.ErrAbortHandler)
		}
		c.errCode = err.Code
		writeError(cw, c.r, c.requestID, err)
	}
	cw.count() // a handler that wrote nothing still was a request
}

// route finds the bucket, key and operation of c.r.
func (s *Server) route(c *call) *apiError {
	r := c.r
	q, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		return errorf(400, "InvalidArgument", "0016-00000001", "malformed query string: "+err.Error())
	}
	c.query = q
	path, perr := unescapePath(r.URL.EscapedPath())
	if perr != nil {
		return errorf(400, "InvalidURI", "0016-00000001", "malformed request path")
	}
	if vb := virtualBucket(r.Host); vb != "" {
		c.bucketName = vb
		c.key = strings.TrimPrefix(path, "/")
	} else {
		rest := strings.TrimPrefix(path, "/")
		c.bucketName, c.key, _ = strings.Cut(rest, "/")
	}
	if c.op = operation(r.Method, c.bucketName, c.key, q, r.Header); c.op == "" {
		c.op = "Unknown"
		return errorf(405, "MethodNotAllowed", "0016-00000002", "The specified method is not allowed against this resource.")
	}
	return nil
}

// virtualBucket returns the bucket named by a virtual-hosted Host header
// ("bucket.endpoint"), or "" when the request is path-style. IP literals,
// "localhost" and single-label hosts are always path-style, as the SDK
// assumes for IP endpoints.
func virtualBucket(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(host, ".")
	if host == "localhost" || net.ParseIP(strings.Trim(host, "[]")) != nil {
		return ""
	}
	label, rest, ok := strings.Cut(host, ".")
	if !ok || rest == "" || !validBucketName(label) {
		return ""
	}
	return label
}

// operation names the OSS API operation of a request, as the stats report it.
func operation(method, bucket, key string, q query, h http.Header) string {
	switch {
	case bucket == "":
		if method == http.MethodGet {
			return "ListBuckets"
		}
		return ""
	case key == "":
		return bucketOperation(method, q)
	}
	switch method {
	case http.MethodPut:
		switch {
		case q.has("symlink"):
			return "PutSymlink"
		case q.has("partNumber") || q.has("uploadId"):
			if h.Get("x-oss-copy-source") != "" {
				return "UploadPartCopy"
			}
			return "UploadPart"
		case h.Get("x-oss-copy-source") != "":
			return "CopyObject"
		}
		return "PutObject"
	case http.MethodGet:
		switch {
		case q.has("symlink"):
			return "GetSymlink"
		case q.has("uploadId"):
			return "ListParts"
		}
		return "GetObject"
	case http.MethodHead:
		if q.has("objectMeta") {
			return "GetObjectMeta"
		}
		return "HeadObject"
	case http.MethodPost:
		switch {
		case q.has("append"):
			return "AppendObject"
		case q.has("uploads"):
			return "InitiateMultipartUpload"
		case q.has("uploadId"):
			return "CompleteMultipartUpload"
		}
	case http.MethodDelete:
		if q.has("uploadId") {
			return "AbortMultipartUpload"
		}
		return "DeleteObject"
	}
	return ""
}

func bucketOperation(method string, q query) string {
	switch method {
	case http.MethodPut:
		if len(q) == 0 {
			return "PutBucket"
		}
	case http.MethodDelete:
		if len(q) == 0 {
			return "DeleteBucket"
		}
	case http.MethodPost:
		if q.has("delete") {
			return "DeleteMultipleObjects"
		}
	case http.MethodGet:
		switch {
		case q.has("bucketInfo"):
			return "GetBucketInfo"
		case q.has("location"):
			return "GetBucketLocation"
		case q.has("acl"):
			return "GetBucketAcl"
		case q.has("uploads"):
			return "ListMultipartUploads"
		case q.get("list-type") == "2":
			return "ListObjectsV2"
		}
		return "ListObjects"
	}
	return ""
}

// handlerTable maps each operation to its handler.
func (s *Server) handlerTable() map[string]func(*call) *apiError {
	return map[string]func(*call) *apiError{
		"ListBuckets":             s.listBuckets,
		"PutBucket":               s.putBucket,
		"DeleteBucket":            s.deleteBucket,
		"GetBucketInfo":           s.getBucketInfo,
		"GetBucketLocation":       s.getBucketLocation,
		"GetBucketAcl":            s.getBucketACL,
		"ListObjects":             s.listObjects,
		"ListObjectsV2":           s.listObjects,
		"DeleteMultipleObjects":   s.deleteMultiple,
		"ListMultipartUploads":    s.listUploads,
		"PutObject":               s.putObject,
		"GetObject":               s.getObject,
		"HeadObject":              s.headObject,
		"GetObjectMeta":           s.getObjectMeta,
		"DeleteObject":            s.deleteObject,
		"CopyObject":              s.copyObject,
		"AppendObject":            s.appendObject,
		"PutSymlink":              s.putSymlink,
		"GetSymlink":              s.getSymlink,
		"InitiateMultipartUpload": s.initiateUpload,
		"UploadPart":              s.uploadPart,
		"UploadPartCopy":          s.uploadPartCopy,
		"CompleteMultipartUpload": s.completeUpload,
		"AbortMultipartUpload":    s.abortUpload,
		"ListParts":               s.listParts,
	}
}
