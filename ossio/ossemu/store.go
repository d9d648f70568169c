package ossemu

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"hash/crc64"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/google/btree"
)

// crcTable is the CRC-64/XZ table OSS uses for x-oss-hash-crc64ecma.
var crcTable = crc64.MakeTable(crc64.ECMA)

// object is one immutable version of an object. A write builds a new
// object and swaps it into the bucket index under the bucket lock.
type object struct {
	Key          string
	Data         blob   `json:"-"`
	ETag         string // unquoted, uppercase hex
	CRC64        uint64
	ContentMD5   string // base64; only for objects written by PutObject
	Type         string // Normal, Appendable, Multipart, Symlink
	LastModified time.Time
	// Headers holds the stored representation headers (content-type,
	// cache-control, content-disposition, content-encoding, expires) and the
	// user metadata (x-oss-meta-*), all with lowercase names.
	Headers       map[string]string
	SymlinkTarget string `json:",omitempty"`
}

// upload is a multipart upload in progress.
type upload struct {
	ID        string
	Key       string
	Initiated time.Time
	Headers   map[string]string
	Parts     map[int]*part
}

// part is one uploaded part of a multipart upload.
type part struct {
	Number       int
	Data         blob
	ETag         string
	MD5          []byte
	CRC64        uint64
	LastModified time.Time
}

// bucket is one bucket's index. Objects live in a B-tree ordered by key so
// listings walk keys in byte order from any marker.
type bucket struct {
	name    string
	created time.Time

	mu      sync.RWMutex
	objects *btree.BTreeG[*object] // GUARDED_BY(mu)
	uploads map[string]*upload     // GUARDED_BY(mu)
}

func newBucket(name string, created time.Time) *bucket {
	return &bucket{
		name:    name,
		created: created,
		objects: btree.NewG(32, func(a, b *object) bool { return a.Key < b.Key }),
		uploads: map[string]*upload{},
	}
}

// get returns the current version of key, or nil.
func (b *bucket) get(key string) *object {
	b.mu.RLock()
	defer b.mu.RUnlock()
	o, _ := b.objects.Get(&object{Key: key})
	return o
}

// digests are the hashes the emulator computes over every body it stores.
type digests struct {
	size  int64
	md5   []byte
	crc64 uint64
}

func (d digests) etag() string { return strings.ToUpper(hex.EncodeToString(d.md5)) }

func (d digests) contentMD5() string { return base64.StdEncoding.EncodeToString(d.md5) }

// hashingWriter computes size, MD5 and CRC-64 of what passes through it.
type hashingWriter struct {
	md5 hash.Hash
	crc uint64
	n   int64
}

func newHashingWriter() *hashingWriter { return &hashingWriter{md5: md5.New()} }

func (h *hashingWriter) Write(p []byte) (int, error) {
	h.md5.Write(p)
	h.crc = crc64.Update(h.crc, crcTable, p)
	h.n += int64(len(p))
	return len(p), nil
}

func (h *hashingWriter) digests() digests {
	return digests{size: h.n, md5: h.md5.Sum(nil), crc64: h.crc}
}

// dataStore keeps object bytes (and, for the directory store, object
// metadata) for the buckets. The bucket index itself is always in memory.
type dataStore interface {
	// write streams r into a new blob. sizeHint is the expected length or -1.
	write(r io.Reader, sizeHint int64) (blob, digests, error)
	// appendData returns a blob holding old followed by extra. It may reuse
	// old's storage: the bytes of old are never changed.
	appendData(old, extra blob) (blob, error)
	// concat returns one blob holding the given blobs in order.
	concat(parts []blob) (blob, error)
	// slice returns the bytes [off, off+n) of b as a blob.
	slice(b blob, off, n int64) (blob, error)
	// share returns a new reference to b, for an object that copies another.
	share(b blob) blob
	// drop releases a blob that no object or part uses any more.
	drop(b blob)
	// persist records o as the current version of its key in bucket.
	persist(bucket string, o *object) error
	// unpersist records that key no longer exists in bucket.
	unpersist(bucket, key string) error
	// createBucket records a new bucket.
	createBucket(name string) error
	// deleteBucket forgets an empty bucket.
	deleteBucket(name string) error
	// load returns the buckets and objects kept from an earlier run.
	load(now time.Time) (map[string]*bucket, error)
}
