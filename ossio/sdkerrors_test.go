package ossio

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Calls used by the error table; each returns the Client's error.
func callHead(ctx context.Context, c Client) error {
	_, err := c.HeadObject(ctx, "k")
	return err
}

func callGet(ctx context.Context, c Client) error {
	_, err := c.GetObject(ctx, GetRequest{Key: "k", Length: -1, IfMatch: "E1", IfNoneMatch: "E2"})
	return err
}

func callAppend(ctx context.Context, c Client) error {
	_, err := c.AppendObject(ctx, AppendRequest{Key: "k", Position: 5, Body: strings.NewReader("x"), Size: 1})
	return err
}

func callPut(ctx context.Context, c Client) error {
	_, err := c.PutObject(ctx, PutRequest{Key: "k", Body: strings.NewReader("x"), Size: 1, ForbidOverwrite: true})
	return err
}

func callList(ctx context.Context, c Client) error {
	_, err := c.ListObjects(ctx, ListRequest{Prefix: "k"})
	return err
}

func callUploadPart(ctx context.Context, c Client) error {
	_, err := c.UploadPart(ctx, UploadPartRequest{Key: "k", UploadID: "U1", Number: 1, Body: strings.NewReader("x"), Size: 1})
	return err
}

func callGetSymlink(ctx context.Context, c Client) error {
	_, err := c.GetSymlink(ctx, "k")
	return err
}

func callCopy(ctx context.Context, c Client) error {
	_, err := c.CopyObject(ctx, CopyRequest{SrcKey: "src", DstKey: "k", Directive: MetadataCopy})
	return err
}

func TestErrorMapping(t *testing.T) {
	nextPos := http.Header{"X-Oss-Next-Append-Position": {"42"}}
	cases := []struct {
		name    string
		call    func(context.Context, Client) error
		op      string
		status  int
		code    string // "" = no error document
		header  http.Header
		want    error
		wantPos int64 // NextAppendPosition, or -1 for none
	}{
		{"head NoSuchKey via x-oss-err", callHead, "HeadObject", 404, "NoSuchKey", nil, ErrNotFound, -1},
		{"head bare 404", callHead, "HeadObject", 404, "", nil, ErrNotFound, -1},
		{"get NoSuchKey", callGet, "GetObject", 404, "NoSuchKey", nil, ErrNotFound, -1},
		{"get NoSuchBucket", callGet, "GetObject", 404, "NoSuchBucket", nil, ErrNoSuchBucket, -1},
		{"head NoSuchBucket", callHead, "HeadObject", 404, "NoSuchBucket", nil, ErrNoSuchBucket, -1},
		{"get SymlinkTargetNotExist", callGet, "GetObject", 404, "SymlinkTargetNotExist", nil, ErrSymlinkTarget, -1},
		{"get PreconditionFailed", callGet, "GetObject", 412, "PreconditionFailed", nil, ErrPreconditionFailed, -1},
		{"head 412", callHead, "HeadObject", 412, "PreconditionFailed", nil, ErrPreconditionFailed, -1},
		{"get 304", callGet, "GetObject", 304, "", nil, ErrNotModified, -1},
		{"head 304", callHead, "HeadObject", 304, "", nil, ErrNotModified, -1},
		{"append PositionNotEqualToLength", callAppend, "AppendObject", 409, "PositionNotEqualToLength", nextPos, ErrPositionMismatch, 42},
		{"append ObjectNotAppendable", callAppend, "AppendObject", 409, "ObjectNotAppendable", nil, ErrNotAppendable, -1},
		{"put FileAlreadyExists", callPut, "PutObject", 409, "FileAlreadyExists", nil, ErrAlreadyExists, -1},
		{"copy FileAlreadyExists", callCopy, "CopyObject", 409, "FileAlreadyExists", nil, ErrAlreadyExists, -1},
		{"get AccessDenied", callGet, "GetObject", 403, "AccessDenied", nil, ErrAccessDenied, -1},
		{"head SignatureDoesNotMatch", callHead, "HeadObject", 403, "SignatureDoesNotMatch", nil, ErrAccessDenied, -1},
		{"list InvalidAccessKeyId", callList, "ListObjects", 403, "InvalidAccessKeyId", nil, ErrAccessDenied, -1},
		{"get InvalidRange", callGet, "GetObject", 416, "InvalidRange", nil, ErrInvalidRange, -1},
		{"part NoSuchUpload", callUploadPart, "UploadPart", 404, "NoSuchUpload", nil, ErrNoSuchUpload, -1},
		{"put InvalidObjectName", callPut, "PutObject", 400, "InvalidObjectName", nil, ErrInvalidName, -1},
		{"put InvalidDigest", callPut, "PutObject", 400, "InvalidDigest", nil, ErrInvalidDigest, -1},
		{"put EntityTooLarge", callPut, "PutObject", 400, "EntityTooLarge", nil, ErrTooLarge, -1},
		{"copy InvalidArgument", callCopy, "CopyObject", 400, "InvalidArgument", nil, ErrInvalidRequest, -1},
		{"symlink NotSymlink", callGetSymlink, "GetSymlink", 400, "NotSymlink", nil, ErrNotSymlink, -1},
		{"symlink NoSuchKey", callGetSymlink, "GetSymlink", 404, "NoSuchKey", nil, ErrNotFound, -1},
		{"get NotImplemented", callGet, "GetObject", 501, "NotImplemented", nil, ErrUnsupported, -1},
		{"get 503 ServiceUnavailable", callGet, "GetObject", 503, "ServiceUnavailable", nil, ErrUnavailable, -1},
		{"get 503 TotalQpsLimitExceeded", callGet, "GetObject", 503, "TotalQpsLimitExceeded", nil, ErrThrottled, -1},
		{"head 503 bare", callHead, "HeadObject", 503, "", nil, ErrThrottled, -1},
		{"list InternalError", callList, "ListObjects", 500, "InternalError", nil, ErrUnavailable, -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var hits counter
			c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				hits.inc()
				io.Copy(io.Discard, r.Body)
				writeOSSError(w, r, tc.status, tc.code, "canned "+tc.code, tc.header)
			})
			err := tc.call(context.Background(), c)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err %T is not an *Error", err)
			}
			if e.Op != tc.op || e.Key != "k" || e.Code != tc.code || e.Status != tc.status || e.RequestID != testRequestID {
				t.Errorf("got Op=%q Key=%q Code=%q Status=%d RequestID=%q; want %q %q %q %d %q",
					e.Op, e.Key, e.Code, e.Status, e.RequestID, tc.op, "k", tc.code, tc.status, testRequestID)
			}
			if tc.code != "" && e.EC != testEC {
				t.Errorf("EC = %q, want %q", e.EC, testEC)
			}
			pos, ok := NextAppendPosition(err)
			if (tc.wantPos >= 0) != ok || (ok && pos != tc.wantPos) {
				t.Errorf("NextAppendPosition = %d, %v; want %d", pos, ok, tc.wantPos)
			}
			wantRetry := tc.want == ErrUnavailable || tc.want == ErrThrottled
			if Retryable(err) != wantRetry {
				t.Errorf("Retryable = %v, want %v", !wantRetry, wantRetry)
			}
			if n := hits.get(); n != 1 {
				t.Errorf("%d requests with MaxAttempts=1, want 1", n)
			}
			if !strings.Contains(err.Error(), tc.op) {
				t.Errorf("message %q does not name the operation", err)
			}
		})
	}
}

func TestWrapErrNil(t *testing.T) {
	if err := wrapErr("HeadObject", "k", nil); err != nil {
		t.Fatalf("wrapErr(nil) = %v", err)
	}
}

func TestConnectionRefusedIsUnavailable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, err := New(Config{Endpoint: "http://" + addr, Bucket: testBucket, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.HeadObject(context.Background(), "k")
	if !errors.Is(err, ErrUnavailable) || !Retryable(err) {
		t.Fatalf("err = %v, want retryable ErrUnavailable", err)
	}
	var e *Error
	var opErr *net.OpError
	if !errors.As(err, &e) || e.Cause == nil || e.Op != "HeadObject" || e.Key != "k" || e.Status != 0 {
		t.Fatalf("error fields: %+v", e)
	}
	if !errors.As(err, &opErr) {
		t.Errorf("cause %v does not reach the *net.OpError", e.Cause)
	}
}

func TestContextErrorsStayMatchable(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})

	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := c.HeadObject(ctx, "k")
	if !errors.Is(err, context.Canceled) || Retryable(err) || errors.Is(err, ErrUnavailable) {
		t.Fatalf("cancel: err = %v, want context.Canceled only", err)
	}
	var e *Error
	if !errors.As(err, &e) || e.Op != "HeadObject" {
		t.Fatalf("cancel: err %v is not an *Error for HeadObject", err)
	}

	ctx, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	_, err = c.GetObject(ctx, GetRequest{Key: "k", Length: -1})
	if !errors.Is(err, context.DeadlineExceeded) || Retryable(err) {
		t.Fatalf("deadline: err = %v, want context.DeadlineExceeded", err)
	}
}

func TestUploadCRCMismatchIsInvalidDigest(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("x-oss-hash-crc64ecma", "1") // not the CRC of "hello"
		w.Header().Set("ETag", `"5D41402ABC4B2A76B9719D911017C592"`)
	})
	_, err := c.PutObject(context.Background(), PutRequest{Key: "k", Body: strings.NewReader("hello"), Size: 5})
	if !errors.Is(err, ErrInvalidDigest) || Retryable(err) {
		t.Fatalf("err = %v, want ErrInvalidDigest", err)
	}
}

func TestServiceErrorIsRetriedUpToMaxAttempts(t *testing.T) {
	var hits counter
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		hits.inc()
		writeOSSError(w, r, 503, "ServiceUnavailable", "busy", nil)
	}, withAttempts(2))
	err := callHead(context.Background(), c)
	if !errors.Is(err, ErrUnavailable) || hits.get() != 2 {
		t.Fatalf("err = %v after %d requests, want ErrUnavailable after 2", err, hits.get())
	}
}
