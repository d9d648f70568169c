package main

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/sirupsen/logrus"

	"github.com/ossfuse/ossfuse/meta"
	"github.com/ossfuse/ossfuse/ossio"
)

// newClient builds the bucket's client from cfg, with the credentials of
// the chain (see credentialsFor) and the request metrics of m. It also
// names the credentials' source, for the log.
func newClient(cfg config, log *logrus.Entry, m *mountMetrics, requests *requestLog) (ossio.Client, string, error) {
	creds, source, err := credentialsFor(cfg, log)
	if err != nil {
		return nil, "", err
	}
	c, err := ossio.New(ossio.Config{
		Endpoint: cfg.endpoint, Region: cfg.region, Bucket: cfg.bucket,
		SignatureV1: cfg.signatureV1, PathStyle: cfg.pathStyle, Credentials: creds,
		CAFile: cfg.caFile, InsecureSkipVerify: cfg.insecure, RequestTimeout: cfg.requestTimeout, OnRetry: m.onRetry(),
		OnFailedRequest: requests.failed,
	})
	if err != nil {
		return nil, "", err
	}
	return m.wrap(c), source, nil
}

// requestLog logs every failed OSS request on one line with its request
// ID (which Alibaba Cloud support asks for); the operation that failed
// because of it is logged at debug level by the filesystem. It is quiet
// until the mount is checked: before, the command's one-line reason says
// it all.
type requestLog struct {
	log *logrus.Entry
	on  atomic.Bool
}

// failed is the client's ossio.Config.OnFailedRequest.
func (l *requestLog) failed(e *ossio.Error, retrying bool) {
	if !l.on.Load() {
		return
	}
	fields := logrus.Fields{"request_id": e.RequestID, "outcome": ossio.Outcome(e)}
	if e.Op != "" {
		fields["op"], fields["key"] = e.Op, e.Key
	}
	msg := "OSS request failed: "
	if retrying {
		msg = "OSS request failed, retrying: "
	}
	l.log.WithFields(fields).Warn(msg, e.Error())
}

// checkBucket lists one key under the mount's root, so that a wrong key,
// a missing bucket or an unreachable endpoint is a clear error before
// mounting, not a mount that fails every operation.
func checkBucket(ctx context.Context, cfg config, client ossio.Client, mapper meta.Mapper) error {
	_, err := client.ListObjects(ctx, ossio.ListRequest{Prefix: mapper.DirKey(""), MaxKeys: 1})
	if err == nil {
		return nil
	}
	var oe *ossio.Error
	requestID := ""
	if errors.As(err, &oe) && oe.RequestID != "" {
		requestID = " (request id " + oe.RequestID + ")"
	}
	switch {
	case errors.Is(err, ossio.ErrNoSuchBucket):
		return fmt.Errorf("bucket %s does not exist at %s%s", cfg.bucket, cfg.endpoint, requestID)
	case errors.Is(err, ossio.ErrAccessDenied):
		code := "AccessDenied"
		if oe != nil && oe.Code != "" {
			code = oe.Code
		}
		return fmt.Errorf("access to bucket %s denied (%s): check the access key, its secret and the bucket's policy%s", cfg.bucket, code, requestID)
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil:
		return fmt.Errorf("cannot reach bucket %s at %s: no answer within %v (mount_timeout)", cfg.bucket, cfg.endpoint, cfg.mountTimeout)
	case errors.Is(err, ossio.ErrTimeout):
		return fmt.Errorf("cannot reach bucket %s at %s: two attempts got no answer within %v (request_timeout)", cfg.bucket, cfg.endpoint, cfg.requestTimeout)
	case errors.Is(err, ossio.ErrUnavailable) || errors.Is(err, ossio.ErrThrottled):
		return fmt.Errorf("cannot reach bucket %s at %s: %w", cfg.bucket, cfg.endpoint, err)
	}
	// Another answer of OSS (a wrong region, say): its code, message and
	// request ID say more than we could.
	return fmt.Errorf("listing bucket %s at %s: %w", cfg.bucket, cfg.endpoint, err)
}
