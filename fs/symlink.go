package fs

import (
	"context"
	"fmt"
	"io"
	"sync"
	"syscall"

	fusefs "github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/ossfuse/ossfuse/meta"
	"github.com/ossfuse/ossfuse/ossio"
)

// symlinkNode is a symbolic link in any of the three on-bucket forms.
type symlinkNode struct {
	fusefs.Inode
	noXattrs
	fs *FS

	mu   sync.Mutex
	last entry // GUARDED_BY(mu): the entry last served, with its target once read
}

var (
	_ = (fusefs.NodeGetattrer)((*symlinkNode)(nil))
	_ = (fusefs.NodeReadlinker)((*symlinkNode)(nil))
)

func (n *symlinkNode) setEntry(e entry) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if e.target == "" && e.etag == n.last.etag {
		e.target = n.last.target // keep a target already read for this version
	}
	n.last = e
}

func (n *symlinkNode) Getattr(ctx context.Context, fh fusefs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	ctx = uninterruptible(ctx)
	e, err := revalidate(ctx, n.fs, n.EmbeddedInode())
	if err != nil {
		return toErrno(n.fs.log, "getattr", n.Path(nil), err)
	}
	n.setEntry(e)
	n.mu.Lock()
	defer n.mu.Unlock()
	n.last.fill(&out.Attr)
	return 0
}

// Readlink returns the target: from the metadata header at no cost, else
// with one GetSymlink (native links) or one GET of the body (ossfs links),
// remembered for the version.
func (n *symlinkNode) Readlink(ctx context.Context) ([]byte, syscall.Errno) {
	ctx = uninterruptible(ctx)
	n.mu.Lock()
	e := n.last
	n.mu.Unlock()
	if e.target != "" {
		return []byte(e.target), 0
	}
	target, err := n.fs.readTarget(ctx, e)
	if err != nil {
		return nil, toErrno(n.fs.log, "readlink", n.Path(nil), err)
	}
	n.mu.Lock()
	if n.last.etag == e.etag {
		n.last.target = target
	}
	n.mu.Unlock()
	return []byte(target), 0
}

// readTarget reads the target of a symlink whose entry does not carry it.
func (f *FS) readTarget(ctx context.Context, e entry) (string, error) {
	if e.symlink == meta.SymlinkNative {
		info, err := f.client.GetSymlink(ctx, e.key)
		if err != nil {
			return "", err
		}
		path, ok := f.opts.Mapper.NativeTarget(e.key, info.Target)
		if !ok {
			return "", fmt.Errorf("symlink %q points outside the mount (%q): %w", e.key, info.Target, meta.ErrBadSymlink)
		}
		return path, nil
	}
	res, err := f.client.GetObject(ctx, ossio.GetRequest{Key: e.key, Length: -1, IfMatch: e.etag})
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, meta.MaxSymlinkTarget+1))
	if err != nil {
		return "", err
	}
	return meta.TargetFromBody(body)
}
