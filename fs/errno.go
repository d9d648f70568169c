package fs

import (
	"context"
	"errors"
	"syscall"

	"github.com/sirupsen/logrus"

	"github.com/ossfuse/ossfuse/meta"
	"github.com/ossfuse/ossfuse/ossio"
)

// errnoTable maps error classes to the errno users get. The first match
// wins, so the more specific classes come first.
var errnoTable = []struct {
	err   error
	errno syscall.Errno
}{
	{errStale, syscall.ESTALE},
	{ossio.ErrNotFound, syscall.ENOENT},
	{ossio.ErrSymlinkTarget, syscall.ENOENT},
	{meta.ErrNameTooLong, syscall.ENAMETOOLONG},
	{meta.ErrKeyTooLong, syscall.ENAMETOOLONG},
	{meta.ErrInvalidName, syscall.EINVAL},
	{meta.ErrNotUTF8, syscall.EILSEQ},
	{ossio.ErrInvalidName, syscall.ENAMETOOLONG},
	{ossio.ErrAccessDenied, syscall.EACCES},
	{ossio.ErrTooLarge, syscall.EFBIG},
	{ossio.ErrUnsupported, syscall.ENOTSUP},
	{ossio.ErrAlreadyExists, syscall.EEXIST},
	{syscall.ENOSPC, syscall.ENOSPC}, // a full cache_dir
	{syscall.EDQUOT, syscall.EDQUOT},
	{syscall.EBADF, syscall.EBADF},
	{context.Canceled, syscall.EINTR},
	{context.DeadlineExceeded, syscall.ETIMEDOUT},
	{ossio.ErrTimeout, syscall.ETIMEDOUT},
}

// toErrno is the one place where errors become errnos. Errors it cannot
// classify become EIO (never ENOSYS, which go-fuse's ToErrno would pick),
// and every failure that is not a plain "no such file" is logged here, once:
// at warning level, or at debug level with its OSS request ID when the
// client already logged the failed request (see ossio.Config.OnFailedRequest).
func toErrno(log *logrus.Entry, op, path string, err error) syscall.Errno {
	if err == nil {
		return 0
	}
	errno := syscall.EIO
	for _, e := range errnoTable {
		if errors.Is(err, e.err) {
			errno = e.errno
			break
		}
	}
	if errno != syscall.ENOENT && errno != syscall.EINTR {
		fields := logrus.Fields{"op": op, "path": path, "errno": errno.Error()}
		var oe *ossio.Error
		if errors.As(err, &oe) && oe.RequestID != "" {
			// The client logged the failed request itself (ossio's
			// OnFailedRequest); this line only ties it to the operation.
			fields["request_id"] = oe.RequestID
			log.WithFields(fields).Debug(err)
			return errno
		}
		log.WithFields(fields).Warn(err)
	}
	return errno
}
