package fs

import (
	"context"
	"syscall"

	fusefs "github.com/hanwen/go-fuse/v2/fs"
)

// noXattrs answers every extended-attribute call with ENOSYS. The kernel
// then remembers that the filesystem has none and answers later calls
// itself (with ENOTSUP) — otherwise `ls -l` pays two FUSE round trips per
// entry (security.selinux, system.posix_acl_access) on every listing.
type noXattrs struct{}

var (
	_ = (fusefs.NodeGetxattrer)((*noXattrs)(nil))
	_ = (fusefs.NodeListxattrer)((*noXattrs)(nil))
	_ = (fusefs.NodeSetxattrer)((*noXattrs)(nil))
	_ = (fusefs.NodeRemovexattrer)((*noXattrs)(nil))
)

func (noXattrs) Getxattr(context.Context, string, []byte) (uint32, syscall.Errno) {
	return 0, syscall.ENOSYS
}

func (noXattrs) Listxattr(context.Context, []byte) (uint32, syscall.Errno) {
	return 0, syscall.ENOSYS
}

func (noXattrs) Setxattr(context.Context, string, []byte, uint32) syscall.Errno {
	return syscall.ENOSYS
}

func (noXattrs) Removexattr(context.Context, string) syscall.Errno { return syscall.ENOSYS }
