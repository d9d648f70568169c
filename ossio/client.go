// Package ossio is the boundary between ossfuse and Alibaba Cloud OSS.
//
// It holds a small, context-first Client interface with exactly the calls the
// filesystem needs, an implementation on the official SDK
// (github.com/aliyun/alibabacloud-oss-go-sdk-v2), and a typed error model that
// lets callers map every failure with errors.Is / errors.As. ossio knows
// nothing about FUSE and imports nothing else from the project.
package ossio

import (
	"context"
	"io"
	"time"
)

// Client is the set of OSS object calls ossfuse uses. A Client is bound to
// one bucket; keys are full object keys within it. All methods are safe for
// concurrent use.
type Client interface {
	// HeadObject returns the object's attributes and user metadata.
	HeadObject(ctx context.Context, key string) (ObjectInfo, error)
	// GetObject reads the object, or a byte range of it.
	GetObject(ctx context.Context, req GetRequest) (*GetResult, error)
	// ListObjects returns one page of a ListObjectsV2 listing.
	ListObjects(ctx context.Context, req ListRequest) (ListPage, error)
	// PutObject uploads a whole object in one request.
	PutObject(ctx context.Context, req PutRequest) (PutResult, error)
	// AppendObject appends to (or creates) an Appendable object.
	AppendObject(ctx context.Context, req AppendRequest) (AppendResult, error)
	// CopyObject copies an object within the bucket; a copy onto itself
	// replaces its metadata.
	CopyObject(ctx context.Context, req CopyRequest) (CopyResult, error)
	// DeleteObject deletes one key; deleting a missing key succeeds.
	DeleteObject(ctx context.Context, key string) error
	// DeleteObjects deletes any number of keys, in requests of at most
	// MaxDeleteBatch keys. Missing keys count as deleted.
	DeleteObjects(ctx context.Context, keys []string) error

	// InitiateMultipart starts a multipart upload and returns its upload ID.
	InitiateMultipart(ctx context.Context, req InitiateMultipartRequest) (string, error)
	// UploadPart uploads one part of a multipart upload.
	UploadPart(ctx context.Context, req UploadPartRequest) (Part, error)
	// UploadPartCopy fills one part with a byte range of an existing object.
	UploadPartCopy(ctx context.Context, req UploadPartCopyRequest) (Part, error)
	// CompleteMultipart assembles the listed parts into the object.
	CompleteMultipart(ctx context.Context, req CompleteMultipartRequest) (CompleteResult, error)
	// AbortMultipart discards an upload and its parts.
	AbortMultipart(ctx context.Context, key, uploadID string) error
	// ListParts returns every part uploaded so far, in part-number order.
	ListParts(ctx context.Context, key, uploadID string) ([]Part, error)

	// PutSymlink creates a native OSS symlink object.
	PutSymlink(ctx context.Context, req PutSymlinkRequest) error
	// GetSymlink reads a native OSS symlink object.
	GetSymlink(ctx context.Context, key string) (SymlinkInfo, error)
}

// Limits of the OSS API that callers plan around.
const (
	MaxDeleteBatch = 1000       // keys per DeleteMultipleObjects request
	MaxKeyLength   = 1023       // bytes in an object key
	MinPartSize    = 100 * 1024 // smallest non-last multipart part
	MaxPartSize    = 5 << 30    // largest multipart part
	MaxParts       = 10000      // parts per multipart upload
	MaxPutSize     = 5 << 30    // largest PutObject / AppendObject object
	MaxListKeys    = 1000       // keys per listing page
	MaxCopySize    = 1 << 30    // above this, copy with UploadPartCopy
	MetadataLimit  = 8 << 10    // bytes of user metadata per object
)

// ObjectType is the x-oss-object-type of an object.
type ObjectType string

// Object types reported by OSS.
const (
	TypeNormal     ObjectType = "Normal"
	TypeAppendable ObjectType = "Appendable"
	TypeMultipart  ObjectType = "Multipart"
	TypeSymlink    ObjectType = "Symlink"
)

// ObjectInfo is what HEAD (and GET) tell about an object.
type ObjectInfo struct {
	Key          string
	Size         int64
	ETag         string // without quotes, as OSS spells it (uppercase hex for MD5s)
	LastModified time.Time
	ContentType  string
	Type         ObjectType
	// CRC64 is the object's x-oss-hash-crc64ecma; HasCRC64 says whether OSS sent one.
	CRC64    uint64
	HasCRC64 bool
	// NextAppendPosition is set for Appendable objects (their length).
	NextAppendPosition int64
	// Meta holds the user metadata (x-oss-meta-*), names lowercased and without the prefix.
	Meta map[string]string
}

// GetRequest selects an object and optionally a byte range and preconditions.
type GetRequest struct {
	Key string
	// Offset and Length select a range; Length < 0 means "to the end".
	// Offset 0 with Length < 0 reads the whole object without a Range header.
	// Length 0 is rejected with ErrInvalidRequest (HTTP has no empty range).
	Offset int64
	Length int64
	// IfMatch makes the read fail with ErrPreconditionFailed when the
	// object's ETag differs (the object changed under the reader).
	IfMatch string
	// IfNoneMatch makes the read fail with ErrNotModified when the ETag matches.
	IfNoneMatch string
}

// GetResult carries the body of a GetObject; the caller must close Body.
type GetResult struct {
	Body io.ReadCloser
	// Info describes the whole object (Size is the object's size, not the range's).
	Info ObjectInfo
	// ContentLength is the number of bytes in Body.
	ContentLength int64
	// RangeStart is the offset of the first byte of Body within the object.
	RangeStart int64
}

// ListRequest is one ListObjectsV2 call.
type ListRequest struct {
	Prefix            string
	Delimiter         string
	ContinuationToken string
	StartAfter        string
	// MaxKeys is the page size; 0 means MaxListKeys.
	MaxKeys int
}

// ListEntry is one object of a listing page.
type ListEntry struct {
	Key          string
	Size         int64
	ETag         string
	LastModified time.Time
	Type         ObjectType
}

// ListPage is one page of a listing.
type ListPage struct {
	Objects        []ListEntry
	CommonPrefixes []string
	// NextContinuationToken is set when IsTruncated.
	NextContinuationToken string
	IsTruncated           bool
}

// PutRequest uploads a whole object.
type PutRequest struct {
	Key string
	// Body is streamed to OSS. Only an io.ReadSeeker can be sent again, so
	// only then does the client retry the request after a transient failure
	// (it rewinds to the position Body had when the call started).
	Body io.Reader
	// Size is the length of Body, or -1 when unknown (chunked upload).
	Size        int64
	ContentType string
	Meta        map[string]string
	// ContentMD5 is the base64 MD5 of the body; when set OSS rejects a
	// corrupted body with ErrInvalidDigest.
	ContentMD5 string
	// ForbidOverwrite fails with ErrAlreadyExists when the key exists.
	ForbidOverwrite bool
}

// PutResult describes the object PutObject wrote.
type PutResult struct {
	ETag  string
	CRC64 uint64
}

// AppendRequest appends Body at Position (the object's current length; 0 creates it).
type AppendRequest struct {
	Key      string
	Position int64
	// Body is streamed; as for PutRequest, only an io.ReadSeeker is retried,
	// and only after failures that prove the append did not happen.
	Body io.Reader
	Size int64
	// ContentType and Meta apply only when the append creates the object.
	ContentType string
	Meta        map[string]string
}

// AppendResult tells where the next append must start.
type AppendResult struct {
	NextPosition int64
	CRC64        uint64
	// ETag is the appended object's, when OSS sent it ("" otherwise).
	ETag string
}

// MetadataDirective chooses the metadata of a copy.
type MetadataDirective string

// Metadata directives of CopyObject.
const (
	MetadataCopy    MetadataDirective = "COPY"
	MetadataReplace MetadataDirective = "REPLACE"
)

// CopyRequest copies SrcKey to DstKey within the bucket.
type CopyRequest struct {
	SrcKey string
	DstKey string
	// Directive COPY keeps the source's metadata; REPLACE uses ContentType and Meta.
	Directive   MetadataDirective
	ContentType string
	Meta        map[string]string
	// Conditions on the source object.
	IfMatch           string
	IfNoneMatch       string
	IfModifiedSince   time.Time
	IfUnmodifiedSince time.Time
	ForbidOverwrite   bool
}

// CopyResult describes the copy.
type CopyResult struct {
	ETag         string
	LastModified time.Time
	CRC64        uint64
}

// InitiateMultipartRequest starts a multipart upload with the object's final metadata.
type InitiateMultipartRequest struct {
	Key             string
	ContentType     string
	Meta            map[string]string
	ForbidOverwrite bool
}

// UploadPartRequest uploads part Number (1..MaxParts).
type UploadPartRequest struct {
	Key      string
	UploadID string
	Number   int
	// Body is streamed; as for PutRequest, only an io.ReadSeeker is retried.
	Body io.Reader
	// Size is the length of Body, or -1 when unknown (chunked upload).
	Size int64
}

// UploadPartCopyRequest fills part Number with bytes [Offset, Offset+Length)
// of SrcKey; Length < 0 copies the whole source.
type UploadPartCopyRequest struct {
	Key      string
	UploadID string
	Number   int
	SrcKey   string
	Offset   int64
	Length   int64
	// IfMatch makes the copy fail with ErrPreconditionFailed when the source changed.
	IfMatch string
}

// Part is an uploaded part.
type Part struct {
	Number int
	ETag   string
	// Size is -1 when unknown: an UploadPart of unknown size, or an
	// UploadPartCopy of a whole source.
	Size  int64
	CRC64 uint64
}

// CompleteMultipartRequest assembles Parts (any order; sent ascending).
type CompleteMultipartRequest struct {
	Key             string
	UploadID        string
	Parts           []Part
	ForbidOverwrite bool
}

// CompleteResult describes the assembled object.
type CompleteResult struct {
	ETag  string
	CRC64 uint64
}

// PutSymlinkRequest creates a native symlink Key -> Target.
type PutSymlinkRequest struct {
	Key         string
	Target      string
	ContentType string
	Meta        map[string]string
}

// SymlinkInfo is what GetSymlink returns.
type SymlinkInfo struct {
	Target       string
	ETag         string
	LastModified time.Time
	Meta         map[string]string
}
